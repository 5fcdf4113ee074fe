/**
 * An accuracy is a count of right answers out of n questions, and n is small: 200 dev questions give an
 * accuracy to within a few points, no better. Treating each question as a coin that comes up "right" with
 * probability p, the measured accuracy has the standard error
 *
 *   se = sqrt(p (1 - p) / n),
 *
 * and two models scored on their own questions differ by d = p_a - p_b with standard error
 * sqrt(se_a^2 + se_b^2). "A beats B by several standard errors" means d / that > 3 or so: a gap that chance
 * alone would make less than once in a few hundred times. (Two models answering the same questions are
 * correlated, which makes the true spread of d smaller; the independent formula errs on the safe side.)
 */

/** A score with its standard error. */
export interface Score {
  correct: number;
  total: number;
  /** correct / total, in [0, 1] (0 when there is no question). */
  accuracy: number;
  /** sqrt(accuracy (1 - accuracy) / total), in the same units as accuracy. */
  se: number;
}

/** The score of `correct` right answers out of `total`. */
export function scoreOf(correct: number, total: number): Score {
  if (!Number.isInteger(total) || total < 0) throw new Error(`scoreOf: total must be a non-negative integer, got ${total}`);
  if (!Number.isInteger(correct) || correct < 0 || correct > total) throw new Error(`scoreOf: correct must be an integer in [0, ${total}], got ${correct}`);
  const p = total > 0 ? correct / total : 0;
  return { correct, total, accuracy: p, se: total > 0 ? Math.sqrt((p * (1 - p)) / total) : 0 };
}

/** The standard error of the difference of two independent scores. */
export function seOfDifference(a: Score, b: Score): number {
  return Math.hypot(a.se, b.se);
}

/**
 * How many standard errors of the difference `a` lies above `b` (negative: below). Two identical scores with
 * no spread are 0 apart; a difference with no spread at all (0% against 100%) is infinitely many.
 */
export function standardErrorsApart(a: Score, b: Score): number {
  const d = a.accuracy - b.accuracy;
  const se = seOfDifference(a, b);
  if (se === 0) return d === 0 ? 0 : d > 0 ? Infinity : -Infinity;
  return d / se;
}

/** "33.8% ± 2.1": the accuracy and its standard error, in points, one decimal each. */
export function formatScore(s: Score): string {
  return `${(100 * s.accuracy).toFixed(1)}% ± ${(100 * s.se).toFixed(1)}`;
}

/** "12.3 standard errors above" / "0.4 below" / "level with" (a against b). */
export function formatGap(a: Score, b: Score): string {
  const z = standardErrorsApart(a, b);
  if (z === 0) return 'level with';
  const size = Number.isFinite(z) ? Math.abs(z).toFixed(1) : 'infinitely many';
  return `${size} standard error${size === '1.0' ? '' : 's'} ${z > 0 ? 'above' : 'below'}`;
}
