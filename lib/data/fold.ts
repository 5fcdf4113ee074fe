/**
 * Folding names and questions to ASCII, the one rule that finetuning, evaluation and the browser page share.
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
