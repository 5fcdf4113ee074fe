/**
 * What the notebooks' prose says about their own results, checked on the executed notebooks.
 *
 * A notebook that trains models states what its run shows. Where it can, the notebook computes the sentence from
 * its numbers (notebook 7: pretrainingFindings, lib/viz/scores.ts); where the sentence stands in the
 * prose (notebook 5: "its answers are guesses"), it is listed here with a check of
 * the numbers the notebook displayed (its score tables, lib/viz/scores.ts). The build runs the checks on
 * every executed notebook and fails on a claim that no longer holds, or on a listed sentence the notebook no
 * longer says (so that rewording the prose means rewording the check).
 *
 * The numbers of notebook 7 are also the recorded synthetic rows of notebook 8 (scripts/results.sh synthetic
 * runs the same world, preset and seed): `recordProblems` compares them.
 */
import * as path from 'path';
import { Score, formatScore, standardErrorsApart } from '../../lib/eval/score';
import { readRunRecords } from '../../lib/results/record';
import { SEVERAL_SE, ScoreData, readScoreTables, scoresOf } from '../../lib/viz/scores';
import { Notebook, text } from './notebook';

export interface Claim {
  /** The notebook it is about: the start of its file name ("07"). */
  notebook: string;
  /** The sentence as it stands in one of the notebook's markdown cells (line breaks and spaces count as one space). */
  says: string;
  /** Why the claim does not hold for these scores (keyed as the notebook's score tables), or undefined when it holds. */
  fails(s: Readonly<Record<string, Score>>): string | undefined;
}

/** The scores of `keys`, or an error naming the missing ones. */
export function need(s: Readonly<Record<string, Score>>, keys: readonly string[]): Score[] {
  const missing = keys.filter((k) => s[k] === undefined);
  if (missing.length > 0) throw new Error(`no score for ${missing.join(', ')} in the notebook's score tables (it has: ${Object.keys(s).join(', ') || 'none'})`);
  return keys.map((k) => s[k]);
}

/** undefined when a is at least `se` standard errors above b, else the reason. */
export function above(s: Readonly<Record<string, Score>>, a: string, b: string, se = SEVERAL_SE): string | undefined {
  const [sa, sb] = need(s, [a, b]);
  const z = standardErrorsApart(sa, sb);
  return z >= se ? undefined : `${a} ${formatScore(sa)} is ${z.toFixed(1)} standard errors above ${b} ${formatScore(sb)}, not ${se}`;
}

/** undefined when a is not significantly above b (less than `se` standard errors), else the reason. */
export function notAbove(s: Readonly<Record<string, Score>>, a: string, b: string, se = 2): string | undefined {
  const [sa, sb] = need(s, [a, b]);
  const z = standardErrorsApart(sa, sb);
  return z < se ? undefined : `${a} ${formatScore(sa)} is ${z.toFixed(1)} standard errors above ${b} ${formatScore(sb)} (the text says it is no better)`;
}

export const CLAIMS: readonly Claim[] = [
  {
    notebook: '05',
    says: 'For the dev people its answers are guesses: it does no better on them than always answering London, and far worse than on the people it was trained on.',
    fails: (s) => notAbove(s, 'vanilla-nopretrain', 'london') ?? above(s, 'vanilla-nopretrain-train', 'vanilla-nopretrain'),
  },
];

const squash = (t: string): string => t.replace(/\s+/g, ' ').trim();

/** The scores of every score table the notebook displayed (a later table's key replaces an earlier one's). */
export function notebookScores(nb: Notebook): Record<string, Score> {
  const data: ScoreData = {};
  for (const cell of nb.cells) {
    for (const o of cell.outputs ?? []) {
      const html = o.data?.['text/html'];
      if (html !== undefined) Object.assign(data, ...readScoreTables(text(html as string | string[])));
    }
  }
  return scoresOf(data);
}

