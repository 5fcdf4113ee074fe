/**
 * Splits the corpus's training pairs into a part to finetune on and a held-out part to compare finetuning
 * settings on (lib/data/hold_out.ts), so that the dev set is not used to choose them. Writes DIR/train.tsv and
 * DIR/heldout.tsv, both in the layout of birth_places_train.tsv and in its order.
 *
 *   npx tsx scripts/hold_out.ts [--corpus real|synthetic|auto] [--count 500] [--seed 0] DIR
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { CorpusChoice, loadCorpus } from '../lib/data/corpus';
import { DataError } from '../lib/data/errors';
import { formatQaTsv, holdOut } from '../lib/data/hold_out';
import { writeFileAtomic } from '../lib/util/atomic';

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { corpus: { type: 'string', default: 'real' }, count: { type: 'string', default: '500' }, seed: { type: 'string', default: '0' } },
  });
  if (positionals.length !== 1) throw new DataError('usage: npx tsx scripts/hold_out.ts [--corpus real] [--count 500] [--seed 0] DIR');
  const count = Number(values.count);
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new DataError(`hold_out: --seed must be an integer, got "${values.seed}"`);
  const corpus = loadCorpus({ corpus: values.corpus as CorpusChoice });
  const { kept, heldOut } = holdOut(corpus.train, count, seed);
  const dir = positionals[0];
  fs.mkdirSync(dir, { recursive: true });
  writeFileAtomic(path.join(dir, 'train.tsv'), formatQaTsv(kept));
  writeFileAtomic(path.join(dir, 'heldout.tsv'), formatQaTsv(heldOut));
  console.log(`${corpus.description}\nheld out ${heldOut.length} of ${corpus.train.length} training pairs (seed ${seed}): ` +
    `${path.join(dir, 'train.tsv')} (${kept.length}), ${path.join(dir, 'heldout.tsv')} (${heldOut.length})`);
}

try {
  main();
} catch (e) {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
}
