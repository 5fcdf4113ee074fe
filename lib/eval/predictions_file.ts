/** An evaluation's predictions on disk: one line per question of the set, in order. */
import { writeFileAtomic } from '../util/atomic';

/** Writes one prediction per line (atomically: a crash leaves the previous file). */
export function writePredictions(file: string, predictions: string[]): void {
  const bad = predictions.findIndex((p) => /[\r\n]/.test(p));
  if (bad >= 0) throw new Error(`writePredictions(${file}): prediction ${bad} contains a line break, which would shift every later line`);
  writeFileAtomic(file, predictions.map((p) => p + '\n').join(''));
}
