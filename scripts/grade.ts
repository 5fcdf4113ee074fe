/**
 * `npm run grade [-- --dir PATH]`: grades a workbook (this one by default, or a student's copy) with THIS
 * workbook's graded tests, and reports points per part, as a table and as JSON.
 *
 *   npx tsx scripts/grade.ts [--dir PATH] [--part NAME,...] [--only WORD,...] [--json FILE] [--expect all|none]
 *                            [--file-timeout SECONDS]
 *
 * What is graded: only the student's graded files, i.e. the files under `lib/` that hold the parts a student writes
 * (in this reference checkout: the files with solution regions; in a release: the list in its `grading.json`). They
 * are copied from PATH into a fresh copy of this workbook's `lib/` and `test/`, and this workbook's graded tests run
 * there. Anything else in PATH (its tests, package.json, other lib files) is ignored and listed as such; a graded
 * file missing from PATH is graded as its untouched stub. A student's graded files still run as code, inside the
 * grader's processes: the report flags lines they add that reach for the test runner or the process (mocha,
 * require.cache, process.exit, ...), for the instructor to read.
 *
 * Graded tests are `test/graded/*.test.ts`. Each top-level `describe('part: <name>')` is a part; each
 * `it('[N pts] ...')` is worth N points, earned when it passes. Parts are discovered, not listed here: first from the
 * test sources (so a file that cannot even load still shows what it was worth), then from mocha's JSON report. Each
 * file runs in its own mocha process, so a stub's "not implemented" error, a compile error or a crash fails that
 * file's tests and nothing else. Hidden tests (kept out of the student release, see scripts/release/solutions.ts)
 * count like the others and are marked as hidden in the report.
 *
 * `--part "RoPE,learned encoding"` grades only those parts; `--only data,rope` only the graded files whose names
 * contain one of the words. The exit status is 0 whenever a report was made; `--expect all` (every point) or
 * `--expect none` (no point) turn the result into a check for CI.
 */
import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');

/** The file a release carries instead of markers: which files are graded, which tests are hidden. */
export const MANIFEST_FILE = 'grading.json';
export const MANIFEST_FORMAT = 'workbook-grading/1';

export interface TestId {
  part: string;
  title: string;
}

export interface GradingManifest {
  format: typeof MANIFEST_FORMAT;
  /** The files under lib/ a student writes ('/'-separated, relative to the workbook). */
  gradedFiles: string[];
  /** Graded tests left out of the student release. */
  hiddenTests: TestId[];
  /**
   * SHA-256 of each file under lib/ and test/ as the student release has it (an autograder bundle's tests differ:
   * they hold the hidden ones), to tell the files a student changed from the ones they left alone.
   */
  released?: Record<string, string>;
}

export interface GradedTest {
  file: string;
  title: string;
  points: number;
  passed: boolean;
  hidden: boolean;
  /** Why it failed (the check's own message: inputs, expected, got, hint), when it failed. */
  error?: string;
  /** Where in the student's code it failed, e.g. `lib/positional/rope.ts:83 (rotateAsComplex)`. */
  where?: string;
  /** The test skipped itself (what it needs, such as the real corpus, is not on the grading machine). */
  skipped?: boolean;
}

export interface PartResult {
  name: string;
  earned: number;
  possible: number;
  tests: GradedTest[];
}

export interface GradeReport {
  /** The graded workbook (the submission). */
  dir: string;
  /** The workbook whose tests graded it. */
  base: string;
  finished: string;
  earned: number;
  possible: number;
  parts: PartResult[];
  /** Graded files that did not run to the end (load errors, crashes, timeouts). */
  problems: string[];
  /** Graded files taken from the submission. */
  taken: string[];
  /** Graded files the submission lacks, graded as their stubs. */
  missing: string[];
  /** Files of the submission under lib/ or test/ that differ from the base's, or are not in it, and were not used. */
  ignored: string[];
  /** Lines of the submission's graded files that reach for the test runner or the process. */
  warnings: string[];
}

const PART_PREFIX = 'part: ';
const POINTS = /^\[(\d+(?:\.\d+)?) pts?\]/;
/** Error messages and reports keep at most this much of one failure. */
const MAX_ERROR_CHARS = 4000;
const MAX_ERROR_LINES = 60;

