/**
 * `npm run release`: makes the student workbook in `dist/student/` from this (reference) workbook, and the autograder
 * bundle for Gradescope in `dist/autograder/` (zipped as `dist/autograder.zip`).
 *
 *   npx tsx scripts/release.ts [--out dist/student] [--autograder dist/autograder] [--no-check]
 *
 * The markers (scripts/release/solutions.ts) decide what the student gets: every solution region in `lib/`
 * TypeScript and in notebook cells becomes a stub that throws "not implemented: <part> (<function> in <file>:<line>)";
 * every derivation graded by hand becomes a prompt; hidden graded tests are left out. Notebooks lose any outputs and
 * open with a guide worked out from the markers and their imports (scripts/release/guide.ts): which functions to
 * write, in which files, and `npm run grade -- --part ...` to check them. The instructor-only files (CI, this
 * release tooling and its tests) are left out; tsconfig.json relaxes `noUnusedLocals` (imports used only by removed
 * code must not break the build). ASSIGNMENT.md lists the parts and where they are; `grading.json` lists the graded
 * files, so that `npm run grade` in the release takes only those from a workbook it grades.
 *
 * The autograder bundle (scripts/release/autograder.ts) holds the stubbed lib, ALL the graded tests (hidden ones
 * too), the grader, `setup.sh` and `run_autograder`.
 *
 * Then, unless --no-check: no marker is left anywhere in the release, every notebook is a valid notebook (nbformat),
 * and `tsc --noEmit` passes on the release, using this checkout's node_modules through a temporary symlink.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { GradingManifest, MANIFEST_FILE, MANIFEST_FORMAT, sha256, TestId } from './grade';
import { findJupyterPython } from './site/execute';
import { Notebook, readNotebook, text, toLines, writeNotebook } from './site/notebook';
import { writeAutograder, zipAutograder } from './release/autograder';
import { functionsAround, Guide, guideMarkdown, notebookGuides, Place } from './release/guide';
import { hiddenTestsOf } from './release/manifest';
import { ANY_MARKER, stripSolutions } from './release/solutions';

const ROOT = path.resolve(__dirname, '..');

/** Paths (relative, '/'-separated) that stay out of the student release: instructor tooling. */
export const INSTRUCTOR_ONLY: readonly RegExp[] = [
  /^\.ci\//,
  /^\.github\//,
  /^scripts\/release\.ts$/,
  /^scripts\/release\//,
  /^test\/(release|gradescope)[^/]*\.test\.ts$/,
];

/** Files whose TypeScript may hold solution regions. */
const STRIPPED_TS = /^lib\/.*\.ts$/;
/** Graded test files, which may hold hidden tests. */
const GRADED_TESTS = /^test\/graded\/.*\.test\.ts$/;

export interface StubbedRegion {
  file: string;
  /** 1-based line of the BEGIN marker in the reference (in a notebook: within its cell). */
  line: number;
  /** 1-based line of the stub in the release. */
  stubLine: number;
  cell?: number;
  part: string;
  /** The function or method the stub is in. */
  fn?: string;
}

