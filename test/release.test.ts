/**
 * Student release and autograder, on a small workbook written to a temporary folder: solution regions become
 * stubs, the release compiles, the reference earns every graded point and the untouched release none, and a graded
 * file that cannot even load still reports what it was worth.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { declaredTests, formatReport, grade, GradeReport, pointsOf, whereInLib } from '../scripts/grade';
import { checkRelease, release, ReleaseReport } from '../scripts/release';
import { functionsAround } from '../scripts/release/guide';
import { hiddenTestsOf } from '../scripts/release/manifest';
import { stripSolutions } from '../scripts/release/solutions';
import { readNotebook, text } from '../scripts/site/notebook';

describe('release markers', () => {
  it('replace each solution region, markers included, by a stub that says where it is', () => {
    const src = ['export function f(x: number): number {', '  // BEGIN SOLUTION squares', '  const y = x * x;', '  return y;', '  // END SOLUTION', '}', ''].join('\n');
    const s = stripSolutions(src, 'code', 'lib/f.ts', { functionAt: functionsAround(src) });
    assert.equal(s.text, ['export function f(x: number): number {', "  throw new Error('not implemented: squares (f in lib/f.ts:2)');", '}', ''].join('\n'));
    assert.deepEqual(s.regions, [{ kind: 'solution', part: 'squares', line: 2, lines: 4, stubLine: 2 }]);
  });

  it('handle several regions, methods, and markdown answers and derivations', () => {
    const code = stripSolutions('a\n// BEGIN SOLUTION one\nx\n// END SOLUTION\nb\n    // BEGIN SOLUTION two words\n    y\n    // END SOLUTION', 'code', 'f');
    assert.equal(code.text, "a\nthrow new Error('not implemented: one (f:2)');\nb\n    throw new Error('not implemented: two words (f:4)');");
    assert.deepEqual(code.regions.map((r) => r.part), ['one', 'two words']);
    const cls = 'class A {\n  m(): number {\n    // BEGIN SOLUTION p\n    return 1;\n    // END SOLUTION\n  }\n}\n';
    assert.match(stripSolutions(cls, 'code', 'lib/a.ts', { functionAt: functionsAround(cls) }).text, /not implemented: p \(A\.m in lib\/a\.ts:3\)/);
    const md = stripSolutions('Q?\n<!-- BEGIN SOLUTION derivation -->\n$a = b$\n<!-- END SOLUTION -->\nWhy?\n<!-- BEGIN DERIVATION copying -->\nbecause\n<!-- END DERIVATION -->\nEnd.', 'markdown', 'nb');
    assert.equal(md.text, 'Q?\n> **Your answer (derivation):** _write it here._\nWhy?\n> **Your derivation (copying; graded by hand):** _write it here._\nEnd.');
    assert.deepEqual(md.regions.map((r) => [r.kind, r.part]), [['solution', 'derivation'], ['derivation', 'copying']]);
    // In code, a derivation marks lines that print the answer: they go, without a stub.
    const printed = stripSolutions('f();\n// BEGIN DERIVATION copying\nconsole.log(Math.exp(5) / (Math.exp(5) + 3));\n// END DERIVATION\ng();', 'code', 'nb cell 3');
    assert.equal(printed.text, 'f();\ng();');
    assert.deepEqual(printed.regions.map((r) => [r.kind, r.part, r.lines]), [['derivation', 'copying', 3]]);
  });

  it('hidden tests go without a stub, and only when asked for', () => {
    const src = "describe('part: p', () => {\n  it('[1 pts] a', () => {});\n  // BEGIN HIDDEN TESTS\n  it('[2 pts] b', () => {});\n  // END HIDDEN TESTS\n});\n";
    assert.equal(stripSolutions(src, 'code', 't.ts').text, src, 'kept unless asked for');
    const s = stripSolutions(src, 'code', 't.ts', { kinds: ['hidden'] });
    assert.equal(s.text, "describe('part: p', () => {\n  it('[1 pts] a', () => {});\n});\n");
    assert.deepEqual(hiddenTestsOf(src, 't.ts'), [{ part: 'p', title: '[2 pts] b' }]);
  });

  it('reject broken marker pairs, naming the file and line', () => {
    assert.throws(() => stripSolutions('// BEGIN SOLUTION a\n// BEGIN SOLUTION b\n// END SOLUTION', 'code', 'lib/x.ts'), /^Error: lib\/x\.ts:2: BEGIN SOLUTION inside the region opened at line 1/);
    assert.throws(() => stripSolutions('x\n// BEGIN SOLUTION a\ny', 'code', 'lib/x.ts'), /lib\/x\.ts:2: BEGIN SOLUTION a is never closed/);
    assert.throws(() => stripSolutions('// END SOLUTION', 'code', 'lib/x.ts'), /lib\/x\.ts:1: END SOLUTION without a BEGIN/);
    assert.throws(() => stripSolutions('// BEGIN SOLUTION\n// END SOLUTION', 'code', 'lib/x.ts'), /lib\/x\.ts:1: BEGIN SOLUTION needs a name/);
    assert.throws(() => stripSolutions("f(); // BEGIN SOLUTION a", 'code', 'lib/x.ts'), /lib\/x\.ts:1: a marker must stand alone/);
    assert.throws(() => stripSolutions("// BEGIN SOLUTION it's\n// END SOLUTION", 'code', 'lib/x.ts'), /may not contain quotes/);
    assert.throws(() => stripSolutions('// BEGIN HIDDEN TESTS\n// END SOLUTION', 'code', 't.ts', { kinds: ['hidden'] }), /t\.ts:2: END SOLUTION closes the BEGIN HIDDEN TESTS of line 1/);
    assert.throws(() => stripSolutions('<!-- BEGIN DERIVATION -->\n<!-- END DERIVATION -->', 'markdown', 'nb'), /nb:1: BEGIN DERIVATION needs a name/);
  });
});

describe('graded test discovery', () => {
  it('reads parts and points from the source', () => {
    const src = `describe('part: span corruption', () => {\n  it('[2 pts] first', () => {});\n  describe("details", () => {\n    it("[1 pts] nested", () => {});\n  });\n  it('helper without points', () => {});\n});\ndescribe(\`part: RoPE\`, () => { it(\`[3 pts] rotates\`, () => {}); });`;
    assert.deepEqual(declaredTests(src).map(({ part, title }) => ({ part, title })), [
      { part: 'span corruption', title: '[2 pts] first' },
      { part: 'span corruption', title: '[1 pts] nested' },
      { part: 'RoPE', title: '[3 pts] rotates' },
    ]);
    assert.equal(pointsOf('[2 pts] x'), 2);
    assert.equal(pointsOf('[1 pt] x'), 1);
    assert.equal(pointsOf('[0.5 pts] x'), 0.5);
    assert.equal(pointsOf('no points'), 0);
  });

  it('finds the place in lib/ of a failure from its stack', () => {
    const stack = 'Error: not implemented: x\n    at square (/tmp/ws/lib/squares.ts:6:9)\n    at Context.<anonymous> (/tmp/ws/test/graded/squares.test.ts:4:30)';
    assert.equal(whereInLib(stack, '/tmp/ws'), 'lib/squares.ts:6 (square)');
    assert.equal(whereInLib('Error\n    at Context.<anonymous> (/tmp/ws/test/x.test.ts:1:1)', '/tmp/ws'), undefined);
  });
});

/**
 * A small workbook: `squares` (3 points, one nested describe, and 1 point hidden), `cubes` (2 points, its module
 * fails to load when stubbed) and `extras` (1 point with no solution behind it, 2 points in a skipped test); a
 * notebook that imports `square`, with a derivation and a code-cell solution.
 */
