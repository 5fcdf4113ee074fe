/**
 * The training notebooks (5 and 7) call the lib: their cells define no function, and they train on the corpus
 * notebookCorpusChoice picks (WORKBOOK_CORPUS, by default the synthetic world whose rows are recorded).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { notebookCorpusChoice } from '../lib/data/corpus';
import { Notebook } from '../scripts/site/notebook';

const DIR = path.join(__dirname, '..', 'notebooks');

function codeOf(prefix: string): string {
  const file = fs.readdirSync(DIR).find((f) => f.startsWith(prefix) && f.endsWith('.ipynb'));
  assert.ok(file, `no notebook ${prefix}`);
  const nb = JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8')) as Notebook;
  return nb.cells.filter((c) => c.cell_type === 'code').map((c) => (Array.isArray(c.source) ? c.source.join('') : c.source)).join('\n');
}

describe('the training notebooks call the lib', () => {
  for (const prefix of ['05', '07']) {
    it(`notebook ${prefix}: no function is defined in its cells, and its corpus is notebookCorpusChoice's`, () => {
      const code = codeOf(prefix);
      assert.doesNotMatch(code, /\bfunction\b|=>/);
      assert.match(code, /loadCorpus\(\{ corpus: notebookCorpusChoice\(\) \}\)/);
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
