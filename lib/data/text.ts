/**
 * Text helpers shared by the datasets: folding names to ASCII, and reading a text file strictly as UTF-8.
 *
 * Why fold: the course reads the question/answer files with every non-ASCII byte thrown away, so that a name
 * like "Ondřej" reaches the model in plain letters. We fold a little more gently, keeping the base letter:
 *   1. Unicode NFKD splits a letter from its accents ("ř" -> "r" + U+030C), and the combining marks are
 *      dropped;
 *   2. a short table spells the letters NFKD cannot split ("ø" -> "o", "ł" -> "l", "ß" -> "ss", curly quotes
 *      and dashes -> their ASCII forms);
 *   3. whatever is still not ASCII (another script, an emoji) is dropped, and so are the PAD and MASK symbols
 *      (which NFKD alone would turn into "??").
 * Finetuning and evaluation both go through this one function, so a question is encoded the same way in both.
 */
import * as fs from 'fs';
import { DataError } from './errors';

const SPELLED: Readonly<Record<string, string>> = {
  'ß': 'ss', 'ẞ': 'SS', 'ø': 'o', 'Ø': 'O', 'ł': 'l', 'Ł': 'L', 'đ': 'd', 'Đ': 'D', 'ð': 'd', 'Ð': 'D',
  'þ': 'th', 'Þ': 'Th', 'æ': 'ae', 'Æ': 'AE', 'œ': 'oe', 'Œ': 'OE', 'ı': 'i', 'ħ': 'h', 'Ħ': 'H',
  'ŀ': 'l', 'Ŀ': 'L', 'ŧ': 't', 'Ŧ': 'T',
  '\u2018': "'", '\u2019': "'", '\u201A': "'", '\u201C': '"', '\u201D': '"', '\u201E': '"',
  '\u2010': '-', '\u2011': '-', '\u2012': '-', '\u2013': '-', '\u2014': '-', '\u00A0': ' ',
};

/** Result of `foldToAsciiCounted`: the folded text and how many characters could not be folded. */
export interface Folded {
  text: string;
  /** Characters dropped because they have no ASCII form (other scripts, emoji, symbols). */
  dropped: number;
}

/** Fold to ASCII (see the module comment) and count what had to be dropped. */
export function foldToAsciiCounted(s: string): Folded {
  let text = '';
  let dropped = 0;
  for (const ch of s) {
    if (ch.charCodeAt(0) < 128) {
      text += ch;
      continue;
    }
    // PAD and MASK (U+25A1, U+2047; see vocab.ts) must not enter through a question: NFKD would turn MASK into "??".
    if (ch === '\u25A1' || ch === '\u2047') {
      dropped++;
      continue;
    }
    const spelled = SPELLED[ch];
    if (spelled !== undefined) {
      text += spelled;
      continue;
    }
    // NFKD, then keep only the ASCII part: drops combining marks (U+0300..U+036F and others).
    const base = ch.normalize('NFKD').replace(/[^\x00-\x7F]/g, '');
    if (base.length > 0) text += base;
    else dropped++;
  }
  return { text, dropped };
}

/** Fold a name or question to ASCII: "Ondřej Økland" -> "Ondrej Okland"; characters with no ASCII form are dropped. */
export function foldToAscii(s: string): string {
  return foldToAsciiCounted(s).text;
}

/**
 * Byte offset of the first invalid UTF-8 sequence, or -1 when the whole buffer is valid UTF-8
 * (no overlong forms, no surrogates, nothing above U+10FFFF).
 */
export function firstInvalidUtf8(buf: Uint8Array): number {
  let i = 0;
  const n = buf.length;
  while (i < n) {
    const b = buf[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0; // overlong
      if (b === 0xed) hi = 0x9f; // surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90; // overlong
      if (b === 0xf4) hi = 0x8f; // above U+10FFFF
    } else return i;
    if (i + need >= n) return i; // sequence cut off by the end of the file
    const second = buf[i + 1];
    if (second < lo || second > hi) return i;
    for (let k = 2; k <= need; k++) {
      const c = buf[i + k];
      if (c < 0x80 || c > 0xbf) return i;
    }
    i += need + 1;
  }
  return -1;
}

/**
 * Read a text file for the datasets. Accepted and normalised: a UTF-8 byte-order mark (removed) and CRLF
 * line ends (read as LF). Stopped with a DataError naming the file: a missing file, a UTF-16 file, bytes
 * that are not UTF-8 (with the line and byte where they start).
 */
export function readTextFile(file: string): string {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DataError(`${file}: no such file`);
    if (code === 'EISDIR') throw new DataError(`${file}: is a directory, expected a text file`);
    throw new DataError(`${file}: cannot be read (${(e as Error).message})`);
  }
  if (buf.length >= 2 && ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff))) {
    throw new DataError(`${file}: looks like UTF-16 (it starts with a UTF-16 byte-order mark); save it as UTF-8`);
  }
  const bad = firstInvalidUtf8(buf);
  if (bad >= 0) {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < bad; i++) {
      if (buf[i] === 0x0a) {
        line++;
        lineStart = i + 1;
      }
    }
    const hex = buf[bad].toString(16).toUpperCase().padStart(2, '0');
    throw new DataError(
      `${file} line ${line}: not valid UTF-8 (byte 0x${hex} at byte ${bad - lineStart + 1} of the line); ` +
        'the data files must be UTF-8 text (Latin-1 or Windows-1252 files need converting, e.g. with iconv)',
    );
  }
  let text = buf.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return text.replace(/\r\n/g, '\n');
}
