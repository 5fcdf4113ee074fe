/**
 * A notebook calls the lib; it does not define functions. No code cell of any notebook defines one: no `function`
 * keyword, no arrow `=>`, no class, no method written in an object literal. There is no exception for callbacks
 * either (`xs.map((x) => ...)`, `tf.tidy(() => ...)`): where a cell would need one, the lib has a function that
 * takes the plain values and does the mapping or the tidying itself (e.g. `column`, `identicalTokensAttention`), so
 * the reader finds every piece of logic by its name in lib/. Comments and the text of strings do not count; code
 * inside a template string's `${...}` does.
 *
 * The training notebooks (5 and 7) also train on the corpus notebookCorpusChoice picks (WORKBOOK_CORPUS, by default
 * the synthetic world whose rows are recorded).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { notebookCorpusChoice } from '../lib/data/corpus';
import { Notebook } from '../scripts/site/notebook';

const DIR = path.join(__dirname, '..', 'notebooks');
const NOTEBOOKS = fs.readdirSync(DIR).filter((f) => f.endsWith('.ipynb')).sort();

function cellsOf(file: string): string[] {
  const nb = JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8')) as Notebook;
  return nb.cells.filter((c) => c.cell_type === 'code').map((c) => (Array.isArray(c.source) ? c.source.join('') : c.source));
}

function codeOf(prefix: string): string {
  const file = NOTEBOOKS.find((f) => f.startsWith(prefix));
  assert.ok(file, `no notebook ${prefix}`);
  return cellsOf(file).join('\n');
}

/**
 * The code with comments and the text of string literals replaced by spaces (line breaks kept, so line numbers
 * stay), the expressions inside a template string's `${...}` kept. Regular-expression literals are not recognised:
 * the notebooks have none.
 */
