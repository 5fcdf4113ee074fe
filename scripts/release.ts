/**
 * `npm run release`: makes the student workbook in `dist/student/` from this (reference) workbook.
 *
 *   npx tsx scripts/release.ts [--out dist/student] [--no-check]
 *
 * Every solution region (see scripts/release/solutions.ts) in `lib/` TypeScript and in notebook cells becomes a stub
 * that throws "not implemented: <part>"; notebooks lose any outputs; the instructor-only files (CI, this release
 * tooling and its test) are left out; tsconfig.json relaxes `noUnusedLocals` (imports used only by removed
 * code must not break the build). ASSIGNMENT.md lists the parts and where they are. The graded tests stay: students
 * run `npm run grade` themselves.
 *
 * Then, unless --no-check: no marker is left anywhere, every notebook is a valid notebook (nbformat), and `tsc
 * --noEmit` passes on the release, using this checkout's node_modules through a temporary symlink.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { findJupyterPython } from './site/execute';
import { Notebook, readNotebook, text, toLines, writeNotebook } from './site/notebook';
import { stripSolutions } from './release/solutions';

const ROOT = path.resolve(__dirname, '..');

/** Paths (relative, '/'-separated) that stay out of the student release: instructor tooling. */
export const INSTRUCTOR_ONLY: readonly RegExp[] = [
  /^\.ci\//,
  /^\.github\//,
  /^scripts\/release\.ts$/,
  /^scripts\/release\//,
  /^test\/release[^/]*\.test\.ts$/,
];

/** Files whose TypeScript may hold solution regions. */
const STRIPPED_TS = /^lib\/.*\.ts$/;

export interface StubbedRegion {
  file: string;
  /** 1-based line of the BEGIN marker in the reference (in a notebook: within its cell). */
  line: number;
  /** 1-based line of the stub in the release. */
  stubLine: number;
  cell?: number;
  part: string;
}

export interface ReleaseReport {
  out: string;
  files: number;
  regions: StubbedRegion[];
  /** Part names in order of first appearance. */
  parts: string[];
}

/** Every file under `root`, skipping VCS metadata, dependencies and build outputs. */
export function walkFiles(root: string): string[] {
  const skip = new Set(['.git', 'node_modules', 'build', 'site', 'dist', 'out', 'screenshots']);
  // The real corpus is never copied (it is read in place), nor are scratch results or ad-hoc runs.
  const skipPaths = new Set(['data/birthplaces', 'results/tmp', 'runs']);
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!skip.has(entry.name) && !skipPaths.has(rel)) walk(rel);
      } else if (entry.isFile()) files.push(rel);
    }
  };
  walk('');
  return files.sort();
}

/**
 * The workbook's files: what git tracks plus new files git does not ignore, when `root` is a git checkout's top
 * folder; otherwise (no git, or a copy inside another checkout) every file but the usual outputs.
 */
export function workbookFiles(root: string): string[] {
  const top = spawnSync('git', ['rev-parse', '--show-toplevel'], { cwd: root, encoding: 'utf8' });
  if (top.status !== 0 || fs.realpathSync(top.stdout.trim()) !== fs.realpathSync(root)) return walkFiles(root);
  const git = spawnSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: root, encoding: 'utf8' });
  if (git.status !== 0) return walkFiles(root);
  return git.stdout
    .split('\0')
    .filter(Boolean)
    .filter((f) => fs.existsSync(path.join(root, f)) && fs.statSync(path.join(root, f)).isFile())
    .sort();
}

function releaseNotebook(nb: Notebook, file: string, regions: StubbedRegion[]): Notebook {
  nb.cells.forEach((cell, i) => {
    const where = `${file} cell ${i + 1}`;
    if (cell.cell_type === 'code') {
      const s = stripSolutions(text(cell.source), 'code', where);
      cell.source = toLines(s.text);
      cell.outputs = [];
      cell.execution_count = null;
      regions.push(...s.regions.map((r) => ({ file, cell: i + 1, line: r.line, stubLine: r.stubLine, part: r.part })));
    } else if (cell.cell_type === 'markdown') {
      const s = stripSolutions(text(cell.source), 'markdown', where);
      cell.source = toLines(s.text);
      regions.push(...s.regions.map((r) => ({ file, cell: i + 1, line: r.line, stubLine: r.stubLine, part: r.part })));
    }
  });
  return nb;
}

function assignment(report: ReleaseReport): string {
  const byPart = report.parts.map((part) => {
    const places = report.regions.filter((r) => r.part === part).map((r) => (r.cell ? `${r.file} (cell ${r.cell})` : `${r.file}:${r.stubLine}`));
    return `- **${part}**: ${[...new Set(places)].join(', ')}`;
  });
  return `# Assignment

This is the student edition of the workbook. Every place marked for you throws
\`not implemented: <part>\` until you write it. The parts, and where they are:

${byPart.join('\n')}

Check your work with the graded tests (they are the ones your work is graded with):

    npm ci
    npm run grade            # a table of parts with points earned and possible; JSON in build/grade.json
    npm run grade -- --only data   # only the graded files whose name contains "data"

The notebooks in \`notebooks/\` explain each part and use your code once it works
(\`bash scripts/setup-jupyter.sh\` registers their kernel).
`;
}