export interface ReleaseReport {
  out: string;
  files: number;
  regions: StubbedRegion[];
  /** Part names in order of first appearance. */
  parts: string[];
  /** Derivations graded by hand, by notebook. */
  derivations: { notebook: string; cell: number; name: string }[];
  /** Graded tests left out of the release (they stay in the autograder bundle). */
  hiddenTests: (TestId & { file: string; points: number })[];
  guides: Guide[];
  /** What `grading.json` says. */
  manifest: GradingManifest;
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

function releaseNotebook(nb: Notebook, file: string, report: ReleaseReport): Notebook {
  nb.cells.forEach((cell, i) => {
    const where = `${file} cell ${i + 1}`;
    const source = text(cell.source);
    if (cell.cell_type === 'code') {
      // Solutions become stubs; lines that show a derivation's answer go.
      const s = stripSolutions(source, 'code', where, { kinds: ['solution', 'derivation'], functionAt: functionsAround(source) });
      cell.source = toLines(s.text);
      cell.outputs = [];
      cell.execution_count = null;
      report.regions.push(...s.regions.filter((r) => r.kind === 'solution').map((r) => ({ file, cell: i + 1, line: r.line, stubLine: r.stubLine, part: r.part, fn: functionsAround(source)(r.line) })));
    } else if (cell.cell_type === 'markdown') {
      const s = stripSolutions(source, 'markdown', where);
      cell.source = toLines(s.text);
      for (const r of s.regions) {
        if (r.kind === 'derivation') report.derivations.push({ notebook: file, cell: i + 1, name: r.part });
        else report.regions.push({ file, cell: i + 1, line: r.line, stubLine: r.stubLine, part: r.part });
      }
    }
  });
  return nb;
}

/** Puts the guide at the top of a notebook: under the title of its first (markdown) cell, else as a cell of its own. */
function addGuide(nb: Notebook, guide: Guide): void {
  const md = guideMarkdown(guide);
  const first = nb.cells[0];
  const source = first ? text(first.source) : '';
  if (first?.cell_type === 'markdown' && /^#[^\n]*(\n|$)/.test(source)) {
    const heading = source.split('\n', 1)[0];
    first.source = toLines(`${heading}\n\n${md}\n\n${source.slice(heading.length).replace(/^\n+/, '')}`);
  } else {
    nb.cells.unshift({ cell_type: 'markdown', metadata: {}, source: toLines(md) });
  }
}

function assignment(report: ReleaseReport): string {
  const byPart = report.parts.map((part) => {
    const places = report.regions
      .filter((r) => r.part === part)
      .map((r) => (r.cell ? `${r.file} (cell ${r.cell})` : `${r.fn ? `\`${r.fn}\` in ` : ''}${r.file}:${r.stubLine}`));
    return `- **${part}**: ${[...new Set(places)].join(', ')}`;
  });
  const derivations = [...new Set(report.derivations.map((d) => d.notebook))].map(
    (nb) => `- ${nb}: ${report.derivations.filter((d) => d.notebook === nb).map((d) => `*${d.name}*`).join(', ')}`,
  );
  const hiddenPoints = report.hiddenTests.reduce((s, t) => s + t.points, 0);
  return `# Assignment

This is the student edition of the workbook. Every place marked for you throws
\`not implemented: <part> (<function> in <file>:<line>)\` until you write it. The parts, and where they are:

${byPart.join('\n')}
${derivations.length ? `\nWritten derivations, graded by hand (in the notebooks, where it says "Your derivation"):\n\n${derivations.join('\n')}\n` : ''}
Check your work with the graded tests:

    npm ci
    npm run grade                          # a table of parts with points earned and possible; JSON in build/grade.json
    npm run grade -- --part "RoPE"         # one part (several: --part "RoPE,learned encoding")
    npm run grade -- --only data           # only the graded files whose name contains "data"

Each failed check says what it called, what it expected, what it got, and, for mistakes it recognises, a hint.
${hiddenPoints ? `The autograder also runs hidden tests (${hiddenPoints} points): they count in your score, and show their names and output once the grades are published.\n` : ''}Only the files listed above are graded; the autograder uses its own copy of the tests and of everything else.

The notebooks in \`notebooks/\` explain each part and use your code once it works; each one says at the top what it
asks of you (\`bash scripts/setup-jupyter.sh\` registers their kernel).
`;
}

/** Writes the student release into `out` (replacing it) and reports what was stubbed. */
export function release(root: string, out: string): ReleaseReport {
  const resolvedOut = path.resolve(out);
  if (resolvedOut === path.resolve(root) || path.resolve(root).startsWith(resolvedOut + path.sep)) {
    throw new Error(`--out ${out} would overwrite the workbook itself`);
  }
  fs.rmSync(resolvedOut, { recursive: true, force: true });
  const files = workbookFiles(root).filter((f) => !INSTRUCTOR_ONLY.some((re) => re.test(f)));
  const report: ReleaseReport = {
    out: resolvedOut, files: files.length, regions: [], parts: [], derivations: [], hiddenTests: [], guides: [],
    manifest: { format: MANIFEST_FORMAT, gradedFiles: [], hiddenTests: [] },
  };
  const notebooks: { file: string; nb: Notebook; code: string }[] = [];
  for (const file of files) {
    const from = path.join(root, file);
    const to = path.join(resolvedOut, file);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    if (STRIPPED_TS.test(file)) {
      const source = fs.readFileSync(from, 'utf8');
      const functionAt = functionsAround(source, file);
      const s = stripSolutions(source, 'code', file, { kinds: ['solution'], functionAt });
      report.regions.push(...s.regions.map((r) => ({ file, line: r.line, stubLine: r.stubLine, part: r.part, fn: functionAt(r.line) })));
      fs.writeFileSync(to, s.text);
    } else if (GRADED_TESTS.test(file)) {
      const source = fs.readFileSync(from, 'utf8');
      const hidden = hiddenTestsOf(source, file);
      report.hiddenTests.push(...hidden.map((t) => ({ ...t, file, points: Number(/^\[(\d+(?:\.\d+)?) pts?\]/.exec(t.title)?.[1] ?? 0) })));
      fs.writeFileSync(to, stripSolutions(source, 'code', file, { kinds: ['hidden'] }).text);
    } else if (file.endsWith('.ipynb') && file.startsWith('notebooks/')) {
      const nb = readNotebook(from);
      const code = nb.cells.filter((c) => c.cell_type === 'code').map((c) => text(c.source)).join('\n');
      notebooks.push({ file, nb: releaseNotebook(nb, file, report), code });
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
  report.parts = [...new Set(report.regions.map((r) => r.part))];
  const libPlaces: Place[] = report.regions.filter((r) => r.cell === undefined).map((r) => ({ file: r.file, line: r.line, part: r.part, fn: r.fn }));
  report.guides = notebookGuides(
    root,
    notebooks.map(({ file, code }) => ({
      file,
      code,
      derivations: report.derivations.filter((d) => d.notebook === file).map((d) => d.name),
      own: report.regions.filter((r) => r.file === file && r.cell !== undefined).map((r) => ({ file: r.file, line: r.line, part: r.part, cell: r.cell, fn: r.fn })),
    })),
    libPlaces,
  );
  notebooks.forEach(({ file, nb }, i) => {
    addGuide(nb, report.guides[i]);
    writeNotebook(path.join(resolvedOut, file), nb);
  });
  report.manifest.gradedFiles = [...new Set(libPlaces.map((p) => p.file))].sort();
  fs.writeFileSync(path.join(resolvedOut, MANIFEST_FILE), JSON.stringify(report.manifest, null, 2) + '\n');
  fs.writeFileSync(path.join(resolvedOut, 'ASSIGNMENT.md'), assignment(report));
  return report;
}

/** The manifest of the autograder bundle: the release's, with the hidden tests and the release's file hashes. */
export function autograderManifest(report: ReleaseReport): GradingManifest {
  const released: Record<string, string> = {};
  for (const file of walkFiles(report.out).filter((f) => f.startsWith('lib/') || f.startsWith('test/'))) released[file] = sha256(fs.readFileSync(path.join(report.out, file)));
  return { ...report.manifest, hiddenTests: report.hiddenTests.map(({ part, title }) => ({ part, title })), released };
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
    const line = content.split('\n').findIndex((l) => ANY_MARKER.test(l));
    if (line >= 0) problems.push(`${file}:${line + 1}: a marker is left in the release`);
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
  let bundle: string | undefined;
  let check = true;
  const usage = 'usage: npx tsx scripts/release.ts [--out dist/student] [--autograder dist/autograder] [--no-check]';
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out' && argv[i + 1]) out = path.resolve(argv[++i]);
    else if (argv[i] === '--autograder' && argv[i + 1]) bundle = path.resolve(argv[++i]);
    else if (argv[i] === '--no-check') check = false;
    else throw new Error(`unknown argument "${argv[i]}"\n${usage}`);
  }
  bundle ??= path.join(path.dirname(out), 'autograder');
  const report = release(ROOT, out);
  console.log(`student release: ${path.relative(process.cwd(), report.out) || '.'} (${report.files} files, ${report.regions.length} solution regions stubbed, ` +
    `${report.derivations.length} derivations and ${report.hiddenTests.length} hidden tests left out)`);
  for (const part of report.parts) {
    const places = report.regions.filter((r) => r.part === part).map((r) => (r.cell ? `${r.file} cell ${r.cell}` : `${r.fn ?? '?'} ${r.file}:${r.line}`));
    console.log(`  ${part}: ${places.join(', ')}`);
  }
  if (!report.regions.length) console.log('  (no solution regions found: the release equals the reference)');
  for (const g of report.guides) {
    const asks = g.asks.map((a) => a.part).concat(g.derivations.map((d) => `derivation ${d}`));
    console.log(`  ${g.notebook}: asks for ${asks.length ? asks.join(', ') : 'nothing'}${g.runs.length ? `; runs ${g.runs.map((r) => r.part).join(', ')}` : ''}`);
  }
  if (check) {
    const problems = checkRelease(report.out);
    if (problems.length) throw new Error(`the release does not pass its checks:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    console.log('checked: no marker left, notebooks valid, tsc --noEmit passes');
  }
  const manifest = autograderManifest(report);
  writeAutograder(ROOT, report.out, bundle, manifest, report.hiddenTests.reduce((s, t) => s + t.points, 0));
  zipAutograder(bundle, `${bundle}.zip`);
  console.log(`autograder bundle: ${path.relative(process.cwd(), bundle)} and ${path.relative(process.cwd(), bundle)}.zip (upload the zip to Gradescope)`);
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    console.error(`release failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
}