/** Points in a test title (`[N pts] ...`), 0 when it has none. */
export function pointsOf(title: string): number {
  const m = POINTS.exec(title);
  return m ? Number(m[1]) : 0;
}

export interface DeclaredTest extends TestId {
  /** Offset of the `it(` in the source. */
  index: number;
}

/**
 * The parts and tests a graded file declares, read from its source: `describe('part: X'` opens part X, and each
 * `it('[N pts] ...'` after it belongs to X. String literals in ', " or ` quotes (without interpolation).
 */
export function declaredTests(source: string): DeclaredTest[] {
  const literal = String.raw`(?:'((?:[^'\\\n]|\\.)*)'|"((?:[^"\\\n]|\\.)*)"|\x60((?:[^\x60\\$]|\\.)*)\x60)`;
  const call = new RegExp(String.raw`\b(describe|it)(?:\.only)?\s*\(\s*${literal}`, 'g');
  const out: DeclaredTest[] = [];
  let part: string | undefined;
  for (const m of source.matchAll(call)) {
    const title = (m[2] ?? m[3] ?? m[4] ?? '').replace(/\\(.)/g, '$1');
    if (m[1] === 'describe' && title.startsWith(PART_PREFIX)) part = title.slice(PART_PREFIX.length).trim();
    else if (m[1] === 'it' && part !== undefined && POINTS.test(title)) out.push({ part, title, index: m.index ?? 0 });
  }
  return out;
}

/** The workbook whose tests grade: its root, its manifest, and the untouched (stub) version of a graded file. */
export interface GradingBase {
  root: string;
  manifest: GradingManifest;
  stub: (file: string) => string;
  /** Whether `content` is what the student release has at `file` (lib/ and test/ files). */
  asReleased: (file: string, content: Buffer) => boolean;
}

export const sha256 = (content: Buffer | string): string => createHash('sha256').update(content).digest('hex');

/** Reads a `grading.json`, checking its shape. */
export function readManifest(file: string): GradingManifest {
  const m = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<GradingManifest>;
  if (m.format !== MANIFEST_FORMAT || !Array.isArray(m.gradedFiles) || !Array.isArray(m.hiddenTests)) {
    throw new Error(`${file}: not a grading manifest (format "${MANIFEST_FORMAT}" with gradedFiles and hiddenTests)`);
  }
  return m as GradingManifest;
}

/**
 * The grading base at `root`: a release or an autograder bundle (its `grading.json`, its lib files are the stubs), or
 * a reference checkout (its markers, read by scripts/release/manifest.ts, which only the reference has).
 */
export function gradingBase(root: string): GradingBase {
  const file = path.join(root, MANIFEST_FILE);
  if (fs.existsSync(file)) {
    const manifest = readManifest(file);
    const ours = (f: string): Buffer | undefined => (fs.existsSync(path.join(root, f)) ? fs.readFileSync(path.join(root, f)) : undefined);
    return {
      root,
      manifest,
      stub: (f) => fs.readFileSync(path.join(root, f), 'utf8'),
      asReleased: (f, content) => (manifest.released ? manifest.released[f] === sha256(content) : ours(f)?.equals(content) === true),
    };
  }
  const reader = path.join(__dirname, 'release', 'manifest.ts');
  if (!fs.existsSync(reader)) throw new Error(`${root} has no ${MANIFEST_FILE}, and ${reader} is not here to read its markers`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { referenceManifest } = require(reader) as { referenceManifest: (root: string) => Omit<GradingBase, 'root'> };
  return { root, ...referenceManifest(root) };
}

interface MochaTest {
  title: string;
  fullTitle: string;
  file?: string;
  err?: { message?: string; stack?: string };
}

interface MochaJson {
  stats?: { tests: number; passes: number; failures: number };
  tests?: MochaTest[];
  passes?: MochaTest[];
  failures?: MochaTest[];
  pending?: MochaTest[];
}

function firstLines(s: string | undefined, n = 3): string {
  return (s ?? '')
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '')
    .slice(0, n)
    .join(' | ');
}

