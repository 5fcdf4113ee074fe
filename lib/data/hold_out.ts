/**
 * A held-out part of the training pairs, for choosing finetuning settings without looking at the dev set:
 * settings are compared by accuracy on the held-out pairs (the model finetuned on the rest), and only the
 * chosen one is finetuned on all the training pairs and evaluated on dev, once.
 */
import { DataError } from './errors';
import type { QA } from './tsv';
import { Rng } from '../util/random';

export interface HeldOutSplit {
  /** The pairs left to finetune on, in their file order (the course's trainer reads them in order). */
  kept: QA[];
  /** `count` pairs drawn at random (seeded), in their file order. */
  heldOut: QA[];
}

/** Draws `count` of `pairs` at random with `seed`; the same seed gives the same split. */
export function holdOut(pairs: readonly QA[], count: number, seed: number): HeldOutSplit {
  if (!Number.isInteger(count) || count < 1 || count >= pairs.length) {
    throw new DataError(`holdOut: count must be an integer from 1 to ${pairs.length - 1} (there are ${pairs.length} pairs), got ${count}`);
  }
  const drawn = new Set(new Rng(seed).shuffle(pairs.map((_, i) => i)).slice(0, count));
  return { kept: pairs.filter((_, i) => !drawn.has(i)), heldOut: pairs.filter((_, i) => drawn.has(i)) };
}

/** Pairs as "question<TAB>answer" lines, the layout of birth_places_train.tsv. */
export function formatQaTsv(pairs: readonly QA[]): string {
  for (const p of pairs) {
    if (/[\t\n]/.test(p.question + p.answer)) {
      throw new DataError(`formatQaTsv: ${p.file ?? 'pairs'} line ${p.line} holds a tab or newline inside the question or answer`);
    }
  }
  return pairs.map((p) => `${p.question}\t${p.answer}\n`).join('');
}
