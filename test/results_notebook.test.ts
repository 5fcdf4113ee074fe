/**
 * Notebook 8 states measured facts only in computed sentences (lib/results/format.ts), so that its text cannot
 * drift from its output; its prose explains methods, with no measured number typed in, and its cells only call the
 * lib. And no committed file holds a path of the machine that made it.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { readNotebook, text } from '../scripts/site/notebook';
import { loadResults } from '../lib/results/load';
import { tableOf } from '../lib/results/pick';
import { resultsTable } from '../lib/results/format';

const ROOT = path.resolve(__dirname, '..');
const NOTEBOOK = path.join(ROOT, 'notebooks', '08-results.ipynb');

/**
 * Numbers the prose may hold: the part's number and the design of the runs, not their outcome (the dev set and
 * training pairs of the course's corpus, the held-out split, the snapshot epochs, the course's 650 epochs, the
 * number of random deals).
 */
const DESIGN_NUMBERS = new Set(['8', '500', '2,000', '1,500', '50', '100', '200', '650']);

describe('notebook 8 (results)', () => {
  it('states no measured number in its prose: every finding is a computed sentence', () => {
    const nb = readNotebook(NOTEBOOK);
    const found = nb.cells.filter((c) => c.cell_type === 'markdown').flatMap((c) => {
      const prose = text(c.source).replace(/\$\$[\s\S]*?\$\$|\$[^$]*\$|`[^`]*`/g, ' '); // math and code name no result
      return (prose.match(/\d[\d,.]*\d|\d/g) ?? []).map((n) => n.replace(/[.,]$/, '')).filter((n) => !DESIGN_NUMBERS.has(n));
    });
    assert.deepEqual(found, []);
  });

  it('only calls the lib: no function is defined in its cells', () => {
    const code = readNotebook(NOTEBOOK).cells.filter((c) => c.cell_type === 'code').map((c) => text(c.source)).join('\n');
    assert.doesNotMatch(code, /\bfunction\b|=>/);
  });

  it('computes its findings from the table it shows (the committed records)', () => {
    const results = loadResults(path.join(ROOT, 'results'));
    const real = tableOf(results, 'real');
    const rope = real.find((e) => e.row === 'rope-pretrain');
    const vanilla = real.find((e) => e.row === 'vanilla-pretrain');
    if (!rope || !vanilla) return;
    const sentence = resultsTable(results).findings.find((f) => f.startsWith('Real corpus: RoPE answers'))!;
    const above = rope.score.accuracy >= vanilla.score.accuracy;
    assert.match(sentence, new RegExp(`${(100 * rope.score.accuracy).toFixed(1)}% .* ${above ? 'above' : 'below'}`));
    assert.equal(sentence.includes('its pretraining stopped at epoch'), vanilla.incomplete !== undefined);
  });
});

describe('the repository', () => {
  it('holds no path of the machine it was made on in any committed file', function () {
    const listed = spawnSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' });
    if (listed.status !== 0) this.skip(); // a copy without git (a student release)
    // Tests that feed made-up machine paths to the code that takes them out of records.
    const feeds = new Set(['test/cli_records.test.ts', 'test/records_migration.test.ts', 'test/results_notebook.test.ts']);
    const machine = [ROOT, os.homedir(), process.env.MINGPT_DATA_DIR].filter((p): p is string => !!p && p.length > 1).map((p) => path.resolve(p));
    const found: string[] = [];
    for (const file of listed.stdout.split('\0').filter((f) => f && !feeds.has(f))) {
      const full = path.join(ROOT, file);
      if (!fs.existsSync(full) || fs.statSync(full).size > 5e6) continue;
      const content = fs.readFileSync(full, 'latin1');
      for (const p of machine) if (content.includes(p)) found.push(`${file}: ${p}`);
      const other = /(?<![\w.])\/(?:work|home|Users|root)\/[\w.-]+\//.exec(content);
      if (other) found.push(`${file}: ${other[0]}`);
    }
    assert.deepEqual(found, []);
  });
});
