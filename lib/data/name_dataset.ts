/**
 * Finetuning examples: "Where was NAME born?" -> "PLACE".
 *
 * One line `question<TAB>answer` becomes the string  question ⁇ answer ⁇ □□□...  (⁇ = MASK, □ = PAD),
 * padded to block_size characters. The model reads x = that string without its last character, and is
 * trained to predict y, the same string shifted by one, except that the question itself is not a target:
 *
 *   x[t] = s[t]                                     for t = 0 .. block_size - 2
 *   y[t] = PAD  for t < len(question) - 1,   s[t + 1] otherwise
 *
 * so the loss (which ignores PAD targets) covers exactly "MASK answer MASK". At evaluation the model gets
 * question + MASK (`encodePrompt`) and writes the answer until the next MASK.
 *
 * Both question and answer are folded to ASCII first (`foldToAscii`: "Münir Göle" -> "Munir Gole"), in
 * finetuning and in `encodePrompt` alike, as the course does, then trimmed; compare a prediction with
`foldToAscii(answer).trim()` (`foldedAnswer`).
 */
import { DataError } from './errors';
import { foldToAsciiCounted } from './fold';
import type { QA } from './tsv';
import { MASK_CHAR, PAD_CHAR, Vocab } from './vocab';

/** One training example: input ids and target ids, both block_size - 1 long. */
export interface Example {
  x: Int32Array;
  y: Int32Array;
}

/** The ids a model is fed to answer `question`: the folded question followed by MASK. */
export function encodePrompt(vocab: Vocab, question: string): number[] {
  const folded = foldToAsciiCounted(question).text.trim();
  if (folded === '') throw new DataError(`question ${JSON.stringify(question)}: nothing is left after folding to ASCII`);
  return vocab.encode(folded + MASK_CHAR, `question ${JSON.stringify(question)}`);
}

/** The gold answer as the model was taught to write it: folded to ASCII and trimmed. */
export function foldedAnswer(answer: string): string {
  return foldToAsciiCounted(answer).text.trim();
}

function where(pair: QA): string {
  return `${pair.file ?? 'question/answer pair'} line ${pair.line}`;
}

export class NameDataset {
  readonly length: number;
  readonly blockSize: number;
  readonly vocab: Vocab;
  /** The pairs as the model sees them, after folding to ASCII. */
  readonly pairs: readonly { question: string; answer: string }[];
  /** How many characters folding had to drop (no ASCII form), over all pairs. */
  readonly droppedChars: number;

  constructor(vocab: Vocab, pairs: readonly QA[], blockSize: number) {
    if (!Number.isInteger(blockSize) || blockSize < 4) {
      throw new DataError(`NameDataset: blockSize must be an integer of at least 4 (question, MASK, answer, MASK), got ${blockSize}`);
    }
    if (pairs.length === 0) throw new DataError('NameDataset: no question/answer pairs');
    let dropped = 0;
    const folded = pairs.map((pair) => {
      const q = foldToAsciiCounted(pair.question);
      const a = foldToAsciiCounted(pair.answer);
      q.text = q.text.trim();
      a.text = a.text.trim();
      dropped += q.dropped + a.dropped;
      if (q.text === '' || a.text === '') {
        throw new DataError(`${where(pair)}: the ${q.text === '' ? 'question' : 'answer'} has nothing left after folding to ASCII`);
      }
      const total = q.text.length + a.text.length + 2;
      if (total > blockSize) {
        throw new DataError(
          `${where(pair)}: question + MASK + answer + MASK is ${total} characters, more than blockSize ${blockSize}; ` +
            'use a larger block size or a shorter question',
        );
      }
      // Check every character now, so that a bad line is reported with its line number before training.
      vocab.encode(q.text + a.text, where(pair));
      return { question: q.text, answer: a.text };
    });
    this.vocab = vocab;
    this.blockSize = blockSize;
    this.pairs = folded;
    this.length = folded.length;
    this.droppedChars = dropped;
  }

  example(i: number): Example {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) throw new RangeError(`NameDataset.example: index ${i} outside 0..${this.length - 1}`);
    const { question, answer } = this.pairs[i];
    const blockSize = this.blockSize;
    // BEGIN SOLUTION NameDataset
    const full = question + MASK_CHAR + answer + MASK_CHAR;
    const padded = full + PAD_CHAR.repeat(blockSize - full.length);
    const x = padded.slice(0, -1);
    const y = PAD_CHAR.repeat(question.length - 1) + padded.slice(question.length);
    return { x: Int32Array.from(this.vocab.encode(x)), y: Int32Array.from(this.vocab.encode(y)) };
    // END SOLUTION
  }
}

/**
 * An example as it is printed in notebook 5: x and y decoded, the run of padding at the end shown as "□…",
 * and how many targets count (the non-PAD ones).
 */
export function describeExample(vocab: Vocab, ex: Example): string {
  const shown = (ids: Int32Array): string => vocab.decode(Array.from(ids)).replace(new RegExp(`${PAD_CHAR}+$`), `${PAD_CHAR}…`);
  return `x: ${shown(ex.x)}\ny: ${shown(ex.y)}\n   ${countedTargets(vocab, ex)} targets count`;
}

/** How many targets of an example are not PAD: the positions its loss is averaged over. */
export function countedTargets(vocab: Vocab, ex: Example): number {
  return ex.y.reduce((n, id) => n + (id === vocab.padId ? 0 : 1), 0);
}
