/**
 * The autograder's entry point on Gradescope (run by the bundle's `run_autograder`; see scripts/release/autograder.ts):
 * grades the graded files of `<root>/submission` with the bundle's own tests and writes `<root>/results/results.json`
 * in Gradescope's format (https://gradescope-autograders.readthedocs.io/en/latest/specs/).
 *
 *   npx tsx scripts/release/gradescope.ts [--root /autograder]      ($AUTOGRADER_ROOT also sets the root)
 *
 * What the student sees, test by test: the part, the points, and for a failed check its own message (what it called,
 * expected, got, and a hint where the mistake is a known one) with the place in their code. Hidden tests show only
 * their score (one line per part) until the grades are published; then each shows its name and output. The summary
 * says "public tests passed" when hidden tests exist, never "all tests passed". Whatever the student's code prints
 * goes to the instructor-only stdout. A submission may be the workbook folder itself, one folder holding it, or the
 * graded files alone (matched by file name).
 *
 * A test that skips itself on the grading machine (the london baseline's check on the real birth_dev.tsv, where the
 * bundle holds no corpus) is graded for no one: it shows as not graded, worth 0 of 0, and its points are left out of
 * every total, so that a correct submission gets full marks of what this autograder can grade.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { formatReport, grade, GradeReport, gradingBase, GradedTest } from '../grade';

/** The bundle's workbook: the folder above scripts/. */
const WORKBOOK = path.resolve(__dirname, '..', '..');

export interface GradescopeTest {
  name: string;
  number: string;
  score?: number;
  max_score?: number;
  /** Absent for a test this autograder could not run (0 of 0 points). */
  status?: 'passed' | 'failed';
  output: string;
  output_format: 'text';
  tags: string[];
  visibility: 'visible' | 'after_published';
}

export interface GradescopeResults {
  score: number;
  execution_time: number;
  output: string;
  output_format: 'text';
  stdout_visibility: 'hidden';
  tests: GradescopeTest[];
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
const untitled = (title: string): string => title.replace(/^\[[^\]]*\]\s*/, '');

function testOutput(t: GradedTest): string {
  if (t.passed) return 'Passed.';
  if (t.skipped) return `Not graded: this autograder could not run this test (it needs what the grading machine lacks, such as the real corpus), so its ${plural(t.points, 'point')} count for no one.`;
  const lines = [`Failed: ${plural(t.points, 'point')} lost.`, '', t.error ?? 'failed'];
  if (t.where) lines.push('', `In your code: ${t.where}`);
  return lines.join('\n');
}

