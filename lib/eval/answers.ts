/**
 * Knowledge or a good guess? A model that answers "Berlin" to most questions scores on every Berliner without
 * knowing anyone. The yardstick is the same answers dealt to the questions at random: if the model gives answer
 * `a` n_a times and `a` is the gold answer of g_a of the N questions, a random deal (a random permutation of the
 * predictions) expects sum_a n_a * g_a / N correct. The London baseline sits exactly on it; only accuracy above it
 * shows the answer depending on who was asked. `chanceOfDoingAsWell` says how often a random deal does as well.
 */
import { QA } from '../data/tsv';
import { foldedAnswer } from '../data/name_dataset';
import { Rng } from '../util/random';

export interface AnswerProfile {
  total: number;
  correct: number;
  /** Expected correct answers when the same predictions are dealt to the questions at random. */
  byChance: number;
  /** Different answers the model gives. */
  distinct: number;
  /** Its most frequent answers, most frequent first (ties by first appearance), with how many of each were right. */
  top: { answer: string; count: number; correct: number }[];
}

/** The profile of a model's answers against the gold answers, compared as `scorePredictions` does. */
export function answerProfile(predictions: readonly string[], pairs: readonly QA[], topK = 3): AnswerProfile {
  if (predictions.length !== pairs.length) {
    throw new Error(`answerProfile: ${predictions.length} predictions for ${pairs.length} question/answer pairs`);
  }
  const golds = pairs.map((p) => foldedAnswer(p.answer));
  const given = new Map<string, { count: number; correct: number }>();
  const goldCount = new Map<string, number>();
  predictions.forEach((p, i) => {
    const g = given.get(p) ?? { count: 0, correct: 0 };
    g.count++;
    if (p === golds[i]) g.correct++;
    given.set(p, g);
    goldCount.set(golds[i], (goldCount.get(golds[i]) ?? 0) + 1);
  });
  const total = predictions.length;
  let correct = 0;
  let dealt = 0;
  for (const [answer, g] of given) {
    correct += g.correct;
    dealt += g.count * (goldCount.get(answer) ?? 0);
  }
  const top = [...given].map(([answer, g]) => ({ answer, ...g }))
    .sort((a, b) => b.count - a.count) // stable: equal counts keep their order of first appearance
    .slice(0, topK);
  return { total, correct, byChance: total === 0 ? 0 : dealt / total, distinct: given.size, top };
}

/**
 * How often the same predictions, dealt to the questions at random, get at least as many right: the p-value of a
 * permutation test, (k + 1) / (rounds + 1) for k such deals in `rounds` (seeded, so the same seed gives the same
 * value). Small means the answers depend on the question; near 1 means the hits are what the favourite answers
 * get anyway.
 */
export function chanceOfDoingAsWell(predictions: readonly string[], pairs: readonly QA[], opts: { rounds?: number; seed?: number } = {}): number {
  const rounds = opts.rounds ?? 2000;
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`chanceOfDoingAsWell: rounds must be a positive integer, got ${rounds}`);
  if (predictions.length !== pairs.length) {
    throw new Error(`chanceOfDoingAsWell: ${predictions.length} predictions for ${pairs.length} question/answer pairs`);
  }
  const golds = pairs.map((p) => foldedAnswer(p.answer));
  const hits = (answers: readonly string[]): number => answers.reduce((n, a, i) => n + (a === golds[i] ? 1 : 0), 0);
  const correct = hits(predictions);
  const rng = new Rng(opts.seed ?? 0);
  let asGood = 0;
  for (let r = 0; r < rounds; r++) if (hits(rng.shuffle(predictions)) >= correct) asGood++;
  return (asGood + 1) / (rounds + 1);
}
