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

/** How often each answer occurs in `pairs`, most frequent first (ties in alphabetical order). */
export function answerCounts(pairs: readonly QA[]): { answer: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const qa of pairs) counts.set(qa.answer, (counts.get(qa.answer) ?? 0) + 1);
  return [...counts].map(([answer, count]) => ({ answer, count })).sort((a, b) => b.count - a.count || (a.answer < b.answer ? -1 : 1));
}

/**
 * Whether London is the best constant answer of `pairs`, in one sentence computed from the counts: "London is
 * the most frequent answer, 12 of 240 (5.0%); next come Paris and Rome with 10 each." (or which answer beats it).
 */
export function londonSentence(pairs: readonly QA[]): string {
  const counts = answerCounts(pairs);
  const total = pairs.length;
  const pct = (n: number): string => `${((100 * n) / Math.max(1, total)).toFixed(1)}%`;
  const london = counts.find((c) => c.answer === LONDON)?.count ?? 0;
  const others = counts.filter((c) => c.answer !== LONDON);
  const best = others[0]?.count ?? 0;
  const tied = (n: number): string[] => others.filter((c) => c.count === n).map((c) => c.answer);
  const list = (names: string[]): string => (names.length <= 3 ? names.join(', ').replace(/, ([^,]*)$/, ' and $1') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`);
  if (london > best) {
    return `London is the most frequent answer, ${london} of ${total} (${pct(london)}), so always answering London is the best constant answer; ` +
      `next ${tied(best).length > 1 ? `come ${list(tied(best))} with ${best} each` : `comes ${tied(best)[0]} with ${best}`}.`;
  }
  if (london === best) return `London shares the first place with ${list(tied(best))}: ${london} of ${total} each (${pct(london)}).`;
  return `London is not the most frequent answer: ${list(tied(best))} ${tied(best).length > 1 ? 'have' : 'has'} ${best} of ${total} (${pct(best)}), London ${london} (${pct(london)}).`;
}
