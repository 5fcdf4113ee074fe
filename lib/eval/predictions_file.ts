/**
 * An evaluation's predictions on disk: one line per question of the set, in order. A model may write a line
 * break inside its answer (the corpus is made of lines, and the answer only ends at the next MASK); it is kept
 * as the two characters `\n` (a backslash as `\\`), so every line stays one question's answer and reading the
 * file back gives the predictions exactly. No answer of the course's files holds a backslash or a line break.
 */
import * as fs from 'fs';
import { writeFileAtomic } from '../util/atomic';

const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r' };
const UNESCAPES: Record<string, string> = { '\\': '\\', n: '\n', r: '\r' };

/** One prediction as one line of the file. */
export function escapePrediction(p: string): string {
  return p.replace(/[\\\n\r]/g, (c) => ESCAPES[c]);
}

/** A line of the file as the prediction it stands for. */
export function unescapePrediction(line: string): string {
  return line.replace(/\\([\\nr])/g, (_, c: string) => UNESCAPES[c]);
}

/** Writes one prediction per line (atomically: a crash leaves the previous file). */
export function writePredictions(file: string, predictions: readonly string[]): void {
  writeFileAtomic(file, predictions.map((p) => escapePrediction(p) + '\n').join(''));
}

/** The predictions of a file `writePredictions` wrote. */
export function readPredictions(file: string): string[] {
  return fs.readFileSync(file, 'utf8').split('\n').slice(0, -1).map(unescapePrediction);
}