/** Writes the student release into `out` (replacing it) and reports what was stubbed. */
export function release(root: string, out: string): ReleaseReport {
  const resolvedOut = path.resolve(out);
  if (resolvedOut === path.resolve(root) || path.resolve(root).startsWith(resolvedOut + path.sep)) {
    throw new Error(`--out ${out} would overwrite the workbook itself`);
  }
  fs.rmSync(resolvedOut, { recursive: true, force: true });
  const regions: StubbedRegion[] = [];
  const files = workbookFiles(root).filter((f) => !INSTRUCTOR_ONLY.some((re) => re.test(f)));
  for (const file of files) {
    const from = path.join(root, file);
    const to = path.join(resolvedOut, file);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    if (STRIPPED_TS.test(file)) {
      const s = stripSolutions(fs.readFileSync(from, 'utf8'), 'code', file);
      regions.push(...s.regions.map((r) => ({ file, line: r.line, stubLine: r.stubLine, part: r.part })));
      fs.writeFileSync(to, s.text);
    } else if (file.endsWith('.ipynb') && file.startsWith('notebooks/')) {
      writeNotebook(to, releaseNotebook(readNotebook(from), file, regions));
    } else if (file === 'tsconfig.json') {
      const config = JSON.parse(fs.readFileSync(from, 'utf8')) as { compilerOptions?: Record<string, unknown> };
      config.compilerOptions = { ...config.compilerOptions, noUnusedLocals: false, noUnusedParameters: false };
      fs.writeFileSync(to, JSON.stringify(config, null, 2) + '\n');
    } else if (file === 'package.json') {
      // Only the release script goes: the name and dependencies stay, so package-lock.json still matches (npm ci).
      const pkg = JSON.parse(fs.readFileSync(from, 'utf8')) as { scripts?: Record<string, string> };
      if (pkg.scripts) delete pkg.scripts.release;
      fs.writeFileSync(to, JSON.stringify(pkg, null, 2) + '\n');
    } else {
      fs.copyFileSync(from, to);
      fs.chmodSync(to, fs.statSync(from).mode);
    }
  }
  const parts = [...new Set(regions.map((r) => r.part))];
  const report: ReleaseReport = { out: resolvedOut, files: files.length, regions, parts };
  fs.writeFileSync(path.join(resolvedOut, 'ASSIGNMENT.md'), assignment(report));
  return report;
}

/**
 * Checks a release: no marker left, notebooks valid, TypeScript compiles.
 * @returns the problems found (empty when the release is good).
 */
export function checkRelease(out: string, nodeModules = path.join(ROOT, 'node_modules')): string[] {
  const problems: string[] = [];
  const files = walkFiles(out);
  for (const file of files) {
    const content = fs.readFileSync(path.join(out, file), 'utf8');
    const line = content.split('\n').findIndex((l) => /\b(BEGIN|END) SOLUTION\b/.test(l));
    if (line >= 0) problems.push(`${file}:${line + 1}: a solution marker is left in the release`);
  }
  const notebooks = files.filter((f) => f.endsWith('.ipynb'));
  for (const nb of notebooks) {
    try {
      readNotebook(path.join(out, nb));
    } catch (e) {
      problems.push(e instanceof Error ? e.message : String(e));
    }
  }
  if (notebooks.length) {
    const python = findJupyterPython();
    const validate = 'import sys, nbformat\nfor f in sys.argv[1:]:\n    nbformat.validate(nbformat.read(f, as_version=4))';
    const r = spawnSync(python, ['-c', validate, ...notebooks], { cwd: out, encoding: 'utf8' });
    if (r.status !== 0 && !/No module named .?nbformat/.test(r.stderr)) problems.push(`nbformat rejects a notebook: ${r.stderr.trim().split('\n').pop()}`);
  }
  const link = path.join(out, 'node_modules');
  const made = !fs.existsSync(link);
  if (made) fs.symlinkSync(nodeModules, link, 'dir');
  try {
    const tsc = spawnSync(process.execPath, [path.join(nodeModules, 'typescript', 'bin', 'tsc'), '--noEmit', '-p', '.'], { cwd: out, encoding: 'utf8' });
    if (tsc.status !== 0) problems.push(`tsc --noEmit fails on the release:\n${(tsc.stdout + tsc.stderr).trim()}`);
  } finally {
    if (made) fs.unlinkSync(link);
  }
  return problems;
}

function main(argv: string[]): void {
  let out = path.join(ROOT, 'dist', 'student');
  let check = true;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out' && argv[i + 1]) out = path.resolve(argv[++i]);
    else if (argv[i] === '--no-check') check = false;
    else throw new Error(`unknown argument "${argv[i]}"\nusage: npx tsx scripts/release.ts [--out dist/student] [--no-check]`);
  }
  const report = release(ROOT, out);
  console.log(`student release: ${path.relative(process.cwd(), report.out) || '.'} (${report.files} files, ${report.regions.length} solution regions stubbed)`);
  for (const part of report.parts) {
    const places = report.regions.filter((r) => r.part === part).map((r) => (r.cell ? `${r.file} cell ${r.cell}` : `${r.file}:${r.line}`));
    console.log(`  ${part}: ${places.join(', ')}`);
  }
  if (!report.regions.length) console.log('  (no solution regions found: the release equals the reference)');
  if (check) {
    const problems = checkRelease(report.out);
    if (problems.length) throw new Error(`the release does not pass its checks:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    console.log('checked: no marker left, notebooks valid, tsc --noEmit passes');
  }
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    console.error(`release failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
}
