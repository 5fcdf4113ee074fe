/**
 * Student release and autograder, on a small workbook written to a temporary folder: solution regions become
 * stubs, the release compiles, the reference earns every graded point and the untouched release none, and a graded
 * file that cannot even load still reports what it was worth.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { declaredTests, formatReport, grade, pointsOf } from '../scripts/grade';
import { checkRelease, release } from '../scripts/release';
import { stripSolutions } from '../scripts/release/solutions';
import { readNotebook, text } from '../scripts/site/notebook';

describe('solution markers', () => {
  it('replace each region, markers included, by a stub at the BEGIN indentation', () => {
    const src = ['export function f(x: number): number {', '  // BEGIN SOLUTION squares', '  const y = x * x;', '  return y;', '  // END SOLUTION', '}', ''].join('\n');
    const s = stripSolutions(src, 'code', 'lib/f.ts');
    assert.equal(s.text, ['export function f(x: number): number {', "  throw new Error('not implemented: squares');", '}', ''].join('\n'));
    assert.deepEqual(s.regions, [{ part: 'squares', line: 2, lines: 4, stubLine: 2 }]);
  });

  it('handle several regions and markdown answers', () => {
    const code = stripSolutions('a\n// BEGIN SOLUTION one\nx\n// END SOLUTION\nb\n    // BEGIN SOLUTION two words\n    y\n    // END SOLUTION', 'code', 'f');
    assert.equal(code.text, "a\nthrow new Error('not implemented: one');\nb\n    throw new Error('not implemented: two words');");
    assert.deepEqual(code.regions.map((r) => r.part), ['one', 'two words']);
    const md = stripSolutions('Q?\n<!-- BEGIN SOLUTION derivation -->\n$a = b$\n<!-- END SOLUTION -->', 'markdown', 'nb');
    assert.equal(md.text, 'Q?\n> **Your answer (derivation):** _write it here._');
  });

  it('reject broken marker pairs, naming the file and line', () => {
    assert.throws(() => stripSolutions('// BEGIN SOLUTION a\n// BEGIN SOLUTION b\n// END SOLUTION', 'code', 'lib/x.ts'), /^Error: lib\/x\.ts:2: BEGIN SOLUTION inside the region opened at line 1/);
    assert.throws(() => stripSolutions('x\n// BEGIN SOLUTION a\ny', 'code', 'lib/x.ts'), /lib\/x\.ts:2: BEGIN SOLUTION a is never closed/);
    assert.throws(() => stripSolutions('// END SOLUTION', 'code', 'lib/x.ts'), /lib\/x\.ts:1: END SOLUTION without a BEGIN/);
    assert.throws(() => stripSolutions('// BEGIN SOLUTION\n// END SOLUTION', 'code', 'lib/x.ts'), /lib\/x\.ts:1: BEGIN SOLUTION needs a part name/);
    assert.throws(() => stripSolutions("f(); // BEGIN SOLUTION a", 'code', 'lib/x.ts'), /lib\/x\.ts:1: a solution marker must stand alone/);
    assert.throws(() => stripSolutions("// BEGIN SOLUTION it's\n// END SOLUTION", 'code', 'lib/x.ts'), /may not contain quotes/);
  });
});

describe('graded test discovery', () => {
  it('reads parts and points from the source', () => {
    const src = `describe('part: span corruption', () => {\n  it('[2 pts] first', () => {});\n  describe("details", () => {\n    it("[1 pts] nested", () => {});\n  });\n  it('helper without points', () => {});\n});\ndescribe(\`part: RoPE\`, () => { it(\`[3 pts] rotates\`, () => {}); });`;
    assert.deepEqual(declaredTests(src), [
      { part: 'span corruption', title: '[2 pts] first' },
      { part: 'span corruption', title: '[1 pts] nested' },
      { part: 'RoPE', title: '[3 pts] rotates' },
    ]);
    assert.equal(pointsOf('[2 pts] x'), 2);
    assert.equal(pointsOf('[1 pt] x'), 1);
    assert.equal(pointsOf('[0.5 pts] x'), 0.5);
    assert.equal(pointsOf('no points'), 0);
  });
});

/**
 * A small workbook: `squares` (3 points, one nested describe), `cubes` (2 points, its module fails to load when
 * stubbed) and `extras` (1 point with no solution behind it, 2 points in a skipped test).
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
    'test/graded/squares.test.ts': [
      "import * as assert from 'node:assert/strict';",
      "import { square } from '../../lib/squares';",
      "describe('part: squares', () => {",
      "  it('[2 pts] squares 3', () => assert.equal(square(3), 9));",
      "  describe('errors', () => {",
      "    it('[1 pts] rejects NaN', () => assert.throws(() => square(NaN), /must be finite/));",
      '  });',
      '});',
      '',
    ].join('\n'),
    'test/graded/cubes.test.ts': ["import * as assert from 'node:assert/strict';", "import { CUBES, cube } from '../../lib/cubes';", "describe('part: cubes', () => {", "  it('[1 pts] cube of 2', () => assert.equal(cube(2), 8));", "  it('[1 pts] table', () => assert.deepEqual(CUBES, [1, 8, 27]));", '});', ''].join('\n'),
    'test/graded/skips.test.ts': ["describe('part: extras', () => {", "  it('[1 pts] runs', () => undefined);", "  it.skip('[2 pts] needs the corpus', () => undefined);", '});', ''].join('\n'),
    'notebooks/01-mini.ipynb': JSON.stringify({
      cells: [
        { cell_type: 'markdown', id: 'a', metadata: {}, source: ['# Mini\n', '<!-- BEGIN SOLUTION squares -->\n', 'The answer is $x^2$.\n', '<!-- END SOLUTION -->'] },
        { cell_type: 'code', id: 'b', metadata: {}, execution_count: null, outputs: [], source: ['function twice(x: number): number {\n', '  // BEGIN SOLUTION doubling\n', '  return 2 * x;\n', '  // END SOLUTION\n', '}'] },
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

describe('student release and grading of a workbook', function () {
  this.timeout(180_000);
  let tmp: string;
  let reference: string;
  let student: string;

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'release-'));
    reference = path.join(tmp, 'reference');
    student = path.join(tmp, 'student');
    writeWorkbook(reference);
  });

  it('stubs every region, keeps the graded tests and leaves instructor files out', () => {
    const report = release(reference, student);
    assert.deepEqual(report.parts, ['cubes', 'squares', 'doubling']);
    assert.equal(report.regions.length, 5);
    const squares = fs.readFileSync(path.join(student, 'lib/squares.ts'), 'utf8');
    assert.match(squares, /^ {4}throw new Error\('not implemented: squares'\);$/m);
    assert.match(squares, /^ {2}throw new Error\('not implemented: squares'\);$/m);
    assert.doesNotMatch(squares, /times\(x, x\)|SOLUTION/);
    assert.equal(fs.readFileSync(path.join(student, 'test/graded/squares.test.ts'), 'utf8'), fs.readFileSync(path.join(reference, 'test/graded/squares.test.ts'), 'utf8'));
    assert.equal(fs.existsSync(path.join(student, '.ci/run')), false);
    assert.equal(fs.existsSync(path.join(student, 'scripts/release.ts')), false);
    const tsconfig = JSON.parse(fs.readFileSync(path.join(student, 'tsconfig.json'), 'utf8')) as { compilerOptions: Record<string, unknown> };
    assert.equal(tsconfig.compilerOptions.noUnusedLocals, false);
    const pkg = JSON.parse(fs.readFileSync(path.join(student, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.equal(pkg.scripts.release, undefined);
    const nb = readNotebook(path.join(student, 'notebooks/01-mini.ipynb'));
    assert.equal(text(nb.cells[0].source), '# Mini\n> **Your answer (squares):** _write it here._');
    assert.equal(text(nb.cells[1].source), "function twice(x: number): number {\n  throw new Error('not implemented: doubling');\n}");
    const assignment = fs.readFileSync(path.join(student, 'ASSIGNMENT.md'), 'utf8');
    assert.match(assignment, /\*\*squares\*\*: lib\/squares\.ts:6, lib\/squares\.ts:8, notebooks\/01-mini\.ipynb \(cell 1\)/);
  });

  it('the release compiles and its notebooks are valid (with the unused import left behind)', () => {
    assert.deepEqual(checkRelease(student), []);
    assert.equal(fs.existsSync(path.join(student, 'node_modules')), false, 'the borrowed node_modules link is removed');
  });

  it('the check finds a leftover marker and a compile error', () => {
    const broken = path.join(tmp, 'broken');
    fs.cpSync(student, broken, { recursive: true });
    fs.appendFileSync(path.join(broken, 'lib/util.ts'), '// END SOLUTION\nexport const n: number = "x";\n');
    const problems = checkRelease(broken).join('\n');
    assert.match(problems, /lib\/util\.ts:4: a solution marker is left/);
    assert.match(problems, /tsc --noEmit fails[\s\S]*lib\/util\.ts\(5,14\)/);
  });

  it('the reference earns every point that runs; a skipped test earns none', () => {
    const r = grade(reference, 120);
    assert.deepEqual(r.parts.map((p) => [p.name, p.earned, p.possible]), [['cubes', 2, 2], ['extras', 1, 3], ['squares', 3, 3]]);
    assert.equal(r.earned, 6);
    assert.equal(r.parts[1].tests.find((t) => !t.passed)?.error, 'skipped (pending): no points');
    assert.deepEqual(r.problems, []);
    assert.equal(fs.existsSync(path.join(reference, 'node_modules')), false);
  });

  it('the untouched release earns nothing from stubbed parts, and a file that cannot load still reports its parts', () => {
    const r = grade(student, 120);
    assert.deepEqual(r.parts.map((p) => [p.name, p.earned, p.possible]), [['cubes', 0, 2], ['extras', 1, 3], ['squares', 0, 3]]);
    const squares = r.parts[2].tests;
    assert.deepEqual(squares.map((t) => t.error), ['not implemented: squares', 'The input did not match the regular expression /must be finite/. Input: | \'Error: not implemented: squares\'']);
    assert.equal(r.problems.length, 1);
    assert.match(r.problems[0], /^test\/graded\/cubes\.test\.ts: did not run \(.*not implemented: cubes/);
    const table = formatReport(r);
    assert.match(table, /^squares +0 +3$/m);
    assert.match(table, /^total +1 +8$/m);
  });
});
