/**
 * Graded tests: the London baseline. Each `it` title starts with the points it is worth; each top-level
 * describe is one part.
 */
import * as assert from 'node:assert/strict';
import * as path from 'path';
import { londonBaseline } from '../../lib/eval/london';
import { resolveDataDir } from '../../lib/data/corpus';
import { QA, readQaTsv } from '../../lib/data/tsv';

const qa = (answer: string, line: number): QA => ({ question: `Where was Person ${line} born?`, answer, line });

describe('part: london baseline', () => {
  it('[1 pts] predicts "London" for every question', () => {
    const r = londonBaseline([qa('Paris', 1), qa('London', 2), qa('Oslo', 3)]);
    assert.deepEqual(r.predictions, ['London', 'London', 'London']);
  });

  it('[2 pts] scores exact matches only: 2 of 5 on a hand-made list', () => {
    const r = londonBaseline([qa('London', 1), qa('london', 2), qa('London', 3), qa('New London', 4), qa('Rome', 5)]);
    assert.equal(r.correct, 2);
    assert.equal(r.total, 5);
    assert.equal(r.accuracy, 0.4);
  });

  it('[2 pts] exactly 5.00% on the real birth_dev.tsv (skipped when the corpus is absent)', function () {
    const found = resolveDataDir();
    if (!found) {
      console.log('      (skipped: real corpus not found; set MINGPT_DATA_DIR=/path/to/birthplaces)');
      this.skip();
    }
    const pairs = readQaTsv(path.join(found!.dir, 'birth_dev.tsv'));
    const r = londonBaseline(pairs);
    assert.equal(r.total, 500);
    assert.equal(r.correct, 25);
    assert.equal(r.accuracy, 0.05);
  });
});