/** The Gradescope results of a grading report. */
export function toGradescope(report: GradeReport, executionTime: number): GradescopeResults {
  const tests: GradescopeTest[] = [];
  const summary: string[] = [];
  const all = report.parts.flatMap((p) => p.tests);
  const publicTests = all.filter((t) => !t.hidden);
  const hiddenTests = all.filter((t) => t.hidden);
  // Points of the tests this autograder ran: earned ones, or all of them.
  const sum = (ts: GradedTest[], earned: boolean): number => ts.reduce((s, t) => s + (t.skipped || (earned && !t.passed) ? 0 : t.points), 0);
  report.parts.forEach((part, i) => {
    let n = 0;
    for (const t of part.tests.filter((x) => !x.hidden)) {
      tests.push({
        name: `${part.name}: ${untitled(t.title)}${t.skipped ? ' (not graded here)' : ''}`, number: `${i + 1}.${++n}`,
        score: t.passed ? t.points : 0, max_score: t.skipped ? 0 : t.points, ...(t.skipped ? {} : { status: t.passed ? 'passed' : 'failed' }),
        output: testOutput(t), output_format: 'text', tags: [part.name], visibility: 'visible',
      });
    }
    const hidden = part.tests.filter((x) => x.hidden);
    if (hidden.length) {
      const earned = sum(hidden, true);
      const possible = sum(hidden, false);
      tests.push({
        name: `${part.name}: hidden tests`, number: `${i + 1}.${++n}`, score: earned, max_score: possible,
        status: hidden.every((t) => t.passed || t.skipped) ? 'passed' : 'failed', output_format: 'text', tags: [part.name, 'hidden'], visibility: 'visible',
        output: `${plural(hidden.length, 'hidden test')}, ${earned} of ${plural(possible, 'point')}. Their names and output are shown once the grades are published.`,
      });
      // The details: no score of their own (the line above holds it), shown after publication.
      for (const t of hidden) {
        tests.push({
          name: `${part.name}: ${untitled(t.title)} (hidden test, ${plural(t.points, 'point')})`, number: `${i + 1}.${++n}`,
          status: t.passed ? 'passed' : 'failed', output: testOutput(t), output_format: 'text', tags: [part.name, 'hidden'], visibility: 'after_published',
        });
      }
    }
  });

  const pubEarned = sum(publicTests, true);
  const pubPossible = sum(publicTests, false);
  const hiddenPossible = sum(hiddenTests, false);
  if (hiddenTests.length === 0) {
    summary.push(pubEarned === pubPossible ? `All tests passed: ${pubEarned} of ${plural(pubPossible, 'point')}.` : `Tests: ${pubEarned} of ${plural(pubPossible, 'point')}.`);
  } else {
    summary.push(pubEarned === pubPossible ? `Public tests passed: ${pubEarned} of ${plural(pubPossible, 'point')}.` : `Public tests: ${pubEarned} of ${plural(pubPossible, 'point')}.`);
    summary.push(`Hidden tests: ${plural(hiddenTests.length, 'test')} worth ${plural(hiddenPossible, 'point')}, counted in your score; each part shows its hidden score, and the tests themselves are shown once the grades are published.`);
  }
  const partial = report.parts.filter((p) => p.tests.some((t) => !t.passed && !t.skipped && t.points > 0));
  if (partial.length) {
    summary.push('', 'Points lost, by part:');
    for (const p of partial) {
      const lost = p.tests.filter((t) => !t.passed && !t.skipped && t.points > 0);
      const shown = lost.filter((t) => !t.hidden);
      const reasons = shown.map((t) => `${untitled(t.title)}: ${(t.error ?? 'failed').split('\n').find((l) => l.trim()) ?? 'failed'}`);
      const hiddenLost = lost.length - shown.length;
      if (hiddenLost) reasons.push(`${plural(hiddenLost, 'hidden test')}`);
      summary.push(`- ${p.name}: ${sum(p.tests, true)} of ${sum(p.tests, false)} (${reasons.join('; ')})`);
    }
  }
  const notGraded = all.filter((t) => t.skipped);
  if (notGraded.length) {
    const names = notGraded.map((t) => (t.hidden ? 'a hidden test' : `"${untitled(t.title)}"`));
    const points = notGraded.reduce((s, t) => s + t.points, 0);
    summary.push('', `Not graded by this autograder, for anyone (it could not run ${notGraded.length === 1 ? 'it' : 'them'} here): ${names.join(', ')}, ${plural(points, 'point')}.`);
  }
  if (report.missing.length) summary.push('', `Not in your submission, graded as the untouched stubs: ${report.missing.join(', ')}.`);
  if (report.ignored.length) {
    const more = report.ignored.length > 3 ? ` and ${report.ignored.length - 3} more` : '';
    summary.push('', `Only the graded files count. Not used from your submission (changed or added outside them): ${report.ignored.slice(0, 3).join(', ')}${more}.`);
  }
  if (report.problems.length) summary.push('', 'Test files that did not run to the end:', ...report.problems.map((p) => `- ${p}`));
  return {
    score: report.earned,
    execution_time: Math.round(executionTime),
    output: summary.join('\n'),
    output_format: 'text',
    stdout_visibility: 'hidden',
    tests,
  };
}

