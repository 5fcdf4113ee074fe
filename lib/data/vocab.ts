/**
 * The character vocabulary of the minGPT exercise.
 *
 * Id 0 is PAD (U+25A1, an empty square), id 1 is MASK (U+2047, a double question mark), then every distinct
 * character of the pretraining corpus sorted by code point, newline included (the real wiki.txt gives
 * 254 + 2 = 256 ids). The vocabulary comes from the pretraining corpus alone: finetuning questions must be
 * spelled with characters that corpus contains.
 *
 * Unknown characters. `encode` never invents an id: a character the vocabulary does not hold stops with a
 * DataError that says where it was (the `where` argument, e.g. "birth_dev.tsv line 7") and which character.
 * Question/answer text is first folded to ASCII (`foldToAscii`, which drops what has no ASCII form), so
 * only an ASCII character missing from the corpus can still stop it; finetuning and evaluation share that rule.
 */
import { DataError } from './errors';

/** Padding character, id 0: fills an example up to the block size; targets equal to it carry no loss. */
export const PAD_CHAR = '\u25A1';
/** Mask character, id 1: marks the end of a question, and the hole and its content in span corruption. */
export const MASK_CHAR = '\u2047';

function describeChar(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  const hex = 'U+' + cp.toString(16).toUpperCase().padStart(4, '0');
  const shown = cp < 32 || cp === 127 ? JSON.stringify(ch) : `'${ch}'`;
  return `${shown} (${hex})`;
}

export class Vocab {
  /** id -> character. */
  readonly chars: readonly string[];
  readonly size: number;
  readonly padId = 0 as const;
  readonly maskId = 1 as const;
  private readonly ids: ReadonlyMap<string, number>;

  private constructor(chars: readonly string[]) {
    this.chars = Object.freeze(chars.slice());
    this.size = chars.length;
    const ids = new Map<string, number>();
    chars.forEach((ch, i) => ids.set(ch, i));
    this.ids = ids;
  }

  /** PAD, MASK, then the distinct characters of `text` in code-point order. */
  static fromCorpus(text: string): Vocab {
    if (text.length === 0) throw new DataError('Vocab.fromCorpus: the pretraining corpus is empty; there are no characters to build a vocabulary from');
    const seen = new Set<string>();
    for (const ch of text) seen.add(ch);
    for (const special of [PAD_CHAR, MASK_CHAR]) {
      if (seen.has(special)) {
        const line = text.slice(0, text.indexOf(special)).split('\n').length;
        throw new DataError(
          `Vocab.fromCorpus: the corpus contains the reserved character ${describeChar(special)} on line ${line}; ` +
            'PAD and MASK must not occur in the text',
        );
      }
    }
    const sorted = [...seen].sort((a, b) => (a.codePointAt(0) ?? 0) - (b.codePointAt(0) ?? 0));
    return new Vocab([PAD_CHAR, MASK_CHAR, ...sorted]);
  }

  /** A vocabulary with exactly this id order (e.g. read back from a checkpoint). */
  static fromChars(chars: readonly string[]): Vocab {
    if (chars.length < 2 || chars[0] !== PAD_CHAR || chars[1] !== MASK_CHAR) {
      throw new DataError(`Vocab.fromChars: id 0 must be PAD ${describeChar(PAD_CHAR)} and id 1 MASK ${describeChar(MASK_CHAR)}`);
    }
    const seen = new Set<string>();
    chars.forEach((ch, i) => {
      if ([...ch].length !== 1) throw new DataError(`Vocab.fromChars: id ${i} is ${JSON.stringify(ch)}, not a single character`);
      if (seen.has(ch)) throw new DataError(`Vocab.fromChars: character ${describeChar(ch)} appears twice (again at id ${i})`);
      seen.add(ch);
    });
    return new Vocab(chars);
  }

  has(ch: string): boolean {
    return this.ids.has(ch);
  }

  /** The id of one character; throws a DataError naming `where` when it is not in the vocabulary. */
  id(ch: string, where = 'text'): number {
    const id = this.ids.get(ch);
    if (id === undefined) throw new DataError(`${where}: character ${describeChar(ch)} is not in the vocabulary (${this.size} characters, built from the pretraining corpus)`);
    return id;
  }

  /** Character ids of `text`, one per code point. An unknown character stops with a DataError naming `where`. */
  encode(text: string, where = 'text'): number[] {
    const out: number[] = [];
    let pos = 0;
    for (const ch of text) {
      const id = this.ids.get(ch);
      if (id === undefined) {
        throw new DataError(
          `${where}: character ${describeChar(ch)} at position ${pos + 1} of ${JSON.stringify(text.length > 80 ? text.slice(0, 77) + '...' : text)} ` +
            `is not in the vocabulary (${this.size} characters, built from the pretraining corpus)`,
        );
      }
      out.push(id);
      pos++;
    }
    return out;
  }

  /** The text of a sequence of ids (PAD and MASK decode to their symbols). */
  decode(ids: ArrayLike<number>): string {
    let out = '';
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      const ch = this.chars[id];
      if (ch === undefined) throw new Error(`Vocab.decode: id ${id} at position ${i} is outside 0..${this.size - 1}`);
      out += ch;
    }
    return out;
  }
}
