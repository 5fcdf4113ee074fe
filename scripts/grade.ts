/**
 * `npm run grade [-- --dir PATH]`: runs the graded tests against a workbook (this one by default, or a student's
 * copy) and reports points per part, as a table and as JSON.
 *
 *   npx tsx scripts/grade.ts [--dir PATH] [--only WORD,...] [--json FILE] [--expect all|none] [--file-timeout SECONDS]
 *
 * Graded tests are `test/graded/*.test.ts` of the graded workbook. Each top-level `describe('part: <name>')` is a
 * part; each `it('[N pts] ...')` is worth N points, earned when it passes. Parts are discovered, not listed here:
 * first from the test sources (so a file that cannot even load still shows what it was worth), then from mocha's
 * JSON report. Each file runs in its own mocha process with the graded workbook as working directory, so a stub's
 * "not implemented" error, a compile error or a crash fails that file's tests and nothing else.
 *
 * A workbook without node_modules (a student's submission) borrows this checkout's through a temporary symlink.
 * `--only data,rope` grades only the graded files whose names contain one of the words.
 * The exit status is 0 whenever a report was made; `--expect all` (every point) or `--expect none` (no point)
 * turn the result into a check for CI.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');

export interface GradedTest {
  file: string;
  title: string;
  points: number;
  passed: boolean;
  /** First lines of the failure, when it failed. */
  error?: string;
}

export interface PartResult {
  name: string;
  earned: number;
  possible: number;
  tests: GradedTest[];
}

export interface GradeReport {
  dir: string;
  finished: string;
  earned: number;
  possible: number;
  parts: PartResult[];
  /** Graded files that did not run to the end (load errors, crashes, timeouts). */
  problems: string[];
}

const PART_PREFIX = 'part: ';
const POINTS = /^\[(\d+(?:\.\d+)?) pts?\]/;

/** Points in a test title (`[N pts] ...`), 0 when it has none. */
export function pointsOf(title: string): number {
  const m = POINTS.exec(title);
  return m ? Number(m[1]) : 0;
}

interface DeclaredTest {
  part: string;
  title: string;
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
    else if (m[1] === 'it' && part !== undefined && POINTS.test(title)) out.push({ part, title });
  }
  return out;
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

function runFile(dir: string, file: string, timeoutS: number): FileRun {
  const rel = path.relative(dir, file);
  const declared = declaredTests(fs.readFileSync(file, 'utf8'));
  const known = [...new Set(declared.map((d) => d.part))];
  const jsonOut = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'grade-')), 'mocha.json');
  const mocha = path.join(dir, 'node_modules', 'mocha', 'bin', 'mocha.js');
  const args = [mocha, '--no-config', '--require', 'tsx/cjs', '--extension', 'ts', '--timeout', String(timeoutS * 1000), '--exit',
    '--reporter', 'json', '--reporter-option', `output=${jsonOut}`, rel];
  const run = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8', timeout: timeoutS * 1000, maxBuffer: 64 * 1024 * 1024 });
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
  else if (!report.tests) problem = `${rel}: did not run (${firstLines(run.stderr || run.stdout || String(run.error), 4) || `exit status ${run.status}`})`;

  const passed = new Set((report.passes ?? []).map((t) => t.fullTitle));
  const failures = new Map((report.failures ?? []).map((t) => [t.fullTitle, t]));
  const skipped = new Set((report.pending ?? []).map((t) => t.fullTitle));
  // A failing hook ("before all") keeps its tests from running: their failure is the hook's.
  const hookFailures = (report.failures ?? []).filter((t) => /"(before|after) (all|each)" hook/.test(t.title));
  const tests: GradedTest[] = [];
  const parts: string[] = [...known];
  const seen = new Set<string>();
  for (const t of report.tests ?? []) {
    const part = partOf(t, known);
    if (!part || /"(before|after) (all|each)" hook/.test(t.title)) continue;
    if (!parts.includes(part)) parts.push(part);
    seen.add(`${part}\u0000${t.title}`);
    const ok = passed.has(t.fullTitle);
    const err = failures.get(t.fullTitle)?.err;
    tests.push({ file: rel, title: `${part}\u0000${t.title}`, points: pointsOf(t.title), passed: ok, error: ok ? undefined : skipped.has(t.fullTitle) ? 'skipped (pending): no points' : firstLines(err?.message) || 'failed' });
  }
  for (const d of declared) {
    if (seen.has(`${d.part}\u0000${d.title}`)) continue;
    const hook = hookFailures.find((h) => h.fullTitle.startsWith(PART_PREFIX + d.part));
    const reason = hook ? `${hook.title}: ${firstLines(hook.err?.message)}` : problem ?? 'did not run';
    tests.push({ file: rel, title: `${d.part}\u0000${d.title}`, points: pointsOf(d.title), passed: false, error: reason });
  }
  return { tests, parts, problem };
}

