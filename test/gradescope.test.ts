/**
 * The Gradescope autograder of THIS workbook, rehearsed: `npm run release`'s bundle is zipped, unzipped into a
 * Gradescope-like layout under a temporary root (AUTOGRADER_ROOT stands for /autograder; node_modules linked in
 * place of setup.sh's `npm ci`), and its `run_autograder` grades three submissions: the reference (full marks), the
 * untouched release (zero) and the reference with RoPE turning the wrong way (partial credit, with the inputs,
 * expected and got, and the hint). Each results.json is checked against Gradescope's format.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { autograderManifest, release } from '../scripts/release';
import { writeAutograder, zipAutograder } from '../scripts/release/autograder';
import { GradescopeResults, GradescopeTest, toGradescope } from '../scripts/release/gradescope';
import { GradedTest, GradeReport } from '../scripts/grade';

const ROOT = path.resolve(__dirname, '..');
const VISIBILITY = ['hidden', 'after_due_date', 'after_published', 'visible'];

/** Checks a results.json against Gradescope's autograder spec (the fields this grader writes). */
function checkFormat(r: GradescopeResults): void {
  assert.equal(typeof r.score, 'number');
  assert.ok(Number.isFinite(r.execution_time) && r.execution_time >= 0);
  assert.equal(typeof r.output, 'string');
  assert.ok(VISIBILITY.includes(r.stdout_visibility));
  assert.ok(Array.isArray(r.tests) && r.tests.length > 0);
  const allowed = new Set(['score', 'max_score', 'status', 'name', 'name_format', 'number', 'output', 'output_format', 'tags', 'visibility', 'extra_data']);
  for (const t of r.tests) {
    for (const key of Object.keys(t)) assert.ok(allowed.has(key), `unknown test field ${key}`);
    assert.equal(typeof t.name, 'string');
    // No status only for a test this autograder could not run: 0 of 0 points.
    if (t.status === undefined) assert.ok(t.score === 0 && t.max_score === 0, `${t.name} has no status`);
    else assert.ok(['passed', 'failed'].includes(t.status));
    assert.ok(VISIBILITY.includes(t.visibility));
    assert.ok(['text', 'html', 'simple_format', 'md', 'ansi'].includes(t.output_format));
    if (t.score !== undefined) assert.ok(typeof t.max_score === 'number' && t.score >= 0 && t.score <= t.max_score, `${t.name}: ${t.score} of ${t.max_score}`);
  }
  // Every point is counted once: by the visible tests (public tests and the per-part score of hidden ones).
  const scored = r.tests.filter((t) => t.score !== undefined);
  assert.ok(scored.every((t) => t.visibility === 'visible'));
  assert.ok(Math.abs(scored.reduce((s, t) => s + (t.score ?? 0), 0) - r.score) < 1e-9, 'the tests add up to the score');
}

const possible = (r: GradescopeResults): number => r.tests.reduce((s, t) => s + (t.max_score ?? 0), 0);
const byName = (r: GradescopeResults, re: RegExp): GradescopeTest => {
  const t = r.tests.find((x) => re.test(x.name));
  assert.ok(t, `no test named ${re}`);
  return t;
};