/** A failure's message, trimmed to what a report can hold. */
export function clip(message: string): string {
  let lines = message.replace(/\s+$/, '').split('\n');
  if (lines.length > MAX_ERROR_LINES) lines = [...lines.slice(0, MAX_ERROR_LINES), `... (${lines.length - MAX_ERROR_LINES} more lines)`];
  const text = lines.join('\n');
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}... (${text.length - MAX_ERROR_CHARS} more characters)` : text;
}

/** The first frame of a stack inside the graded workbook's lib/ (source-mapped by tsx to the .ts file and line). */
export function whereInLib(stack: string | undefined, workspace: string): string | undefined {
  for (const line of (stack ?? '').split('\n')) {
    const m = /^\s*at (?:(.+?) \()?(.+?):(\d+):\d+\)?$/.exec(line);
    if (!m) continue;
    const file = m[2].startsWith('file://') ? m[2].slice(7) : m[2];
    // mocha shortens paths under its working directory (the workspace) to relative ones.
    const rel = path.relative(workspace, path.resolve(workspace, file)).split(path.sep).join('/');
    if (!rel.startsWith('lib/') || !rel.endsWith('.ts')) continue;
    const fn = m[1]?.replace(/^(?:Object\.|Context\.)/, '').replace(/^new /, 'new ');
    return `${rel}:${m[3]}${fn && fn !== '<anonymous>' ? ` (${fn})` : ''}`;
  }
  return undefined;
}

/** The part a test belongs to: the longest known part whose prefix starts its full title, else its describe path. */
function partOf(test: MochaTest, known: string[]): string | undefined {
  if (!test.fullTitle.startsWith(PART_PREFIX)) return undefined;
  const rest = test.fullTitle.slice(PART_PREFIX.length);
  const match = known.filter((p) => rest.startsWith(p + ' ')).sort((a, b) => b.length - a.length)[0];
  if (match) return match;
  return rest.slice(0, Math.max(0, rest.length - test.title.length - 1)).trim() || undefined;
}

interface FileRun {
  tests: GradedTest[];
  parts: string[];
  problem?: string;
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const HOOK = /"(before|after) (all|each)" hook/;

function runFile(workspace: string, file: string, timeoutS: number, hidden: Set<string>, parts: string[]): FileRun {
  const rel = path.relative(workspace, file).split(path.sep).join('/');
  const declared = declaredTests(fs.readFileSync(file, 'utf8')).filter((d) => !parts.length || parts.includes(d.part));
  const known = [...new Set(declared.map((d) => d.part))];
  const jsonOut = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'grade-')), 'mocha.json');
  const mocha = path.join(workspace, 'node_modules', 'mocha', 'bin', 'mocha.js');
  const args = [mocha, '--no-config', '--require', 'tsx/cjs', '--extension', 'ts', '--timeout', String(timeoutS * 1000), '--exit',
    '--reporter', 'json', '--reporter-option', `output=${jsonOut}`];
  if (parts.length) args.push('--grep', `^${escapeRegExp(PART_PREFIX)}(${parts.map(escapeRegExp).join('|')}) `);
  args.push(rel);
  const run = spawnSync(process.execPath, args, { cwd: workspace, encoding: 'utf8', timeout: timeoutS * 1000, maxBuffer: 64 * 1024 * 1024 });
  let report: MochaJson = {};
  if (fs.existsSync(jsonOut)) {
    try {
      report = JSON.parse(fs.readFileSync(jsonOut, 'utf8')) as MochaJson;
    } catch {
      report = {};
    }
  }
  fs.rmSync(path.dirname(jsonOut), { recursive: true, force: true });
  let problem: string | undefined;
  if (run.error && (run.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') problem = `${rel}: stopped after ${timeoutS} s`;
  else if (!report.tests) {
    const why = firstLines(run.stderr || run.stdout || String(run.error), 4).split(workspace + path.sep).join('');
    problem = `${rel}: did not run (${why || `exit status ${run.status}`})`;
  }

  const passed = new Set((report.passes ?? []).map((t) => t.fullTitle));
  const failures = new Map((report.failures ?? []).map((t) => [t.fullTitle, t]));
  const skipped = new Set((report.pending ?? []).map((t) => t.fullTitle));
  // A failing hook ("before all") keeps its tests from running: their failure is the hook's.
  const hookFailures = (report.failures ?? []).filter((t) => HOOK.test(t.title));
  const tests: GradedTest[] = [];
  const found: string[] = [...known];
  const seen = new Set<string>();
  const isHidden = (part: string, title: string): boolean => hidden.has(`${part}\u0000${title}`);
  for (const t of report.tests ?? []) {
    const part = partOf(t, known);
    if (!part || HOOK.test(t.title) || (parts.length && !parts.includes(part))) continue;
    if (!found.includes(part)) found.push(part);
    seen.add(`${part}\u0000${t.title}`);
    const ok = passed.has(t.fullTitle);
    const err = failures.get(t.fullTitle)?.err;
    const test: GradedTest = { file: rel, title: `${part}\u0000${t.title}`, points: pointsOf(t.title), passed: ok, hidden: isHidden(part, t.title) };
    if (!ok && skipped.has(t.fullTitle)) {
      test.skipped = true;
      test.error = 'skipped (pending): no points';
    } else if (!ok) {
      test.error = clip(err?.message || 'failed');
      const where = whereInLib(err?.stack, workspace);
      if (where) test.where = where;
    }
    tests.push(test);
  }
  for (const d of declared) {
    if (seen.has(`${d.part}\u0000${d.title}`)) continue;
    const hook = hookFailures.find((h) => h.fullTitle.startsWith(PART_PREFIX + d.part));
    const reason = hook ? `${hook.title}: ${clip(hook.err?.message ?? '')}` : problem ?? 'did not run';
    const where = hook ? whereInLib(hook.err?.stack, workspace) : undefined;
    tests.push({ file: rel, title: `${d.part}\u0000${d.title}`, points: pointsOf(d.title), passed: false, hidden: isHidden(d.part, d.title), error: reason, ...(where ? { where } : {}) });
  }
  return { tests, parts: found, problem };
}

/** Lines a student adds to a graded file that reach for the test runner or the process: flagged for a human. */
const SUSPICIOUS = /\bmocha\b|\bdescribe\s*=|\bit\s*=|require\.cache|process\.(exit|on|once|kill|argv|env\.[A-Z_]*GRADE)|child_process|\bglobalThis\b|\bglobal\.|Module\._|__proto__|writeFileSync|unlinkSync|rmSync|\beval\s*\(|new Function\b/;

function filesUnder(root: string, dir: string): string[] {
  const abs = path.join(root, dir);
  if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory()) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(abs, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...filesUnder(root, rel));
    else if (entry.isFile()) out.push(rel);
  }
  return out.sort();
}

interface Workspace {
  dir: string;
  taken: string[];
  missing: string[];
  ignored: string[];
  warnings: string[];
}

/**
 * A fresh copy of the base's lib/, test/, package.json and tsconfig.json, with the submission's graded files in
 * place of the base's (or their stubs, where the submission lacks one).
 */
export function makeWorkspace(base: GradingBase, submission: string): Workspace {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grade-ws-'));
  const copies = [...filesUnder(base.root, 'lib'), ...filesUnder(base.root, 'test'), 'package.json', 'tsconfig.json'];
  for (const f of copies) {
    if (!fs.existsSync(path.join(base.root, f))) continue;
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.copyFileSync(path.join(base.root, f), path.join(dir, f));
  }
  const graded = new Set(base.manifest.gradedFiles);
  const ws: Workspace = { dir, taken: [], missing: [], ignored: [], warnings: [] };
  for (const f of base.manifest.gradedFiles) {
    const from = path.join(submission, f);
    const stub = base.stub(f);
    let text: string;
    if (fs.existsSync(from) && fs.statSync(from).isFile()) {
      text = fs.readFileSync(from, 'utf8');
      ws.taken.push(f);
      const known = new Set(stub.split('\n').map((l) => l.trim()));
      text.split('\n').forEach((line, i) => {
        if (!known.has(line.trim()) && SUSPICIOUS.test(line)) ws.warnings.push(`${f}:${i + 1}: ${line.trim().slice(0, 160)}`);
      });
    } else {
      text = stub;
      ws.missing.push(f);
    }
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), text);
  }
  if (path.resolve(submission) !== path.resolve(base.root)) {
    // (Their package.json and tsconfig.json are not used either; a release's differ from the reference's anyway.)
    const theirs = [...filesUnder(submission, 'lib'), ...filesUnder(submission, 'test')];
    ws.ignored = theirs.filter((f) => !graded.has(f) && !base.asReleased(f, fs.readFileSync(path.join(submission, f))));
  }
  const modules = fs.existsSync(path.join(base.root, 'node_modules')) ? path.join(base.root, 'node_modules') : path.join(ROOT, 'node_modules');
  fs.symlinkSync(modules, path.join(dir, 'node_modules'), 'dir');
  const corpus = path.join(base.root, 'data', 'birthplaces');
  if (fs.existsSync(corpus)) {
    fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
    fs.symlinkSync(corpus, path.join(dir, 'data', 'birthplaces'), 'dir');
  }
  return ws;
}

export interface GradeOptions {
  /** The workbook to grade. */
  submission: string;
  /** The workbook whose graded tests grade it (default: this one). */
  base?: string;
  fileTimeoutS?: number;
  /** Only graded files whose names contain one of these words. */
  only?: string[];
  /** Only these parts. */
  parts?: string[];
}

/** The parts the graded tests of a workbook declare, in file order. */
export function declaredParts(root: string): string[] {
  const graded = path.join(root, 'test', 'graded');
  const files = fs.existsSync(graded) ? fs.readdirSync(graded).filter((f) => f.endsWith('.test.ts')).sort() : [];
  return [...new Set(files.flatMap((f) => declaredTests(fs.readFileSync(path.join(graded, f), 'utf8')).map((d) => d.part)))];
}

/** Grades the submission with the base's graded tests and adds up the points per part. */
export function grade(options: GradeOptions): GradeReport {
  const baseRoot = path.resolve(options.base ?? ROOT);
  const submission = path.resolve(options.submission);
  if (!fs.existsSync(submission) || !fs.statSync(submission).isDirectory()) throw new Error(`${submission} is not a folder`);
  const gradedDir = path.join(baseRoot, 'test', 'graded');
  if (!fs.existsSync(gradedDir)) throw new Error(`${gradedDir} does not exist: is ${baseRoot} a workbook?`);
  const all = fs.readdirSync(gradedDir).filter((f) => f.endsWith('.test.ts')).sort();
  if (!all.length) throw new Error(`no graded tests (*.test.ts) in ${gradedDir}`);
  const only = options.only ?? [];
  let chosen = only.length ? all.filter((f) => only.some((o) => f.includes(o))) : all;
  if (!chosen.length) throw new Error(`--only ${only.join(',')} matches none of ${all.join(', ')}`);
  const parts = options.parts ?? [];
  if (parts.length) {
    const known = declaredParts(baseRoot);
    const unknown = parts.filter((p) => !known.includes(p));
    if (unknown.length) throw new Error(`no graded part named ${unknown.map((p) => `"${p}"`).join(', ')}; the parts are: ${known.map((p) => `"${p}"`).join(', ')}`);
    chosen = chosen.filter((f) => declaredTests(fs.readFileSync(path.join(gradedDir, f), 'utf8')).some((d) => parts.includes(d.part)));
  }
  const base = gradingBase(baseRoot);
  const hidden = new Set(base.manifest.hiddenTests.map((t) => `${t.part}\u0000${t.title}`));
  const ws = makeWorkspace(base, submission);
  const byName = new Map<string, PartResult>();
  const problems: string[] = [];
  try {
    for (const f of chosen) {
      const run = runFile(ws.dir, path.join(ws.dir, 'test', 'graded', f), options.fileTimeoutS ?? 1800, hidden, parts);
      if (run.problem) problems.push(run.problem);
      for (const name of run.parts) if (!byName.has(name)) byName.set(name, { name, earned: 0, possible: 0, tests: [] });
      for (const t of run.tests) {
        const [name, title] = t.title.split('\u0000');
        const part = byName.get(name) as PartResult;
        part.tests.push({ ...t, title });
        part.possible += t.points;
        if (t.passed) part.earned += t.points;
      }
    }
  } finally {
    fs.rmSync(ws.dir, { recursive: true, force: true });
  }
  const list = [...byName.values()];
  return {
    dir: submission,
    base: baseRoot,
    finished: new Date().toISOString(),
    earned: list.reduce((s, p) => s + p.earned, 0),
    possible: list.reduce((s, p) => s + p.possible, 0),
    parts: list,
    problems,
    taken: ws.taken,
    missing: ws.missing,
    ignored: ws.ignored,
    warnings: ws.warnings,
  };
}

const indent = (text: string, by: string): string => text.split('\n').map((l) => by + l).join('\n');

/** The report as a text table, with the reasons of lost points below it. */
export function formatReport(r: GradeReport): string {
  const width = Math.max(5, ...r.parts.map((p) => p.name.length));
  const row = (name: string, earned: string, possible: string) => `${name.padEnd(width)}  ${earned.padStart(6)}  ${possible.padStart(8)}`;
  const lines = [row('part', 'earned', 'possible'), '-'.repeat(width + 18)];
  for (const p of r.parts) lines.push(row(p.name, String(p.earned), String(p.possible)));
  lines.push('-'.repeat(width + 18), row('total', String(r.earned), String(r.possible)));
  const lost = r.parts.flatMap((p) =>
    p.tests
      .filter((t) => !t.passed && t.points > 0)
      .map((t) => `  ${p.name}: ${t.title}${t.hidden ? ' (hidden test)' : ''}\n${indent(t.error ?? 'failed', '      ')}${t.where ? `\n      at ${t.where}` : ''}`),
  );
  if (lost.length) lines.push('', 'points lost:', ...lost);
  if (r.problems.length) lines.push('', 'files that did not run to the end:', ...r.problems.map((p) => `  ${p}`));
  if (r.missing.length) lines.push('', `graded files missing from ${r.dir} (graded as the untouched stubs):`, ...r.missing.map((f) => `  ${f}`));
  if (r.ignored.length) {
    const shown = r.ignored.slice(0, 12).map((f) => `  ${f}`);
    if (r.ignored.length > 12) shown.push(`  ... and ${r.ignored.length - 12} more`);
    lines.push('', `ignored (not graded files; the tests are ${r.base}'s own):`, ...shown);
  }
  if (r.warnings.length) lines.push('', 'lines in the graded files to read (they reach for the test runner or the process):', ...r.warnings.map((w) => `  ${w}`));
  return lines.join('\n');
}

