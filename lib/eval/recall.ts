/**
 * Does the pretrained model itself hold a birthplace, before any finetuning?
 *
 * Finetuning only teaches the model to answer "Where was NAME born?" from what pretraining stored. So when the
 * finetuned model fails, two things may be missing: the fact, or the way to it. This probe measures the first.
 * For each dev person whose Wikipedia line writes the birthplace (spelled as the answer) inside the window that
 * span corruption shows (`visibleChars`), the model gets the line up to the birthplace and continues greedily;
 * it recalls the fact when its continuation starts with the birthplace. The start of a line is exactly what
 * every pretraining example begins with, so the prompt is in the model's own training distribution.
 */
import { GPT } from '../mingpt/model';
import { greedyDecode } from '../mingpt/generate';
import { Vocab } from '../data/vocab';
import { QA } from '../data/tsv';
import { foldedAnswer } from '../data/name_dataset';

export interface RecallItem {
  /** Line of the dev file (0-based). */
  dev: number;
  name: string;
  answer: string;
  /** The person's line up to (not including) the first occurrence of the answer. */
  prefix: string;
}

export interface RecallSet {
  items: RecallItem[];
  /** Dev people with no line starting with their name, or whose line never spells the answer. */
  notInText: number;
  /** Dev people whose answer ends beyond the visible window of their line. */
  outsideWindow: number;
}

export interface RecallResult {
  /** The model's continuation of each prefix (as many characters as the answer has). */
  continuations: string[];
  correct: number;
  total: number;
  accuracy: number;
}

/** The characters of a line that span corruption can show: the first floor(7 blockSize / 8) (char_corruption.ts). */
export function visibleChars(blockSize: number): number {
  return Math.floor((7 * blockSize) / 8);
}

/** NAME of "Where was NAME born?". */
export function personOf(question: string): string {
  const m = /^Where was (.+) born\?$/.exec(question.trim());
  if (!m) throw new Error(`recall: question "${question}" is not of the form "Where was NAME born?"`);
  return m[1];
}

/**
 * The probe items of a dev set: for each person, the first pretraining line that starts with the name, cut before
 * the answer's first occurrence after the name, kept when the answer ends within `window` characters.
 */
export function recallItems(pretrainText: string, dev: readonly Pick<QA, 'question' | 'answer'>[], window: number): RecallSet {
  if (!Number.isInteger(window) || window < 1) throw new Error(`recallItems: window must be a positive integer, got ${window}`);
  const lines = pretrainText.split('\n');
  const items: RecallItem[] = [];
  let notInText = 0;
  let outsideWindow = 0;
  dev.forEach((qa, i) => {
    const name = personOf(qa.question);
    const line = lines.find((l) => l.startsWith(name));
    const at = line === undefined || qa.answer === '' ? -1 : line.indexOf(qa.answer, name.length);
    if (line === undefined || at < 0) notInText++;
    else if ([...line.slice(0, at + qa.answer.length)].length > window) outsideWindow++;
    else items.push({ dev: i, name, answer: qa.answer, prefix: line.slice(0, at) });
  });
  return { items, notInText, outsideWindow };
}

/** A recall: the continuation starts with the answer (it may run on past it). */
export function isRecall(continuation: string, answer: string): boolean {
  return continuation.startsWith(answer);
}

/** Greedy continuation of every prefix; a recall as `isRecall` says. */
export function recallProbe(model: GPT, vocab: Vocab, items: RecallItem[], opts: { batchSize?: number } = {}): RecallResult {
  if (vocab.size !== model.config.vocabSize) {
    throw new Error(`recallProbe: vocabulary has ${vocab.size} characters, the model ${model.config.vocabSize}`);
  }
  const continuations: string[] = new Array(items.length).fill('');
  // One decode per answer length, so that each continuation is exactly as long as its answer.
  const byLength = new Map<number, number[]>();
  items.forEach((it, i) => {
    const n = [...it.answer].length;
    if (!byLength.has(n)) byLength.set(n, []);
    byLength.get(n)!.push(i);
  });
  for (const [steps, which] of byLength) {
    const prompts = which.map((i) => vocab.encode(items[i].prefix, `recall prefix of ${items[i].name}`));
    const decoded = greedyDecode(model, prompts, steps, { batchSize: opts.batchSize });
    which.forEach((i, k) => {
      continuations[i] = vocab.decode(decoded[k].slice(prompts[k].length));
    });
  }
  const correct = items.filter((it, i) => isRecall(continuations[i], it.answer)).length;
  return { continuations, correct, total: items.length, accuracy: items.length === 0 ? 0 : correct / items.length };
}

/** Stored against retrieved: the probed people split by whether the pretrained model recalls them. */
export interface StoredAndRetrieved {
  /** Probed people whose birthplace the pretrained model completes. */
  recalled: number;
  /** ... of whom the finetuned model answers right. */
  recalledAnswered: number;
  /** Probed people it does not complete. */
  missed: number;
  /** ... of whom the finetuned model still answers right (a guess, or a way to the fact the probe missed). */
  missedAnswered: number;
}

/**
 * Crosses a recall probe with the dev predictions of a model finetuned from the same checkpoint: how much of what
 * pretraining stored the finetuned model turns into answers. `predictions` are the lines of an evaluation's
 * predictions file, one per dev question, scored as `mingpt evaluate` scores them (exact match of the folded answer).
 */
export function storedAndRetrieved(
  continuations: readonly { dev: number; answer: string; continuation: string }[],
  predictions: readonly string[],
  dev: readonly Pick<QA, 'answer'>[],
): StoredAndRetrieved {
  if (predictions.length !== dev.length) {
    throw new Error(`storedAndRetrieved: ${predictions.length} predictions for ${dev.length} dev questions`);
  }
  const out: StoredAndRetrieved = { recalled: 0, recalledAnswered: 0, missed: 0, missedAnswered: 0 };
  for (const c of continuations) {
    if (!(Number.isInteger(c.dev) && c.dev >= 0 && c.dev < dev.length)) {
      throw new Error(`storedAndRetrieved: probed dev line ${c.dev} is outside the ${dev.length} dev questions`);
    }
    if (c.answer !== dev[c.dev].answer) {
      throw new Error(`storedAndRetrieved: probed dev line ${c.dev} has answer "${c.answer}", the dev set "${dev[c.dev].answer}" (another dev file?)`);
    }
    const answered = predictions[c.dev] === foldedAnswer(c.answer);
    if (isRecall(c.continuation, c.answer)) {
      out.recalled++;
      if (answered) out.recalledAnswered++;
    } else {
      out.missed++;
      if (answered) out.missedAnswered++;
    }
  }
  return out;
}