describe('Gradescope autograder bundle of this workbook', function () {
  this.timeout(600_000);
  let tmp: string;
  let student: string;
  let ag: string;
  let hiddenCount = 0;

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gradescope-'));
    student = path.join(tmp, 'student');
    const report = release(ROOT, student);
    hiddenCount = report.hiddenTests.length;
    const bundle = path.join(tmp, 'autograder');
    writeAutograder(ROOT, student, bundle, autograderManifest(report), report.hiddenTests.reduce((s, t) => s + t.points, 0));
    zipAutograder(bundle, `${bundle}.zip`);
    // Gradescope unzips the bundle into /autograder/source and copies run_autograder to /autograder.
    ag = path.join(tmp, 'ag');
    fs.mkdirSync(path.join(ag, 'source'), { recursive: true });
    const unzip = spawnSync('unzip', ['-q', `${bundle}.zip`, '-d', path.join(ag, 'source')], { encoding: 'utf8' });
    if (unzip.error) {
      // No unzip here: Python's zipfile, restoring the permissions as unzip does.
      const extract = 'import sys, zipfile, os\nz = zipfile.ZipFile(sys.argv[1])\nfor i in z.infolist():\n    p = z.extract(i, sys.argv[2])\n    os.chmod(p, (i.external_attr >> 16) & 0o777 or 0o644)';
      const py = spawnSync('python3', ['-c', extract, `${bundle}.zip`, path.join(ag, 'source')], { encoding: 'utf8' });
      if (py.error) fs.cpSync(bundle, path.join(ag, 'source'), { recursive: true }); // neither: the bundle as written
      else assert.equal(py.status, 0, py.stderr);
    } else {
      assert.equal(unzip.status, 0, unzip.stderr);
    }
    fs.copyFileSync(path.join(ag, 'source', 'run_autograder'), path.join(ag, 'run_autograder'));
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(ag, 'source', 'workbook', 'node_modules'), 'dir');
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** Puts a submission in place, runs run_autograder, returns results.json. */
  function autograde(fill: (submission: string) => void): GradescopeResults {
    fs.rmSync(path.join(ag, 'submission'), { recursive: true, force: true });
    fs.rmSync(path.join(ag, 'results'), { recursive: true, force: true });
    fs.mkdirSync(path.join(ag, 'submission'), { recursive: true });
    fill(path.join(ag, 'submission'));
    const run = spawnSync('bash', [path.join(ag, 'run_autograder')], { cwd: ag, encoding: 'utf8', env: { ...process.env, AUTOGRADER_ROOT: ag } });
    assert.equal(run.status, 0, run.stderr);
    const results = JSON.parse(fs.readFileSync(path.join(ag, 'results', 'results.json'), 'utf8')) as GradescopeResults;
    checkFormat(results);
    return results;
  }

  it('the bundle holds setup.sh, run_autograder and the tests, hidden ones included, and no solution', () => {
    const source = path.join(ag, 'source');
    for (const f of ['setup.sh', 'run_autograder']) assert.ok(fs.statSync(path.join(source, f)).mode & 0o100, `${f} is executable`);
    assert.match(fs.readFileSync(path.join(source, 'workbook/test/graded/attention.test.ts'), 'utf8'), /BEGIN HIDDEN TESTS/);
    assert.match(fs.readFileSync(path.join(source, 'workbook/lib/positional/rope.ts'), 'utf8'), /not implemented: RoPE/);
    assert.doesNotMatch(fs.readFileSync(path.join(source, 'workbook/lib/positional/rope.ts'), 'utf8'), /out\[2 \* j\] = re \* c - im \* s/);
    assert.ok(hiddenCount > 0);
  });

  it('the reference earns full marks of what the autograder can grade (with the real corpus or without)', () => {
    const r = autograde((sub) => fs.cpSync(path.join(ROOT, 'lib'), path.join(sub, 'lib'), { recursive: true }));
    assert.deepEqual(r.tests.filter((t) => t.status === 'failed').map((t) => `${t.name}: ${t.output}`), []);
    assert.equal(r.score, possible(r));
    assert.match(r.output, /^Public tests passed: (\d+) of \1 points\.\nHidden tests: \d+ tests worth \d+ points/);
    assert.doesNotMatch(r.output, /all tests passed/i);
    // Hidden tests: one visible score line per part, the details only after publication.
    const hiddenSummary = byName(r, /^single-head attention: hidden tests$/);
    assert.equal(hiddenSummary.visibility, 'visible');
    assert.equal(hiddenSummary.score, hiddenSummary.max_score);
    assert.match(hiddenSummary.output, /^3 hidden tests, 4 of 4 points\. Their names and output are shown once the grades are published\.$/);
    const details = r.tests.filter((t) => t.tags.includes('hidden') && !/hidden tests$/.test(t.name));
    assert.equal(details.length, hiddenCount);
    assert.ok(details.every((t) => t.visibility === 'after_published' && t.score === undefined));
    assert.ok(r.tests.filter((t) => t.visibility === 'visible').every((t) => !/e\^beta|drawback/.test(t.name + t.output)), 'nothing visible names a hidden test');
  });

  it('the untouched release, uploaded as a folder, earns nothing, and every stub says where it is', () => {
    const r = autograde((sub) => fs.cpSync(student, path.join(sub, 'my-workbook'), { recursive: true }));
    assert.equal(r.score, 0);
    assert.match(r.output, /^Public tests: 0 of \d+ points\./);
    assert.match(r.output, /graded the workbook in my-workbook\/ of the submission/);
    assert.doesNotMatch(r.output, /Not used from your submission/, 'an untouched release has nothing to ignore');
    const stub = byName(r, /^RoPE: rotations match a hand computation$/);
    // The line of the stub's throw in the release's rope.ts, found there rather than written here.
    const released = fs.readFileSync(path.join(student, 'lib/positional/rope.ts'), 'utf8').split('\n');
    const throwsAt = released.findIndex((l, i) => /not implemented: RoPE/.test(l) && released.slice(0, i).some((p) => /function rotateAsComplex/.test(p))) + 1;
    assert.ok(throwsAt > 0, 'the release stubs rotateAsComplex');
    assert.equal(stub.output, `Failed: 2 points lost.\n\nnot implemented: RoPE (rotateAsComplex in lib/positional/rope.ts:${throwsAt})\n\nIn your code: lib/positional/rope.ts:${throwsAt} (rotateAsComplex)`);
  });

  it('RoPE turning the wrong way: partial credit, and the output shows the inputs, expected and got, and the hint', () => {
    const r = autograde((sub) => {
      fs.cpSync(path.join(ROOT, 'lib'), path.join(sub, 'lib'), { recursive: true });
      const rope = path.join(sub, 'lib/positional/rope.ts');
      const source = fs.readFileSync(rope, 'utf8');
      const seeded = source.replace(/(export function rotateAsComplex[\s\S]*?)const s = Math\.sin\(t \* th\);/, '$1const s = -Math.sin(t * th);');
      assert.notEqual(seeded, source);
      fs.writeFileSync(rope, seeded);
      // A tampered test in the submission changes nothing.
      fs.mkdirSync(path.join(sub, 'test/graded'), { recursive: true });
      fs.writeFileSync(path.join(sub, 'test/graded/positional.test.ts'), "describe('part: RoPE', () => { it('[2 pts] rotations match a hand computation', () => {}); });\n");
    });
    const reference = autograde((sub) => fs.cpSync(path.join(ROOT, 'lib'), path.join(sub, 'lib'), { recursive: true }));
    const rotations = byName(r, /^RoPE: rotations match a hand computation$/);
    assert.equal(rotations.score, 0);
    assert.equal(rotations.output, [
      'Failed: 2 points lost.',
      '',
      'rotateAsComplex(x = [1, 0], t = 1)',
      '  expected [0.540302, 0.841471] (each entry within 1e-12)',
      '  got      [0.540302, -0.841471]',
      '  first difference at [1]: got -0.841471, expected 0.841471',
      '  hint: this is the rotation by -t theta_j: your rotation turns the wrong way. Pair j, read as z = x[2j] + i x[2j+1], is multiplied by e^(+i t theta_j): out[2j] = x[2j] cos - x[2j+1] sin, out[2j+1] = x[2j] sin + x[2j+1] cos.',
    ].join('\n'));
    const forms = byName(r, /^RoPE: the rotation matrix is block diagonal/);
    assert.equal(forms.score, 0);
    assert.match(forms.output, /hint: the matrix form is right here; rotateAsComplex is not\./);
    assert.equal(r.score, reference.score - 4);
    assert.match(r.output, /\nPoints lost, by part:\n(- london baseline: .*skipped.*\n)?- RoPE: 5 of 9 \(rotations match a hand computation: rotateAsComplex\(x = \[1, 0\], t = 1\); the rotation matrix is block diagonal/);
    assert.match(r.output, /Only the graded files count\. Not used from your submission \(changed or added outside them\): test\/graded\/positional\.test\.ts\./);
  });
});