/** Folders below `dir` (itself first, then breadth first, at most `depth` down) that hold a `lib/` folder. */
function workbookCandidates(dir: string, depth: number): string[] {
  const out: string[] = [];
  let level = [dir];
  for (let d = 0; d <= depth && level.length; d++) {
    const next: string[] = [];
    for (const folder of level) {
      if (fs.existsSync(path.join(folder, 'lib')) && fs.statSync(path.join(folder, 'lib')).isDirectory()) out.push(folder);
      for (const e of fs.readdirSync(folder, { withFileTypes: true })) if (e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules' && e.name !== '__MACOSX') next.push(path.join(folder, e.name));
    }
    level = next.sort();
  }
  return out;
}

function filesBelow(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? (e.name === 'node_modules' ? [] : filesBelow(p)) : e.isFile() ? [p] : [];
  });
}

/**
 * The workbook inside a submission: the submission itself or a folder in it holding `lib/`; else a temporary
 * workbook made of the graded files found by name (an upload of the files alone).
 */
export function findSubmission(submission: string, gradedFiles: readonly string[]): { dir: string; note?: string; temporary?: boolean } {
  if (!fs.existsSync(submission)) throw new Error(`there is no submission folder (${submission})`);
  const found = workbookCandidates(submission, 3);
  if (found.length) {
    const note = found[0] === submission ? undefined : `graded the workbook in ${path.relative(submission, found[0])}/ of the submission`;
    return { dir: found[0], note };
  }
  const byName = new Map<string, string[]>();
  for (const f of filesBelow(submission)) byName.set(path.basename(f), [...(byName.get(path.basename(f)) ?? []), f]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'submission-'));
  const matched: string[] = [];
  for (const g of gradedFiles) {
    const hits = byName.get(path.basename(g)) ?? [];
    const taken = hits.length === 1 ? hits[0] : hits.find((h) => h.split(path.sep).join('/').endsWith(g));
    if (!taken) continue;
    fs.mkdirSync(path.dirname(path.join(dir, g)), { recursive: true });
    fs.copyFileSync(taken, path.join(dir, g));
    matched.push(g);
  }
  return { dir, temporary: true, note: `no lib/ folder in the submission: took the graded files by name (${matched.length ? matched.join(', ') : 'none found'})` };
}

function main(argv: string[]): void {
  let root = process.env.AUTOGRADER_ROOT || '/autograder';
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--root' && argv[i + 1]) root = argv[++i];
    else throw new Error(`unknown argument "${argv[i]}"\nusage: npx tsx scripts/release/gradescope.ts [--root /autograder]`);
  }
  const resultsFile = path.join(root, 'results', 'results.json');
  fs.mkdirSync(path.dirname(resultsFile), { recursive: true });
  const started = Date.now();
  let results: GradescopeResults;
  try {
    const base = gradingBase(WORKBOOK);
    const sub = findSubmission(path.join(root, 'submission'), base.manifest.gradedFiles);
    try {
      const report = grade({ submission: sub.dir, base: WORKBOOK, fileTimeoutS: Number(process.env.AUTOGRADER_FILE_TIMEOUT || 900) });
      console.log(formatReport(report));
      const notRun = report.parts.flatMap((p) => p.tests.filter((t) => t.skipped).map((t) => `${p.name}: ${untitled(t.title)} (${plural(t.points, 'point')})`));
      // stdout is the instructor's: what a full score means here.
      if (notRun.length) console.log(`\nNot graded on this machine, for anyone (the tests skipped themselves; the real corpus is not in the bundle): ${notRun.join('; ')}. Full marks here are ${report.possible - report.parts.flatMap((p) => p.tests).filter((t) => t.skipped).reduce((s, t) => s + t.points, 0)} points.`);
      results = toGradescope(report, (Date.now() - started) / 1000);
      if (sub.note) results.output = `${results.output}\n\n(${sub.note})`;
    } finally {
      if (sub.temporary) fs.rmSync(sub.dir, { recursive: true, force: true });
    }
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    console.error(`autograder failed: ${e instanceof Error ? e.stack : message}`);
    results = { score: 0, execution_time: Math.round((Date.now() - started) / 1000), output: `The autograder could not grade this submission: ${message}`, output_format: 'text', stdout_visibility: 'hidden', tests: [] };
  }
  fs.writeFileSync(resultsFile, JSON.stringify(results, null, 2) + '\n');
  console.log(`\nresults: ${resultsFile} (score ${results.score})`);
}

if (require.main === module) main(process.argv.slice(2));
