/**
 * Graded tests: the London baseline. Each `it` title starts with the points it is worth; each top-level
 * describe is one part.
 */
import * as path from 'path';
import { londonBaseline } from '../../lib/eval/london';
import { resolveDataDir } from '../../lib/data/corpus';
import { QA, readQaTsv } from '../../lib/data/tsv';
import { expectEqual, expectFields } from './check';

const qa = (answer: string, line: number): QA => ({ question: `Where was Person ${line} born?`, answer, line });

describe('part: london baseline', () => {
  it('[1 pts] predicts "London" for every question', () => {
    const r = londonBaseline([qa('Paris', 1), qa('London', 2), qa('Oslo', 3)]);
    expectEqual(r.predictions, ['London', 'London', 'London'], { call: "londonBaseline(3 pairs with answers 'Paris', 'London', 'Oslo').predictions" });
  });

  it('[2 pts] scores exact matches only: 2 of 5 on a hand-made list', () => {
    const r = londonBaseline([qa('London', 1), qa('london', 2), qa('London', 3), qa('New London', 4), qa('Rome', 5)]);
    expectFields({ ...r }, { correct: 2, total: 5, accuracy: 0.4 }, {
      call: "londonBaseline(answers 'London', 'london', 'London', 'New London', 'Rome')",
      mistakes: [
        { value: { ...r, correct: 3, accuracy: 0.6 }, hint: 'a match is exact: "london" is not "London".' },
        { value: { ...r, correct: 4, accuracy: 0.8 }, hint: 'a match is the whole answer, exactly: not a substring ("New London") nor a different case.' },
      ],
      hint: 'score with scorePredictions (lib/eval), as evaluation does.',
    });
  });

  it('[2 pts] exactly 5.00% on the real birth_dev.tsv (skipped when the corpus is absent)', function () {
    const found = resolveDataDir();
    if (!found) {
      console.log('      (skipped: real corpus not found; set MINGPT_DATA_DIR=/path/to/birthplaces)');
      this.skip();
    }
    const pairs = readQaTsv(path.join(found!.dir, 'birth_dev.tsv'));
    const r = londonBaseline(pairs);
    expectFields({ ...r }, { total: 500, correct: 25, accuracy: 0.05 }, { call: 'londonBaseline(the 500 pairs of birth_dev.tsv)' });
  });
});