/** Runs every graded file of the workbook in `dir` and adds up the points per part. */
export function grade(dir: string, fileTimeoutS = 1800, only: string[] = []): GradeReport {
  const graded = path.join(dir, 'test', 'graded');
  if (!fs.existsSync(graded)) throw new Error(`${graded} does not exist: is ${dir} a workbook?`);
  const all = fs.readdirSync(graded).filter((f) => f.endsWith('.test.ts')).sort();
  if (!all.length) throw new Error(`no graded tests (*.test.ts) in ${graded}`);
  const chosen = only.length ? all.filter((f) => only.some((o) => f.includes(o))) : all;
  if (!chosen.length) throw new Error(`--only ${only.join(',')} matches none of ${all.join(', ')}`);
  const files = chosen.map((f) => path.join(graded, f));
  const link = path.join(dir, 'node_modules');
  const borrowed = !fs.existsSync(link);
  if (borrowed) fs.symlinkSync(path.join(ROOT, 'node_modules'), link, 'dir');
  const parts = new Map<string, PartResult>();
  const problems: string[] = [];
  try {
    for (const file of files) {
      const run = runFile(dir, file, fileTimeoutS);
      if (run.problem) problems.push(run.problem);
      for (const name of run.parts) if (!parts.has(name)) parts.set(name, { name, earned: 0, possible: 0, tests: [] });
      for (const t of run.tests) {
        const [name, title] = t.title.split('\u0000');
        const part = parts.get(name) as PartResult;
        part.tests.push({ ...t, title });
        part.possible += t.points;
        if (t.passed) part.earned += t.points;
      }
    }
  } finally {
    if (borrowed) fs.unlinkSync(link);
  }
  const list = [...parts.values()];
  return {
    dir,
    finished: new Date().toISOString(),
    earned: list.reduce((s, p) => s + p.earned, 0),
    possible: list.reduce((s, p) => s + p.possible, 0),
    parts: list,
    problems,
  };
}

/** The report as a text table, with the reasons of lost points below it. */
export function formatReport(r: GradeReport): string {
  const width = Math.max(5, ...r.parts.map((p) => p.name.length));
  const row = (name: string, earned: string, possible: string) => `${name.padEnd(width)}  ${earned.padStart(6)}  ${possible.padStart(8)}`;
  const lines = [row('part', 'earned', 'possible'), '-'.repeat(width + 18)];
  for (const p of r.parts) lines.push(row(p.name, String(p.earned), String(p.possible)));
  lines.push('-'.repeat(width + 18), row('total', String(r.earned), String(r.possible)));
  const lost = r.parts.flatMap((p) => p.tests.filter((t) => !t.passed && t.points > 0).map((t) => `  ${p.name}: ${t.title}\n      ${t.error}`));
  if (lost.length) lines.push('', 'points lost:', ...lost);
  if (r.problems.length) lines.push('', 'files that did not run to the end:', ...r.problems.map((p) => `  ${p}`));
  return lines.join('\n');
}

function main(argv: string[]): number {
  let dir = ROOT;
  let json: string | undefined;
  let expect: 'all' | 'none' | undefined;
  let timeout = 1800;
  let only: string[] = [];
  const usage = 'usage: npx tsx scripts/grade.ts [--dir PATH] [--only WORD,...] [--json FILE] [--expect all|none] [--file-timeout SECONDS]';
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined && ['--dir', '--only', '--json', '--expect', '--file-timeout'].includes(flag)) throw new Error(`${flag} needs a value\n${usage}`);
    if (flag === '--dir') dir = path.resolve(argv[++i]);
    else if (flag === '--only') only = argv[++i].split(',').map((s) => s.trim()).filter(Boolean);
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
  const report = grade(dir, timeout, only);
  const out = json ?? path.join(dir, 'build', 'grade.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
  console.log(`graded ${dir} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
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
