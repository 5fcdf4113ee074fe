/**
 * Text helpers shared by the datasets: folding names to ASCII (`fold.ts`, kept apart so that code without a
 * file system can use it), and reading a text file strictly as UTF-8.
 */
import * as fs from 'fs';
import { DataError } from './errors';

export { foldToAscii, foldToAsciiCounted } from './fold';
export type { Folded } from './fold';

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

/** The lines of a text that hold more than white space: a final newline, or a blank line, makes none. */
export function countTextLines(text: string): number {
  return text.split('\n').filter((l) => l.trim() !== '').length;
}