function codeOnly(src: string): string {
  let out = '';
  let i = 0;
  // Each entry: the brace depth at which a `${` of a template string was opened.
  const templates: number[] = [];
  let depth = 0;
  const blank = (s: string): string => s.replace(/[^\n]/g, ' ');
  const templateText = (): void => {
    // From just after a backtick or a closing `}` of `${...}`: text up to the closing backtick or the next `${`.
    const start = i;
    while (i < src.length && src[i] !== '`' && !(src[i] === '$' && src[i + 1] === '{')) i += src[i] === '\\' ? 2 : 1;
    out += blank(src.slice(start, i));
    if (src[i] === '`') {
      out += '`';
      i++;
    } else if (i < src.length) {
      out += '${';
      i += 2;
      templates.push(depth);
      depth++;
    }
  };
  while (i < src.length) {
    const c = src[i];
    if (c === '/' && src[i + 1] === '/') {
      const end = src.indexOf('\n', i);
      const stop = end < 0 ? src.length : end;
      out += blank(src.slice(i, stop));
      i = stop;
    } else if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? src.length : end + 2;
      out += blank(src.slice(i, stop));
      i = stop;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== c && src[j] !== '\n') j += src[j] === '\\' ? 2 : 1;
      out += c + blank(src.slice(i + 1, j)) + (src[j] === c ? c : '');
      i = src[j] === c ? j + 1 : j;
    } else if (c === '`') {
      out += '`';
      i++;
      templateText();
    } else if (c === '{') {
      depth++;
      out += c;
      i++;
    } else if (c === '}') {
      depth--;
      out += c;
      i++;
      if (templates.length > 0 && templates[templates.length - 1] === depth) {
        templates.pop();
        templateText();
      }
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

const DEFINITIONS: readonly { what: string; pattern: RegExp }[] = [
  { what: 'the function keyword', pattern: /\bfunction\b/ },
  { what: 'an arrow function', pattern: /=>/ },
  { what: 'a class', pattern: /\bclass\b/ },
  // name(args) { ... } or name(args): Type { ... } outside for/if/while/switch/catch: a method in an object literal.
  { what: 'a method', pattern: /(?<![\w$.])(?!(?:for|if|while|switch|catch|with)\b)[A-Za-z_$][\w$]*\s*\([^()]*\)\s*(?::\s*[A-Za-z_$][\w$<>[\],.| ]*)?\{/ },
];

/** Where `src` (one cell) defines a function: "line N: what: the line", one entry per line and kind. */
function functionDefinitions(src: string): string[] {
  const lines = codeOnly(src).split('\n');
  const original = src.split('\n');
  const found: string[] = [];
  lines.forEach((line, n) => {
    for (const d of DEFINITIONS) if (d.pattern.test(line)) found.push(`line ${n + 1}: ${d.what}: ${original[n].trim()}`);
  });
  return found;
}

describe('notebooks call the lib', () => {
  it('the check finds each kind of definition, in code and in template expressions, not in comments or strings', () => {
    assert.deepEqual(functionDefinitions('const f = (x: number) => x;'), ['line 1: an arrow function: const f = (x: number) => x;']);
    assert.deepEqual(functionDefinitions('// a => b\nconsole.log("a => b", \'function\');'), []);
    assert.deepEqual(functionDefinitions('console.log(`${xs.map((x) => x)} and => text`);'), ['line 1: an arrow function: console.log(`${xs.map((x) => x)} and => text`);']);
    assert.deepEqual(functionDefinitions('console.log(`${a ? `${b}` : "=>"} => ${c}`);\nfor (const x of xs) {\n  if (x) { y(); }\n}'), []);
    assert.deepEqual(functionDefinitions('/* function */ x = 1;\nfunction f() {}'), ['line 2: the function keyword: function f() {}', 'line 2: a method: function f() {}']);
    assert.deepEqual(functionDefinitions('const o = { area(r: number) { return r; } };'), ['line 1: a method: const o = { area(r: number) { return r; } };']);
    assert.deepEqual(functionDefinitions('const o = {\n  area(r: number): number { return r; },\n};'), ['line 2: a method: area(r: number): number { return r; },']);
    assert.deepEqual(functionDefinitions('const o = ok ? f(x) : { a: 1 };'), []);
    assert.deepEqual(functionDefinitions('class A {}'), ['line 1: a class: class A {}']);
    assert.deepEqual(functionDefinitions('tf.tidy(() => x.square());'), ['line 1: an arrow function: tf.tidy(() => x.square());']);
  });

  it('finds the notebooks', () => {
    assert.ok(NOTEBOOKS.length >= 8, `only ${NOTEBOOKS.join(', ')}`);
  });

  for (const file of NOTEBOOKS) {
    it(`${file}: no code cell defines a function`, () => {
      const problems = cellsOf(file).flatMap((src, k) => functionDefinitions(src).map((p) => `code cell ${k + 1}, ${p}`));
      assert.deepEqual(problems, [], `${file} defines functions in its cells (move them into lib/):\n  ${problems.join('\n  ')}`);
    });
  }

  for (const prefix of ['05', '07']) {
    it(`notebook ${prefix}: its corpus is notebookCorpusChoice's`, () => {
      assert.match(codeOf(prefix), /loadCorpus\(\{ corpus: notebookCorpusChoice\(\) \}\)/);
    });
  }

  it('notebookCorpusChoice: the synthetic world unless WORKBOOK_CORPUS says otherwise; a typo is an error', () => {
    assert.equal(notebookCorpusChoice({}), 'synthetic');
    assert.equal(notebookCorpusChoice({ WORKBOOK_CORPUS: '' }), 'synthetic');
    assert.equal(notebookCorpusChoice({ WORKBOOK_CORPUS: 'real' }), 'real');
    assert.equal(notebookCorpusChoice({ WORKBOOK_CORPUS: ' auto ' }), 'auto');
    assert.throws(() => notebookCorpusChoice({ WORKBOOK_CORPUS: 'rael' }), /WORKBOOK_CORPUS must be synthetic, real or auto, got "rael"/);
  });
});