/** Every listed claim of notebook `name` that its executed copy `nb` does not bear out, one message each. */
export function claimProblems(name: string, nb: Notebook, claims: readonly Claim[] = CLAIMS): string[] {
  const mine = claims.filter((c) => name.startsWith(c.notebook));
  if (mine.length === 0) return [];
  const prose = squash(nb.cells.filter((c) => c.cell_type === 'markdown').map((c) => text(c.source)).join('\n'));
  const scores = notebookScores(nb);
  const problems: string[] = [];
  for (const claim of mine) {
    if (!prose.includes(squash(claim.says))) {
      problems.push(`${name}: the text no longer says "${claim.says}" (reword its check in scripts/site/claims.ts with it)`);
      continue;
    }
    let why: string | undefined;
    try {
      why = claim.fails(scores);
    } catch (e) {
      why = (e as Error).message;
    }
    if (why !== undefined) problems.push(`${name}: "${claim.says}" does not hold: ${why}`);
  }
  return problems;
}

/**
 * How many right answers a notebook's row may differ from its record. On the machine that made the records the
 * numbers are equal (same seed, same code, same kernels); elsewhere OpenBLAS kernels of another CPU round
 * differently, the trained weights drift apart over thousands of steps, and a few answers can change.
 */
export const RECORD_TOLERANCE = 6;

/** The latest recorded score of each table row of a corpus (evaluations and the London baseline). */
export function recordedScores(resultsDir: string, corpus: 'synthetic' | 'real'): Record<string, Score & { startedAt: string }> {
  const out: Record<string, Score & { startedAt: string }> = {};
  for (const r of readRunRecords(resultsDir)) {
    if ((r.verb !== 'evaluate' && r.verb !== 'london') || r.corpus !== corpus || r.row === undefined) continue;
    if (r.correct === undefined || r.total === undefined) continue;
    const prev = out[r.row];
    if (prev && prev.startedAt >= r.startedAt) continue;
    const [score] = Object.values(scoresOf({ x: { correct: r.correct, total: r.total } }));
    out[r.row] = { ...score, startedAt: r.startedAt };
  }
  return out;
}

/** Which notebooks' scores are recorded rows, and where. */
export const RECORDED: readonly { notebook: string; corpus: 'synthetic'; dir: string; rows: readonly string[] }[] = [
  { notebook: '05', corpus: 'synthetic', dir: path.join('results', 'synthetic'), rows: ['london', 'vanilla-nopretrain'] },
  { notebook: '07', corpus: 'synthetic', dir: path.join('results', 'synthetic'), rows: ['london', 'vanilla-nopretrain', 'vanilla-pretrain', 'rope-pretrain'] },
];

/**
 * Where notebook `name`'s displayed scores differ from the recorded rows by more than `tolerance` right answers
 * (or by any question count), one message each. A notebook run on another corpus (WORKBOOK_CORPUS=real) has no
 * recorded rows to match and is not compared: `corpus` says which one it ran on.
 */
export function recordProblems(name: string, nb: Notebook, root: string, corpus: string, tolerance = RECORD_TOLERANCE): string[] {
  const spec = RECORDED.find((r) => name.startsWith(r.notebook));
  if (!spec || corpus !== spec.corpus) return [];
  const recorded = recordedScores(path.join(root, spec.dir), spec.corpus);
  const shown = notebookScores(nb);
  const problems: string[] = [];
  for (const row of spec.rows) {
    const r = recorded[row];
    const s = shown[row];
    if (!r) problems.push(`${name}: no recorded ${spec.corpus} row "${row}" in ${spec.dir} (run scripts/results.sh ${spec.corpus})`);
    else if (!s) problems.push(`${name}: the notebook shows no score "${row}"`);
    else if (r.total !== s.total || Math.abs(r.correct - s.correct) > tolerance) {
      problems.push(`${name}: "${row}" is ${s.correct}/${s.total} here but ${r.correct}/${r.total} in ${spec.dir} ` +
        `(more than ${tolerance} answers apart: re-run scripts/results.sh ${spec.corpus} after changing the world or the preset)`);
    }
  }
  return problems;
}