describe('Gradescope results of a report with a test the grader could not run', () => {
  const test = (title: string, points: number, extra: Partial<GradedTest>): GradedTest => ({ file: 'test/graded/x.test.ts', title, points, passed: true, hidden: false, ...extra });
  const tests = [
    test('[3 pts] counts', 3, {}),
    test('[2 pts] exactly 5.00% on the real birth_dev.tsv', 2, { passed: false, skipped: true, error: 'skipped (pending): no points' }),
    test('[1 pts] rounds', 1, { passed: false, error: 'london(x = 1)\n  expected 1\n  got      2' }),
    test('[4 pts] secret', 4, { hidden: true }),
  ];
  const report: GradeReport = {
    dir: '/s', base: '/b', finished: '', earned: 7, possible: 10, problems: [], taken: [], missing: [], ignored: [], warnings: [],
    parts: [{ name: 'london baseline', earned: 7, possible: 10, tests }],
  };
  const r = toGradescope(report, 1);

  it('leaves it out of every total, says so, and charges the student nothing for it', () => {
    checkFormat(r);
    assert.equal(r.score, 7);
    assert.equal(possible(r), 8, '3 + 1 public, 4 hidden: the skipped 2 counted for no one');
    const skipped = byName(r, /real birth_dev/);
    assert.deepEqual([skipped.name, skipped.score, skipped.max_score, skipped.status], ['london baseline: exactly 5.00% on the real birth_dev.tsv (not graded here)', 0, 0, undefined]);
    assert.match(skipped.output, /^Not graded: this autograder could not run this test .*, so its 2 points count for no one\.$/);
    assert.equal(r.output, [
      'Public tests: 3 of 4 points.',
      'Hidden tests: 1 test worth 4 points, counted in your score; each part shows its hidden score, and the tests themselves are shown once the grades are published.',
      '',
      'Points lost, by part:',
      '- london baseline: 7 of 8 (rounds: london(x = 1))',
      '',
      'Not graded by this autograder, for anyone (it could not run it here): "exactly 5.00% on the real birth_dev.tsv", 2 points.',
    ].join('\n'));
  });
});
