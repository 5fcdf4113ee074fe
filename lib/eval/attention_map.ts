/**
 * Where a trained model looks when it answers: the attention of the position that writes the answer's first
 * character, over the characters of the prompt, in every layer and head.
 *
 * The model answers "Where was NAME born?" from the prompt question + MASK (name_dataset.ts): the output at the
 * MASK, the prompt's last position, is the answer's first character, and every later character follows from it
 * and the ones before. So the MASK's attention row (causal: it sees exactly the prompt) shows which characters
 * that decision drew on: a model that retrieves a stored birthplace should look at the name.
 */
import { encodePrompt } from '../data/name_dataset';
import type { Vocab } from '../data/vocab';
import type { GPT } from '../mingpt/model';
import { predictBirthplaces } from './evaluate';
import { personOf } from './recall';

export interface AnswerAttention {
  question: string;
  /** The prompt as the model reads it, one character per position: the folded question, then MASK. */
  prompt: string[];
  /** The model's answer to the question (greedy, as in evaluation). */
  answer: string;
  /**
   * weights[layer][head][j]: the attention the prompt's last position (the MASK, whose output is the
   * answer's first character) gives prompt position j. Each [layer][head] row sums to 1.
   */
  weights: number[][][];
}

/** The model's answer to `question` and the attention behind its first character (see the module comment). */
export function answerAttention(model: GPT, vocab: Vocab, question: string): AnswerAttention {
  const ids = encodePrompt(vocab, question);
  if (ids.length > model.config.blockSize) {
    throw new Error(`answerAttention: the prompt of ${JSON.stringify(question)} has ${ids.length} characters, more than the model's window of ${model.config.blockSize}`);
  }
  const [answer] = predictBirthplaces(model, vocab, [question]);
  const last = ids.length - 1;
  const weights = model.attentionMaps(ids).map((layer) => layer.map((head) => head[last].slice(0, ids.length)));
  return { question, prompt: ids.map((id) => vocab.decode([id])), answer, weights };
}

/** How much of each head's attention falls on the person's name, and the head that gives it the most. */
export interface NameAttention {
  /** Prompt positions [start, end) of the name. */
  span: [number, number];
  /** share[layer][head]: the head's total weight on the name's characters, in [0, 1]. */
  share: number[][];
  /** The head with the largest share (0-based layer and head). */
  top: { layer: number; head: number; share: number };
}

/** The share of each head's attention on the name of "Where was NAME born?" (see NameAttention). */
export function attentionOnName(a: AnswerAttention): NameAttention {
  const prompt = a.prompt.join('');
  const name = personOf(a.question.trim());
  const start = prompt.indexOf(name);
  if (start < 0) throw new Error(`attentionOnName: the prompt ${JSON.stringify(prompt)} does not spell the name ${JSON.stringify(name)}`);
  const end = start + [...name].length;
  const share = a.weights.map((layer) => layer.map((row) => row.slice(start, end).reduce((s, w) => s + w, 0)));
  let top = { layer: 0, head: 0, share: -1 };
  share.forEach((layer, l) => layer.forEach((v, h) => {
    if (v > top.share) top = { layer: l, head: h, share: v };
  }));
  return { span: [start, end], share, top };
}

/**
 * One sentence on where a model looked: "vanilla answers "Lima": layer 2, head 3 puts 64% of its attention on
 * the 7 characters of "Sor Kre" (26% of the prompt's characters)".
 */
export function nameAttentionSentence(label: string, a: AnswerAttention): string {
  const n = attentionOnName(a);
  const chars = n.span[1] - n.span[0];
  const name = a.prompt.slice(n.span[0], n.span[1]).join('');
  return `${label} answers "${a.answer}": layer ${n.top.layer + 1}, head ${n.top.head + 1} puts ${(100 * n.top.share).toFixed(0)}% of its attention ` +
    `on the ${chars} characters of "${name}", which are ${(100 * chars / a.prompt.length).toFixed(0)}% of the prompt's ${a.prompt.length}.`;
}
