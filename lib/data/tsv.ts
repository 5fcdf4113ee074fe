/**
 * The question/answer files of the exercise: one `Where was NAME born?<TAB>PLACE` per line.
 *
 * What a file may contain, and what it means:
 * - a UTF-8 byte-order mark and CRLF line ends: accepted (removed / read as LF);
 * - blank lines (empty or only spaces): skipped; line numbers stay those of the file;
 * - spaces around the question or the answer: trimmed;
 * - a line without a tab, with more than one tab, or with an empty question or answer: a DataError
 *   "FILE line N: ..." saying what was wrong;
 * - a file that is not UTF-8, or has no question at all: a DataError naming the file.
 * An evaluation file may hold questions alone (birth_test_inputs.tsv) or pairs (birth_dev.tsv); `parseEvalTsv` tells
 * them apart by the tabs, and a file that mixes the two is a DataError naming the lines that differ from the rest.
 * The text is kept as written; folding to ASCII happens when it is encoded (see name_dataset.ts).
 */
import { DataError } from './errors';
import { readTextFile } from './text';

export { DataError } from './errors';

export interface QA {
  question: string;
  answer: string;
  /** 1-based line in the file it came from. */
  line: number;
  /** The file (or name) it came from, for error messages. */
  file?: string;
}

export interface Question {
  question: string;
  line: number;
}

function lines(text: string): string[] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

function spacesForTab(line: string): string {
  // The course's own dev file once had spaces where the tab belongs; say so when it looks like that.
  return /\?\s{2,}\S/.test(line) || /\? +[A-Z][^?]*$/.test(line) ? ' (it looks like spaces stand where the tab belongs)' : '';
}

function preview(line: string): string {
  return JSON.stringify(line.length > 60 ? line.slice(0, 57) + '...' : line);
}

/** Parse `question<TAB>answer` lines (see the module comment for what is accepted). */
export function parseQaTsv(text: string, fileName: string): QA[] {
  const out: QA[] = [];
  lines(text).forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    const parts = raw.split('\t');
    if (parts.length === 1) {
      throw new DataError(`${fileName} line ${line}: no tab in ${preview(raw)}; expected "question<TAB>answer"${spacesForTab(raw)}`);
    }
    if (parts.length > 2) {
      throw new DataError(`${fileName} line ${line}: ${parts.length - 1} tabs in ${preview(raw)}; expected exactly one, between question and answer`);
    }
    const question = parts[0].trim();
    const answer = parts[1].trim();
    if (question === '') throw new DataError(`${fileName} line ${line}: the question (before the tab) is empty`);
    if (answer === '') throw new DataError(`${fileName} line ${line}: the answer (after the tab) is empty`);
    out.push({ question, answer, line, file: fileName });
  });
  if (out.length === 0) throw new DataError(`${fileName}: contains no "question<TAB>answer" line`);
  return out;
}

/** Read and parse a question/answer TSV file. */
export function readQaTsv(file: string): QA[] {
  return parseQaTsv(readTextFile(file), file);
}

/** Parse questions alone, one per line; a tab and answer after the question are allowed and ignored. */
export function parseQuestions(text: string, fileName: string): Question[] {
  const out: Question[] = [];
  lines(text).forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    const parts = raw.split('\t');
    if (parts.length > 2) {
      throw new DataError(`${fileName} line ${line}: ${parts.length - 1} tabs in ${preview(raw)}; expected a question, optionally followed by one tab and an answer`);
    }
    const question = parts[0].trim();
    if (question === '') throw new DataError(`${fileName} line ${line}: the question is empty`);
    out.push({ question, line });
  });
  if (out.length === 0) throw new DataError(`${fileName}: contains no question`);
  return out;
}

/** Read questions from a file like birth_test_inputs.tsv (answers may be absent). */
export function readQuestions(file: string): Question[] {
  return parseQuestions(readTextFile(file), file);
}

/** An evaluation file: its questions, and the pairs when every line has an answer. */
export interface EvalSet {
  questions: Question[];
  pairs?: QA[];
}

function lineList(numbers: readonly number[]): string {
  const shown = numbers.slice(0, 5).join(', ');
  return numbers.length > 5 ? `${shown} and ${numbers.length - 5} more` : shown;
}

/**
 * Parse an evaluation file: `question<TAB>answer` on every line (pairs, which can be scored), or questions alone on
 * every line. A file that mixes the two is an error naming the odd lines: a pair file with one line that lost its
 * tab (or its answer) would otherwise be read as questions alone and never scored.
 */
export function parseEvalTsv(text: string, fileName: string): EvalSet {
  const numbered = lines(text)
    .map((raw, i) => ({ raw, line: i + 1 }))
    .filter((l) => l.raw.trim() !== '');
  const withTab = numbered.filter((l) => l.raw.includes('\t'));
  const withoutTab = numbered.filter((l) => !l.raw.includes('\t'));
  if (withTab.length > 0 && withoutTab.length > 0) {
    const total = numbered.length;
    if (withTab.length >= withoutTab.length) {
      const first = withoutTab[0];
      throw new DataError(
        `${fileName} line ${first.line}: no tab in ${preview(first.raw)}, but ${withTab.length} of the file's ${total} lines are ` +
          `"question<TAB>answer"${spacesForTab(first.raw)}; lines without a tab: ${lineList(withoutTab.map((l) => l.line))}`,
      );
    }
    const first = withTab[0];
    throw new DataError(
      `${fileName} line ${first.line}: a tab in ${preview(first.raw)}, but ${withoutTab.length} of the file's ${total} lines are questions ` +
        `alone; give every line an answer ("question<TAB>answer") or none. Lines with a tab: ${lineList(withTab.map((l) => l.line))}`,
    );
  }
  if (withTab.length > 0) {
    const pairs = parseQaTsv(text, fileName);
    return { questions: pairs.map((p) => ({ question: p.question, line: p.line })), pairs };
  }
  return { questions: parseQuestions(text, fileName) };
}

/** Read an evaluation file (see parseEvalTsv). */
export function readEvalTsv(file: string): EvalSet {
  return parseEvalTsv(readTextFile(file), file);
}