function writeWorkbook(root: string): void {
  const files: Record<string, string> = {
    'package.json': JSON.stringify({ name: 'mini', private: true, scripts: { test: 'mocha', release: 'tsx scripts/release.ts' } }, null, 2),
    'tsconfig.json': JSON.stringify({ compilerOptions: { target: 'ES2020', module: 'commonjs', strict: true, noUnusedLocals: true, esModuleInterop: true, skipLibCheck: true, types: ['node', 'mocha'] }, include: ['lib/**/*.ts', 'test/**/*.ts'] }, null, 2),
    'lib/util.ts': 'export function times(a: number, b: number): number {\n  return a * b;\n}\n',
    'lib/squares.ts': [
      "import { times } from './util';",
      '',
      '/** x squared. */',
      'export function square(x: number): number {',
      '  if (!Number.isFinite(x)) {',
      '    // BEGIN SOLUTION squares',
      "    throw new Error('square: x must be finite');",
      '    // END SOLUTION',
      '  }',
      '  // BEGIN SOLUTION squares',
      '  return times(x, x);',
      '  // END SOLUTION',
      '}',
      '',
    ].join('\n'),
    'lib/cubes.ts': ['export function cube(x: number): number {', '  // BEGIN SOLUTION cubes', '  return x * x * x;', '  // END SOLUTION', '}', '', '/** Computed when the module loads: a stub makes the import itself fail. */', 'export const CUBES = [1, 2, 3].map(cube);', ''].join('\n'),
    'test/graded/check.ts': fs.readFileSync(path.join(__dirname, 'graded', 'check.ts'), 'utf8'),
    'test/graded/squares.test.ts': [
      "import * as assert from 'node:assert/strict';",
      "import { square } from '../../lib/squares';",
      "import { expectClose } from './check';",
      "describe('part: squares', () => {",
      "  it('[2 pts] squares 3', () => expectClose(square(3), 9, { call: 'square(3)', tol: 0, mistakes: [{ value: 6, hint: 'x + x is twice x, not its square.' }] }));",
      "  describe('errors', () => {",
      "    it('[1 pts] rejects NaN', () => assert.throws(() => square(NaN), /must be finite/));",
      '  });',
      '  // BEGIN HIDDEN TESTS',
      "  it('[1 pts] squares -2', () => expectClose(square(-2), 4, { call: 'square(-2)', tol: 0 }));",
      '  // END HIDDEN TESTS',
      '});',
      '',
    ].join('\n'),
    'test/graded/cubes.test.ts': ["import * as assert from 'node:assert/strict';", "import { CUBES, cube } from '../../lib/cubes';", "describe('part: cubes', () => {", "  it('[1 pts] cube of 2', () => assert.equal(cube(2), 8));", "  it('[1 pts] table', () => assert.deepEqual(CUBES, [1, 8, 27]));", '});', ''].join('\n'),
    'test/graded/skips.test.ts': ["describe('part: extras', () => {", "  it('[1 pts] runs', () => undefined);", "  it.skip('[2 pts] needs the corpus', () => undefined);", '});', ''].join('\n'),
    'notebooks/01-mini.ipynb': JSON.stringify({
      cells: [
        { cell_type: 'markdown', id: 'a', metadata: {}, source: ['# Mini\n', '\n', 'Why is $x^2$ positive?\n', '<!-- BEGIN DERIVATION positivity -->\n', 'Because $x \\cdot x$ has the sign of $x$ twice.\n', '<!-- END DERIVATION -->'] },
        { cell_type: 'code', id: 'b', metadata: {}, execution_count: null, outputs: [], source: ["import { square } from './lib/squares';\n", 'function twice(x: number): number {\n', '  // BEGIN SOLUTION doubling\n', '  return 2 * x;\n', '  // END SOLUTION\n', '}'] },
      ],
      metadata: { kernelspec: { name: 'workbook-tslab', display_name: 'TypeScript (workbook)', language: 'typescript' } },
      nbformat: 4,
      nbformat_minor: 5,
    }),
    '.ci/run': 'echo instructor CI\n',
    'scripts/release.ts': '// instructor tooling\n',
  };
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), content);
  }
}

