/**
 * What the notebooks' prose says about their own results, checked on the executed notebooks.
 *
 * A notebook states what its output shows. Where it can, the notebook computes the sentence from its numbers
 * (notebook 7: pretrainingFindings, lib/viz/scores.ts); where the sentence stands in the prose (notebook 5: "its
 * answers are guesses"; notebook 1: "about half the draws give c = v_b"), it is listed here with a check of the
 * numbers the notebook displayed: its score tables (lib/viz/scores.ts), the lines it printed, the data of its
 * figures. The build runs the checks on every executed notebook and fails on a claim that no longer holds, or on
 * a listed sentence the notebook no longer says (so that rewording the prose means rewording the check).
 *
 * The numbers of notebook 7 are also the recorded synthetic rows of notebook 8 (scripts/results.sh synthetic
 * runs the same world, preset and seed): `recordProblems` compares them.
 */
import * as path from 'path';
import { Score, formatScore, standardErrorsApart } from '../../lib/eval/score';
import { readRunRecords } from '../../lib/results/record';
import { SEVERAL_SE, ScoreData, readScoreTables, scoresOf } from '../../lib/viz/scores';
import type { Figure, PlotlyTrace } from '../../lib/viz/index';
import { Notebook, text } from './notebook';

export interface Claim {
  /** The notebook it is about: the start of its file name ("07"). */
  notebook: string;
  /** The sentence as it stands in one of the notebook's markdown cells (line breaks and spaces count as one space). */
  says: string;
  /**
   * Why the claim does not hold for these scores (keyed as the notebook's score tables) and outputs, or undefined
   * when it holds. It may throw (e.g. `printed` finding no such line): the message is the reason.
   */
  fails(s: Readonly<Record<string, Score>>, out: ExecutedOutputs): string | undefined;
}

/** What an executed notebook shows besides its score tables. */
export interface ExecutedOutputs {
  /** Everything its code cells printed (standard output), in order. */
  printed: string;
  /** Its figures (the plotly JSON of each `plot`), in order. */
  figures: Figure[];
}

/** The printed text and the figures of an executed notebook. */
export function executedOutputs(nb: Notebook): ExecutedOutputs {
  let printed = '';
  const figures: Figure[] = [];
  for (const cell of nb.cells) {
    for (const o of cell.outputs ?? []) {
      if (o.output_type === 'stream' && o.name === 'stdout') printed += text(o.text);
      const figure = o.data?.['application/vnd.plotly.v1+json'];
      if (figure !== undefined) figures.push(figure as Figure);
    }
  }
  return { printed, figures };
}

/** The numbers captured by `pattern`'s groups in the first printed line it matches; an error names the pattern. */
export function printed(out: ExecutedOutputs, pattern: RegExp): number[] {
  const m = pattern.exec(out.printed);
  if (!m) throw new Error(`the notebook prints no line matching ${pattern}`);
  return m.slice(1).map(Number);
}

/** The numbers captured by `pattern`'s (first) group in every printed line it matches. */
export function printedAll(out: ExecutedOutputs, pattern: RegExp): number[] {
  const all = [...out.printed.matchAll(new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : pattern.flags + 'g'))].map((m) => Number(m[1]));
  if (all.length === 0) throw new Error(`the notebook prints no line matching ${pattern}`);
  return all;
}

const titleText = (t: string | { text: string } | undefined): string | undefined => (typeof t === 'string' ? t : t?.text);

/**
 * The traces of the figure titled `title`, or of the panel titled `title` in a figure of two panels (sideBySide
 * puts panel titles as its first annotations, the left panel on axes x, y and the right one on x2, y2).
 */
export function figureTraces(out: ExecutedOutputs, title: string): PlotlyTrace[] {
  for (const f of out.figures) {
    if (titleText(f.layout?.title) === title) return f.data;
    const panel = (f.layout?.annotations ?? []).slice(0, 2).findIndex((a) => a.text === title);
    if (panel >= 0) return f.data.filter((t) => (t.xaxis ?? 'x') === (panel === 0 ? 'x' : 'x2'));
  }
  throw new Error(`the notebook shows no figure or panel titled "${title}"`);
}

/** The y values of the line `name` in the figure titled `title`. */
export function figureLine(out: ExecutedOutputs, title: string, name: string): number[] {
  const trace = figureTraces(out, title).find((t) => t.name === name);
  if (!trace || trace.type !== 'scatter') throw new Error(`the figure "${title}" has no line "${name}"`);
  return trace.y;
}

/** The matrix of the (first) heatmap in the figure or panel titled `title`. */
export function figureHeatmap(out: ExecutedOutputs, title: string): number[][] {
  const trace = figureTraces(out, title).find((t) => t.type === 'heatmap');
  if (!trace || trace.type !== 'heatmap') throw new Error(`the figure "${title}" has no heatmap`);
  return trace.z;
}