function main(argv: string[]): number {
  let dir = ROOT;
  let json: string | undefined;
  let expect: 'all' | 'none' | undefined;
  let timeout = 1800;
  let only: string[] = [];
  let parts: string[] = [];
  const usage = 'usage: npx tsx scripts/grade.ts [--dir PATH] [--part NAME,...] [--only WORD,...] [--json FILE] [--expect all|none] [--file-timeout SECONDS]';
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined && ['--dir', '--part', '--only', '--json', '--expect', '--file-timeout'].includes(flag)) throw new Error(`${flag} needs a value\n${usage}`);
    if (flag === '--dir') dir = path.resolve(argv[++i]);
    else if (flag === '--only') only = argv[++i].split(',').map((s) => s.trim()).filter(Boolean);
    else if (flag === '--part') parts = argv[++i].split(',').map((s) => s.trim()).filter(Boolean);
    else if (flag === '--json') json = path.resolve(argv[++i]);
    else if (flag === '--expect') {
      const v = argv[++i];
      if (v !== 'all' && v !== 'none') throw new Error(`--expect must be "all" or "none", not "${v}"`);
      expect = v;
    } else if (flag === '--file-timeout') {
      timeout = Number(argv[++i]);
      if (!Number.isFinite(timeout) || timeout <= 0) throw new Error(`--file-timeout must be a positive number of seconds`);
    } else throw new Error(`unknown argument "${flag}"\n${usage}`);
  }
  if (!fs.existsSync(dir)) throw new Error(`--dir ${dir} does not exist`);
  const started = Date.now();
  const report = grade({ submission: dir, fileTimeoutS: timeout, only, parts });
  const out = json ?? path.join(ROOT, 'build', `grade${dir === ROOT ? '' : `-${path.basename(dir)}`}.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
  console.log(`graded ${dir}${dir === ROOT ? '' : ` with the tests of ${ROOT}`} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  console.log(formatReport(report));
  console.log(`\nreport: ${out}`);
  if (expect === 'all' && (report.possible === 0 || report.earned !== report.possible)) {
    console.error(`expected every point, got ${report.earned} of ${report.possible}`);
    return 1;
  }
  if (expect === 'none' && report.earned !== 0) {
    console.error(`expected no point, got ${report.earned} of ${report.possible}`);
    return 1;
  }
  return 0;
}

if (require.main === module) {
  try {
    process.exit(main(process.argv.slice(2)));
  } catch (e) {
    console.error(`grade failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(2);
  }
}