const earned = (r: GradeReport): [string, number, number][] => r.parts.map((p) => [p.name, p.earned, p.possible]);

describe('student release and grading of a workbook', function () {
  this.timeout(180_000);
  let tmp: string;
  let reference: string;
  let student: string;
  let report: ReleaseReport;

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'release-'));
    reference = path.join(tmp, 'reference');
    student = path.join(tmp, 'student');
    writeWorkbook(reference);
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('stubs every region where it says, hides hidden tests and derivations, and leaves instructor files out', () => {
    report = release(reference, student);
    assert.deepEqual(report.parts, ['cubes', 'squares', 'doubling']);
    assert.equal(report.regions.length, 4);
    const squares = fs.readFileSync(path.join(student, 'lib/squares.ts'), 'utf8');
    assert.match(squares, /^ {4}throw new Error\('not implemented: squares \(square in lib\/squares\.ts:6\)'\);$/m);
    assert.match(squares, /^ {2}throw new Error\('not implemented: squares \(square in lib\/squares\.ts:8\)'\);$/m);
    assert.equal(squares.split('\n')[5].trim().startsWith("throw new Error('not implemented: squares (square in lib/squares.ts:6)"), true, 'the line it names is its own');
    assert.doesNotMatch(squares, /times\(x, x\)|SOLUTION/);
    const tests = fs.readFileSync(path.join(student, 'test/graded/squares.test.ts'), 'utf8');
    assert.doesNotMatch(tests, /squares -2|HIDDEN/);
    assert.match(tests, /\[2 pts\] squares 3/);
    assert.deepEqual(report.hiddenTests, [{ part: 'squares', title: '[1 pts] squares -2', file: 'test/graded/squares.test.ts', points: 1 }]);
    assert.equal(fs.existsSync(path.join(student, '.ci/run')), false);
    assert.equal(fs.existsSync(path.join(student, 'scripts/release.ts')), false);
    const tsconfig = JSON.parse(fs.readFileSync(path.join(student, 'tsconfig.json'), 'utf8')) as { compilerOptions: Record<string, unknown> };
    assert.equal(tsconfig.compilerOptions.noUnusedLocals, false);
    const pkg = JSON.parse(fs.readFileSync(path.join(student, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.equal(pkg.scripts.release, undefined);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(student, 'grading.json'), 'utf8')), { format: 'workbook-grading/1', gradedFiles: ['lib/cubes.ts', 'lib/squares.ts'], hiddenTests: [] });
    const assignment = fs.readFileSync(path.join(student, 'ASSIGNMENT.md'), 'utf8');
    assert.match(assignment, /\*\*squares\*\*: `square` in lib\/squares\.ts:6, `square` in lib\/squares\.ts:8/);
    assert.match(assignment, /notebooks\/01-mini\.ipynb: \*positivity\*/);
    assert.match(assignment, /hidden tests \(1 points\)/);
  });

  it('each notebook opens with what it asks for, where, and the command that checks it', () => {
    const nb = readNotebook(path.join(student, 'notebooks/01-mini.ipynb'));
    const top = text(nb.cells[0].source);
    assert.equal(top.split('\n')[0], '# Mini');
    assert.match(top, /^> - part \*squares\*: `square` in `lib\/squares\.ts`$/m);
    assert.match(top, /^> - part \*doubling\*: `twice` in cell 2 of this notebook$/m);
    assert.match(top, /^> - derivations graded by hand: \*positivity\*/m);
    assert.match(top, /`npm run grade -- --part "squares,doubling"`/);
    assert.match(top, /Why is \$x\^2\$ positive\?\n> \*\*Your derivation \(positivity; graded by hand\):\*\* _write it here\._$/);
    assert.doesNotMatch(top, /sign of \$x\$ twice/);
    assert.equal(text(nb.cells[1].source), "import { square } from './lib/squares';\nfunction twice(x: number): number {\n  throw new Error('not implemented: doubling (twice in notebooks/01-mini.ipynb cell 2:3)');\n}");
    assert.deepEqual(report.guides.map((g) => [g.notebook, g.asks.map((a) => a.part), g.derivations]), [['notebooks/01-mini.ipynb', ['squares', 'doubling'], ['positivity']]]);
  });

  it('the release compiles and its notebooks are valid (with the unused import left behind)', () => {
    assert.deepEqual(checkRelease(student), []);
    assert.equal(fs.existsSync(path.join(student, 'node_modules')), false, 'the borrowed node_modules link is removed');
  });

  it('the check finds a leftover marker and a compile error', () => {
    const broken = path.join(tmp, 'broken');
    fs.cpSync(student, broken, { recursive: true });
    fs.appendFileSync(path.join(broken, 'lib/util.ts'), '// END HIDDEN TESTS\nexport const n: number = "x";\n');
    const problems = checkRelease(broken).join('\n');
    assert.match(problems, /lib\/util\.ts:4: a marker is left/);
    assert.match(problems, /tsc --noEmit fails[\s\S]*lib\/util\.ts\(5,14\)/);
  });

  it('the reference earns every point that runs, hidden tests included; a skipped test earns none', () => {
    const r = grade({ submission: reference, base: reference, fileTimeoutS: 120 });
    assert.deepEqual(earned(r), [['cubes', 2, 2], ['extras', 1, 3], ['squares', 4, 4]]);
    assert.equal(r.earned, 7);
    assert.equal(r.parts[1].tests.find((t) => !t.passed)?.error, 'skipped (pending): no points');
    assert.deepEqual(r.parts[2].tests.map((t) => [t.title, t.hidden]), [['[2 pts] squares 3', false], ['[1 pts] squares -2', true], ['[1 pts] rejects NaN', false]]);
    assert.deepEqual(r.problems, []);
    assert.deepEqual([r.taken, r.missing, r.ignored, r.warnings], [['lib/cubes.ts', 'lib/squares.ts'], [], [], []]);
    assert.equal(fs.existsSync(path.join(reference, 'node_modules')), false);
  });

  it('the untouched release earns nothing from stubbed parts; failures point at the stub in the .ts file', () => {
    const r = grade({ submission: student, base: reference, fileTimeoutS: 120 });
    assert.deepEqual(earned(r), [['cubes', 0, 2], ['extras', 1, 3], ['squares', 0, 4]]);
    const squares = r.parts[2].tests;
    assert.equal(squares[0].error, 'not implemented: squares (square in lib/squares.ts:8)');
    assert.equal(squares[0].where, 'lib/squares.ts:8 (square)');
    assert.match(squares[2].error ?? '', /The input did not match the regular expression \/must be finite\/[\s\S]*not implemented: squares \(square in lib\/squares\.ts:6\)/);
    assert.equal(squares[2].where, undefined, 'assert.throws caught the stub: the failure is the assertion');
    assert.equal(r.problems.length, 1);
    assert.match(r.problems[0], /^test\/graded\/cubes\.test\.ts: did not run \(.*not implemented: cubes \(cube in lib\/cubes\.ts:2\) \| +at cube \(lib\/cubes\.ts:2:9\)/);
    assert.deepEqual(r.ignored, [], 'nothing of the untouched release is reported as ignored (its tests lack the hidden ones, as released)');
    const table = formatReport(r);
    assert.match(table, /^squares +0 +4$/m);
    assert.match(table, /^total +1 +9$/m);
    assert.match(table, /squares: \[1 pts\] squares -2 \(hidden test\)/);
  });

  it("a student's own tests, package.json and other lib files change nothing: only the graded files are taken", () => {
    const tampered = path.join(tmp, 'tampered');
    fs.cpSync(student, tampered, { recursive: true });
    // Every graded test replaced by one that passes whatever the code does, a new free test, and more.
    const empty = "describe('part: squares', () => { it('[2 pts] squares 3', () => {}); it('[1 pts] rejects NaN', () => {}); it('[5 pts] everything', () => {}); });\n";
    fs.writeFileSync(path.join(tampered, 'test/graded/squares.test.ts'), empty);
    fs.writeFileSync(path.join(tampered, 'test/graded/cubes.test.ts'), "describe('part: cubes', () => { it('[1 pts] cube of 2', () => {}); it('[1 pts] table', () => {}); });\n");
    fs.writeFileSync(path.join(tampered, 'test/graded/free.test.ts'), "describe('part: squares', () => { it('[9 pts] free', () => {}); });\n");
    fs.writeFileSync(path.join(tampered, 'lib/util.ts'), 'export function times(a: number, b: number): number {\n  return a + b;\n}\n');
    fs.writeFileSync(path.join(tampered, 'package.json'), JSON.stringify({ name: 'mini', scripts: { test: 'true' } }));
    const untouched = grade({ submission: student, base: reference, fileTimeoutS: 120 });
    const r = grade({ submission: tampered, base: reference, fileTimeoutS: 120 });
    assert.deepEqual(earned(r), earned(untouched));
    assert.deepEqual(r.parts.map((p) => p.tests.map((t) => [t.title, t.passed, t.error])), untouched.parts.map((p) => p.tests.map((t) => [t.title, t.passed, t.error])));
    assert.deepEqual(r.ignored, ['lib/util.ts', 'test/graded/cubes.test.ts', 'test/graded/free.test.ts', 'test/graded/squares.test.ts']);
    assert.match(formatReport(r), /ignored \(not graded files; the tests are .*'s own\):\n  lib\/util\.ts/);
    // The graded files themselves do count, with the reference's util.ts under them.
    fs.copyFileSync(path.join(reference, 'lib/squares.ts'), path.join(tampered, 'lib/squares.ts'));
    assert.deepEqual(earned(grade({ submission: tampered, base: reference, fileTimeoutS: 120 })), [['cubes', 0, 2], ['extras', 1, 3], ['squares', 4, 4]]);
  });

  it('a missing graded file is graded as its stub, not as the reference', () => {
    const partial = path.join(tmp, 'partial');
    fs.mkdirSync(path.join(partial, 'lib'), { recursive: true });
    fs.copyFileSync(path.join(reference, 'lib/cubes.ts'), path.join(partial, 'lib/cubes.ts'));
    const r = grade({ submission: partial, base: reference, fileTimeoutS: 120 });
    assert.deepEqual(earned(r), [['cubes', 2, 2], ['extras', 1, 3], ['squares', 0, 4]]);
    assert.deepEqual([r.taken, r.missing], [['lib/cubes.ts'], ['lib/squares.ts']]);
    assert.match(formatReport(r), /graded files missing from .*partial \(graded as the untouched stubs\):\n  lib\/squares\.ts/);
  });

  it('--part grades one part; an unknown part names the parts there are', () => {
    const r = grade({ submission: reference, base: reference, fileTimeoutS: 120, parts: ['cubes'] });
    assert.deepEqual(earned(r), [['cubes', 2, 2]]);
    assert.throws(() => grade({ submission: reference, base: reference, parts: ['cube'] }), /no graded part named "cube"; the parts are: "cubes", "extras", "squares"/);
  });

  it('a wrong answer says what was called, expected and got, with the hint for its mistake; lines reaching for the runner are flagged', () => {
    const wrong = path.join(tmp, 'wrong');
    fs.mkdirSync(path.join(wrong, 'lib'), { recursive: true });
    const source = fs.readFileSync(path.join(reference, 'lib/squares.ts'), 'utf8').replace('return times(x, x);', "return x + x;\n  process.on('exit', () => undefined);");
    fs.writeFileSync(path.join(wrong, 'lib/squares.ts'), source);
    const r = grade({ submission: wrong, base: reference, fileTimeoutS: 120, parts: ['squares'] });
    const failed = r.parts[0].tests.find((t) => t.title === '[2 pts] squares 3');
    assert.equal(failed?.error, 'square(3)\n  expected 9 (each entry within 0)\n  got      6\n  first difference at [0]: got 6, expected 9\n  hint: x + x is twice x, not its square.');
    assert.deepEqual(r.warnings, ["lib/squares.ts:12: process.on('exit', () => undefined);"]);
    assert.match(formatReport(r), /lines in the graded files to read \(they reach for the test runner or the process\):\n  lib\/squares\.ts:12/);
  });
});
