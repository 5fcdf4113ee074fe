/**
 * The baseline every model must beat: answer "London" to every question. It needs no model at all, and its
 * accuracy is simply the share of people in the set who were born in London (5.00% of birth_dev.tsv).
 */
import { QA } from '../data/tsv';
import { EvalResult, scorePredictions } from './evaluate';

export const LONDON = 'London';

export function londonBaseline(pairs: QA[]): EvalResult {
  // BEGIN SOLUTION london baseline
  const predictions = pairs.map(() => LONDON);
  return scorePredictions(predictions, pairs);
  // END SOLUTION
}