/** undefined when lo <= x <= hi, else the reason, naming x as `what`. */
export function within(what: string, x: number, lo: number, hi: number): string | undefined {
  return x >= lo && x <= hi ? undefined : `${what} is ${x}, outside [${lo}, ${hi}]`;
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
    notebook: '01',
    says: 'The histogram has two spikes, at $0$ and at $1$, and almost nothing in between: about half the draws give $c \\approx v_b$ and the other half $c \\approx v_a$',
    fails: (_, out) => {
      const [nearB] = printed(out, /share < 0\.1 \(c is nearly v_b\): ([\d.]+)/);
      const [nearA] = printed(out, /share > 0\.9 \(c is nearly v_a\): ([\d.]+)/);
      return within('the share of draws near v_b', nearB, 0.35, 0.65) ?? within('the share of draws near v_a', nearA, 0.35, 0.65) ??
        within('the share of draws between 0.1 and 0.9', +(1 - nearA - nearB).toFixed(3), 0, 0.1);
    },
  },
  {
    notebook: '02',
    says: 'The single head splits its draws between the two ends; the two heads pile almost all of theirs at $\\tfrac12$, with a small bump at $0$ from the draws where $\\gamma < 0$.',
    fails: (_, out) => {
      const [one, two] = printed(out, /within 0\.05 of an even mix: one head ([\d.]+), two heads ([\d.]+)/);
      const [bump] = printed(out, /two heads, share < 0\.1 \(head 1 missed k_a\): ([\d.]+)/);
      const [predicted] = printed(out, /P\(gamma < 0\) = ([\d.]+)/);
      return within('one head\'s share of even mixes', one, 0, 0.05) ?? within('two heads\' share of even mixes', two, 0.85, 1) ??
        within('two heads\' share of draws near 0', bump, predicted - 0.03, predicted + 0.03);
    },
  },
  {
    notebook: '02',
    says: 'As $\\beta$ grows the two heads settle on the even mix (all draws but those with $\\gamma < 0$), while the single head leaves it for good',
    fails: (_, out) => {
      const two = figureLine(out, 'Draws within 0.05 of the even mix', 'two heads');
      const one = figureLine(out, 'Draws within 0.05 of the even mix', 'one head');
      const last = one[one.length - 1];
      return within('two heads\' share at the largest beta', two[two.length - 1], 0.85, 1) ?? within('one head\'s share at the largest beta', last, 0, 0.05) ??
        (Math.max(...one) > last ? undefined : 'one head\'s share never falls as beta grows');
    },
  },
  {
    notebook: '03',
    says: 'Without positions the distances are zero up to float rounding',
    fails: (_, out) => {
      const gaps = printedAll(out, /\|z_A - z_B\| without positions ([-\d.e+]+)/);
      return gaps.length === 5 ? within('the largest distance without positions', Math.max(...gaps), 0, 1e-5) : `${gaps.length} distances printed, not one per word (5)`;
    },
  },
  {
    notebook: '03',
    says: 'Without positions the loss stalls: the model can only guess among the tokens that occur somewhere in the sequence. With either encoding it solves the task.',
    fails: (_, out) => {
      const [noneLoss, none] = printed(out, /none +final loss ([\d.]+), accuracy on fresh sequences ([\d.]+)%/);
      const [, learned] = printed(out, /learned +final loss ([\d.]+), accuracy on fresh sequences ([\d.]+)%/);
      const [, sinusoidal] = printed(out, /sinusoidal +final loss ([\d.]+), accuracy on fresh sequences ([\d.]+)%/);
      return within('the final loss without positions', noneLoss, 0.5, Infinity) ?? within('the accuracy without positions (%)', none, 0, 60) ??
        within('the accuracy with learned positions (%)', learned, 95, 100) ?? within('the accuracy with sinusoidal positions (%)', sinusoidal, 95, 100);
    },
  },
  {
    notebook: '04',
    says: 'Not merely close but equal',
    fails: (_, out) => {
      const [numbers] = printed(out, /numbers: max difference over \d+ \(vector, position\) pairs = ([-\d.e+]+)/);
      const [tensors] = printed(out, /float32: max difference = ([-\d.e+]+)/);
      return within('the largest difference on numbers', numbers, 0, 0) ?? within('the largest difference on tensors', tensors, 0, 0);
    },
  },
  {
    notebook: '04',
    says: 'the curves of the score against the offset, drawn from three different query positions, coincide.',
    fails: (_, out) => within('the largest difference between the curves', printed(out, /largest difference between the curves for m = \d+ and m = \d+: ([-\d.e+]+)/)[0], 0, 1e-9),
  },
  {
    notebook: '04',
    says: 'With RoPE the weights fall into bands parallel to the diagonal: each token prefers itself and its near neighbours',
    fails: (_, out) => {
      const w = figureHeatmap(out, 'identical tokens, with RoPE');
      const off = w.findIndex((row, m) => row.indexOf(Math.max(...row)) !== m);
      return off < 0 ? undefined : `query ${off} puts its largest weight on key ${w[off].indexOf(Math.max(...w[off]))}, not on itself`;
    },
  },
  {
    notebook: '05',
    says: 'For the dev people its answers are guesses: it does no better on them than always answering London, and far worse than on the people it was trained on.',
    fails: (s) => notAbove(s, 'vanilla-nopretrain', 'london') ?? above(s, 'vanilla-nopretrain-train', 'vanilla-nopretrain'),
  },
  {
    notebook: '06',
    says: 'Each measured mean sits on $\\tfrac12\\lfloor L/2\\rfloor$ within sampling noise (printed above in standard errors), and $\\mathbb E[m]/\\mathbb E[L]$ comes out just under $1/4$',
    fails: (_, out) => {
      const [worst] = printed(out, /the measured mean of m is at most ([\d.]+) standard errors/);
      const [ratio] = printed(out, /mean m \/ mean L = ([\d.]+)/);
      // The largest of some 50 standard normal deviations is below 4 but for one run in thousands.
      return within('the largest gap between measured and predicted mean (in standard errors)', worst, 0, 4) ?? within('mean m / mean L', ratio, 0.2, 0.2499);
    },
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
  const outputs = executedOutputs(nb);
  const problems: string[] = [];
  for (const claim of mine) {
    if (!prose.includes(squash(claim.says))) {
      problems.push(`${name}: the text no longer says "${claim.says}" (reword its check in scripts/site/claims.ts with it)`);
      continue;
    }
    let why: string | undefined;
    try {
      why = claim.fails(scores, outputs);
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
