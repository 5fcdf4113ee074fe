/**
 * Span corruption, the pretraining objective of the exercise (a character-level cousin of T5's).
 *
 * The corpus is split on newlines; each line is a document. To make an example from a document:
 *   1. truncate it to a random length between 4 and floor(block_size * 7/8) characters (a document shorter
 *      than the draw is kept whole);
 *   2. cut the truncated text into prefix + masked + suffix, the masked span 1/4 of the truncated length on
 *      average (uniform on 1 .. floor(L/2) - 1, at least 1) and placed uniformly;
 *   3. rearrange to  prefix ⁇ suffix ⁇ masked  and pad with □ to block_size characters;
 *   4. x is that string without its last character, y without its first.
 * The model thus learns to write, after the second MASK, the text that was taken out, using both sides of it.
 *
 * Documented edge cases:
 * - documents shorter than 4 characters (wiki.txt ends with an empty line) are left out of `documents`;
 *   `skippedDocuments` counts them. A corpus with no document of 4 characters is a DataError.
 * - blockSize must be at least 9: the longest truncation plus the two MASKs, floor(7B/8) + 2, must fit in B.
 * - every character of every document must be in the vocabulary (checked up front, with its line number).
 * Lengths are counted in characters (code points), as Python's len() does, not UTF-16 units.
 */
import { DataError } from './errors';
import type { Example } from './name_dataset';
import { Rng } from '../util/random';
import { MASK_CHAR, Vocab } from './vocab';

/** The pieces of one corrupted document. */
export interface CorruptionParts {
  prefix: string;
  masked: string;
  suffix: string;
  /** Length in characters of prefix + masked + suffix (the document after truncation). */
  truncatedLength: number;
}

/** Shortest document span corruption accepts: truncation draws at least this many characters. */
export const MIN_DOCUMENT_LENGTH = 4;
/** Smallest block size for which the longest corrupted example still fits. */
export const MIN_CORRUPTION_BLOCK_SIZE = 9;

export class CharCorruptionDataset {
  readonly blockSize: number;
  readonly vocab: Vocab;
  /** The usable documents (lines of the corpus with at least 4 characters). */
  readonly documents: readonly string[];
  /** Number of usable documents. */
  readonly length: number;
  /** Lines of the corpus left out for being shorter than 4 characters. */
  readonly skippedDocuments: number;

  constructor(vocab: Vocab, corpusText: string, blockSize: number) {
    if (!Number.isInteger(blockSize) || blockSize < MIN_CORRUPTION_BLOCK_SIZE) {
      throw new DataError(
        `CharCorruptionDataset: blockSize must be an integer of at least ${MIN_CORRUPTION_BLOCK_SIZE} ` +
          `(a truncated document of floor(7/8 blockSize) characters plus two MASKs must fit), got ${blockSize}`,
      );
    }
    const lines = corpusText.split('\n');
    const documents: string[] = [];
    lines.forEach((doc, i) => {
      if ([...doc].length < MIN_DOCUMENT_LENGTH) return;
      vocab.encode(doc, `pretraining corpus line ${i + 1}`);
      documents.push(doc);
    });
    if (documents.length === 0) {
      throw new DataError(
        `CharCorruptionDataset: the pretraining corpus has no document (line) of at least ${MIN_DOCUMENT_LENGTH} characters ` +
          `(${corpusText.length === 0 ? 'it is empty' : `${lines.length} line(s), all shorter`})`,
      );
    }
    this.vocab = vocab;
    this.blockSize = blockSize;
    this.documents = documents;
    this.length = documents.length;
    this.skippedDocuments = lines.length - documents.length;
  }

  /** Truncate `doc` at random and cut it into prefix, masked span and suffix (steps 1-2 above). */
  corrupt(doc: string, rng: Rng): CorruptionParts {
    const chars = [...doc];
    if (chars.length < MIN_DOCUMENT_LENGTH) {
      throw new DataError(`CharCorruptionDataset.corrupt: document ${JSON.stringify(doc)} has ${chars.length} characters, fewer than ${MIN_DOCUMENT_LENGTH}`);
    }
    const blockSize = this.blockSize;
    // BEGIN SOLUTION span corruption
    const truncatedLength = Math.min(chars.length, rng.int(MIN_DOCUMENT_LENGTH, Math.floor((blockSize * 7) / 8)));
    // Uniform on 1 .. floor(L/2) - 1 has mean floor(L/2)/2, i.e. L/4 (L even) or (L-1)/4 (L odd).
    const maskedLength = rng.int(1, Math.max(1, Math.floor(truncatedLength / 2) - 1));
    const start = rng.int(0, truncatedLength - maskedLength);
    return {
      prefix: chars.slice(0, start).join(''),
      masked: chars.slice(start, start + maskedLength).join(''),
      suffix: chars.slice(start + maskedLength, truncatedLength).join(''),
      truncatedLength,
    };
    // END SOLUTION
  }

  /** Example for document i: prefix ⁇ suffix ⁇ masked □□□, shifted into x and y (steps 3-4 above). */
  example(i: number, rng: Rng): Example {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) throw new RangeError(`CharCorruptionDataset.example: index ${i} outside 0..${this.length - 1}`);
    const parts = this.corrupt(this.documents[i], rng);
    const blockSize = this.blockSize;
    // BEGIN SOLUTION span corruption
    const rearranged = parts.prefix + MASK_CHAR + parts.suffix + MASK_CHAR + parts.masked;
    const ids = this.vocab.encode(rearranged, `pretraining document ${i}`);
    while (ids.length < blockSize) ids.push(this.vocab.padId);
    return { x: Int32Array.from(ids.slice(0, -1)), y: Int32Array.from(ids.slice(1)) };
    // END SOLUTION
  }
}
