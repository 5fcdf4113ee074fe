/**
 * Evaluation of the birthplace task, as the course's run.py does it: for each question, greedy-decode 32
 * characters after "question + MASK"; the prediction is the text between the first MASK (the one ending the
 * prompt) and the next one (or the end, if the model never writes a second MASK). Accuracy is exact match.
 *
 * One difference, by design: gold answers are compared after the same ASCII folding and trimming the model
 * was finetuned on (`foldedAnswer`), so an answer the model cannot spell never counts against it. Every answer
 * of birth_dev.tsv is plain ASCII already, so there the two rules agree.
 */
import { GPT } from '../mingpt/model';
import { greedyDecode } from '../mingpt/generate';
import { Vocab } from '../data/vocab';
import { QA } from '../data/tsv';
import { encodePrompt, foldedAnswer } from '../data/name_dataset';

export interface EvalResult {
  predictions: string[];
  correct: number;
  total: number;
  /** correct / total, in [0, 1]. */
  accuracy: number;
}

/** Characters generated after each prompt, as in the course. */
export const GENERATED_CHARS = 32;

/** The answer inside a decoded sequence: the ids after the first MASK, up to the next MASK. */
export function extractAnswer(vocab: Vocab, ids: readonly number[]): string {
  const first = ids.indexOf(vocab.maskId);
  if (first < 0) return '';
  const second = ids.indexOf(vocab.maskId, first + 1);
  return vocab.decode(ids.slice(first + 1, second < 0 ? ids.length : second));
}

/**
 * The model's answer to each question. Decoding stops for a batch once every row has written its closing
 * MASK: what follows that MASK is never part of a prediction, so this changes nothing but the time.
 */
export function predictBirthplaces(
  model: GPT,
  vocab: Vocab,
  questions: string[],
  opts: { useCache?: boolean; batchSize?: number; onProgress?: (done: number, total: number) => void } = {},
): string[] {
  if (vocab.size !== model.config.vocabSize) {
    throw new Error(`predictBirthplaces: vocabulary has ${vocab.size} characters, the model ${model.config.vocabSize}`);
  }
  const prompts = questions.map((q) => encodePrompt(vocab, q));
  const decoded = greedyDecode(model, prompts, GENERATED_CHARS, { ...opts, stopAt: vocab.maskId });
  return decoded.map((ids) => extractAnswer(vocab, ids));
}

/** Exact-match accuracy of predictions against the pairs' answers, line by line. */
export function scorePredictions(predictions: string[], pairs: QA[]): EvalResult {
  if (predictions.length !== pairs.length) {
    throw new Error(`scorePredictions: ${predictions.length} predictions for ${pairs.length} question/answer pairs`);
  }
  let correct = 0;
  predictions.forEach((p, i) => {
    if (p === foldedAnswer(pairs[i].answer)) correct++;
  });
  const total = pairs.length;
  return { predictions: predictions.slice(), correct, total, accuracy: total === 0 ? 0 : correct / total };
}

/** The model's answers to the questions of `pairs`, scored against their answers. */
export function evaluatePairs(model: GPT, vocab: Vocab, pairs: QA[], opts: { batchSize?: number } = {}): EvalResult {
  return scorePredictions(predictBirthplaces(model, vocab, pairs.map((p) => p.question), opts), pairs);
}

/**
 * The first question every list of `predictions` answers right and every list of `missedBy` answers wrong (-1
 * when there is none): a question that shows what the first models know and the others do not. `among`, when
 * given, limits the search to those question indices.
 */
export function firstAnsweredByAll(
  pairs: readonly QA[], predictions: readonly (readonly string[])[], missedBy: readonly (readonly string[])[] = [],
  among?: ReadonlySet<number>,
): number {
  for (const p of [...predictions, ...missedBy]) {
    if (p.length !== pairs.length) throw new Error(`firstAnsweredByAll: ${p.length} predictions for ${pairs.length} questions`);
  }
  return pairs.findIndex((qa, i) => {
    if (among && !among.has(i)) return false;
    const gold = foldedAnswer(qa.answer);
    return predictions.every((p) => p[i] === gold) && missedBy.every((p) => p[i] !== gold);
  });
}
