/**
 * Dev accuracies as the notebooks show them: a table with standard errors (lib/eval/score.ts), a bar chart
 * with error bars, and sentences computed from the numbers.
 *
 * The table carries its numbers in a `data-scores` attribute, {key: {correct, total}}, so that a check of the
 * executed notebook (scripts/site/claims.ts) reads exactly what the reader saw; `readScoreTables` reads it back.
 */
import type { QA } from '../data/tsv';
import { answerCounts } from '../eval/london';
import { Score, formatGap, formatScore, scoreOf, standardErrorsApart } from '../eval/score';
import { escapeHtml } from '../util/format';
import { BarTrace, Figure, barChart, escapeHtmlAttribute } from './index';

export interface ScoreRow {
  /** Stable name of the row, for checks ("london", "vanilla-pretrain", ...). */
  key: string;
  /** What the reader sees. */
  label: string;
  score: Score;
}

/** The rows' counts as the table's data-scores attribute holds them. */
export type ScoreData = Record<string, { correct: number; total: number }>;

/** The rows as an HTML table: label, right answers, accuracy ± standard error. */
export function scoreTableHtml(rows: readonly ScoreRow[], caption: string): string {
  const keys = new Set<string>();
  for (const r of rows) {
    if (keys.has(r.key)) throw new Error(`scoreTableHtml: the key "${r.key}" is used twice`);
    keys.add(r.key);
  }
  const data: ScoreData = Object.fromEntries(rows.map((r) => [r.key, { correct: r.score.correct, total: r.score.total }]));
  const body = rows.map((r) =>
    `<tr><td style="text-align:left">${escapeHtml(r.label)}</td><td style="text-align:right">${r.score.correct} / ${r.score.total}</td>` +
    `<td style="text-align:right">${escapeHtml(formatScore(r.score))}</td></tr>`).join('');
  return `<table class="workbook-scores" data-scores="${escapeHtmlAttribute(JSON.stringify(data))}">` +
    `<caption>${escapeHtml(caption)}</caption>` +
    '<thead><tr><th style="text-align:left">model</th><th>right answers</th><th>accuracy ± one standard error</th></tr></thead>' +
    `<tbody>${body}</tbody></table>`;
}

const ENTITIES: Readonly<Record<string, string>> = { '&amp;': '&', '&quot;': '"', '&#39;': "'", '&lt;': '<', '&gt;': '>' };

/** The data-scores of every score table in `html`, in order. */
export function readScoreTables(html: string): ScoreData[] {
  const out: ScoreData[] = [];
  for (const m of html.matchAll(/class="workbook-scores" data-scores="([^"]*)"/g)) {
    const json = m[1].replace(/&(amp|quot|#39|lt|gt);/g, (e) => ENTITIES[e]);
    out.push(JSON.parse(json) as ScoreData);
  }
  return out;
}

/** The Score of each row of a table read back by readScoreTables. */
export function scoresOf(data: ScoreData): Record<string, Score> {
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, scoreOf(v.correct, v.total)]));
}

/**
 * Bars of the accuracies (in %) with one standard error either side. Each value is written under its bar, in
 * the category label: a label on the bar would sit under the error bar's whisker on short bars.
 */
export function scoreChart(rows: readonly ScoreRow[], title: string, height = 380): Figure {
  const bars: BarTrace & { error_y: { type: 'data'; array: number[]; visible: boolean } } = {
    type: 'bar',
    x: rows.map((r) => `${r.label}<br>${formatScore(r.score)}`),
    y: rows.map((r) => 100 * r.score.accuracy),
    error_y: { type: 'data', array: rows.map((r) => 100 * r.score.se), visible: true },
    hovertemplate: '%{x}<extra></extra>',
  };
  return { data: [bars], layout: { title, height, yaxis: { title: 'dev accuracy (%), ± one standard error', zeroline: true }, showlegend: false } };
}

/**
 * One sentence per pair worth comparing: "vanilla, pretrained: 45.0% ± 3.5, 11.2 standard errors above no
 * pretraining (4.0% ± 1.4)". `pairs` lists [row, against] keys.
 */
export function comparisonSentences(rows: readonly ScoreRow[], pairs: readonly [string, string][]): string[] {
  const byKey = new Map(rows.map((r) => [r.key, r]));
  return pairs.map(([a, b]) => {
    const ra = byKey.get(a);
    const rb = byKey.get(b);
    if (!ra || !rb) throw new Error(`comparisonSentences: no row "${!ra ? a : b}" (rows: ${[...byKey.keys()].join(', ')})`);
    return `${ra.label}: ${formatScore(ra.score)}, ${formatGap(ra.score, rb.score)} ${rb.label} (${formatScore(rb.score)}).`;
  });
}

/** comparisonSentences as a markdown list, for tslab.display.markdown. */
export function comparisonMarkdown(rows: readonly ScoreRow[], pairs: readonly [string, string][]): string {
  return comparisonSentences(rows, pairs).map((s) => `- ${s}`).join('\n');
}

/**
 * The first `n` questions with the gold answer and each model's answer (a right one in bold), as an HTML
 * table: what the accuracies are made of.
 */
export function answersTableHtml(pairs: readonly { question: string; answer: string }[], columns: readonly { label: string; predictions: readonly string[] }[], n = 8): string {
  for (const c of columns) {
    if (c.predictions.length !== pairs.length) throw new Error(`answersTableHtml: ${c.label} has ${c.predictions.length} answers for ${pairs.length} questions`);
  }
  const head = `<tr><th style="text-align:left">question</th><th style="text-align:left">answer</th>${columns.map((c) => `<th style="text-align:left">${escapeHtml(c.label)}</th>`).join('')}</tr>`;
  const body = pairs.slice(0, n).map((qa, i) => {
    const cells = columns.map((c) => {
      const p = c.predictions[i];
      return `<td style="text-align:left">${p === qa.answer ? `<b>${escapeHtml(p)}</b>` : escapeHtml(p)}</td>`;
    }).join('');
    return `<tr><td style="text-align:left">${escapeHtml(qa.question)}</td><td style="text-align:left">${escapeHtml(qa.answer)}</td>${cells}</tr>`;
  }).join('');
  return `<table class="workbook-answers"><caption>The first ${Math.min(n, pairs.length)} dev questions; a right answer in bold</caption><thead>${head}</thead><tbody>${body}</tbody></table>`;
}

/** The share (in %) of the `n` most frequent answers of `pairs`, as bars. */
export function answerShareChart(pairs: readonly QA[], n: number, title: string, height = 340): Figure {
  const top = answerCounts(pairs).slice(0, n);
  return barChart(top.map((c) => c.answer), top.map((c) => (100 * c.count) / Math.max(1, pairs.length)), { title, height, yaxis: { title: '% of the questions' } });
}

/** "Several standard errors": a gap that chance alone makes about once in 700 times (one-sided). */
export const SEVERAL_SE = 3;

/**
 * What notebook 7's run shows, as sentences computed from its rows (keys `london`, `vanilla-nopretrain`,
 * `vanilla-pretrain`, `rope-pretrain`): whether pretraining lifts vanilla above no pretraining and above London,
 * by how many standard errors of the difference, whether no pretraining beats London, and where RoPE stands.
 * Each sentence says what the numbers bear out and no more, so the text cannot contradict the table.
 */
export function pretrainingFindings(rows: readonly ScoreRow[]): string[] {
  const byKey = new Map(rows.map((r) => [r.key, r.score]));
  const get = (k: string): Score => {
    const s = byKey.get(k);
    if (!s) throw new Error(`pretrainingFindings: no row "${k}" (rows: ${[...byKey.keys()].join(', ')})`);
    return s;
  };
  const [london, scratch, vanilla, rope] = ['london', 'vanilla-nopretrain', 'vanilla-pretrain', 'rope-pretrain'].map(get);
  const z = (a: Score, b: Score): number => standardErrorsApart(a, b);
  const apart = (a: Score, b: Score): string => `${formatScore(a)} against ${formatScore(b)}, ${formatGap(a, b)}`;
  const lift = (b: Score, what: string, a = vanilla, model = 'the vanilla model'): string => {
    const d = z(a, b);
    if (d >= SEVERAL_SE) return `Pretraining lifts ${model} far above ${what}: ${apart(a, b)}.`;
    if (d >= 2) return `Pretraining lifts ${model} above ${what}, but by fewer than ${SEVERAL_SE} standard errors: ${apart(a, b)}.`;
    return `In this run pretraining does not lift ${model} clearly above ${what}: ${apart(a, b)}.`;
  };
  const out = [lift(scratch, 'the same model finetuned without pretraining'), lift(london, 'the London baseline')];
  out.push(z(scratch, london) < 2
    ? `Without pretraining the model does no better than always answering London: ${apart(scratch, london)}.`
    : `Without pretraining the model does better than always answering London: ${apart(scratch, london)}.`);
  const r = z(rope, vanilla);
  out.push(r >= SEVERAL_SE ? `RoPE does far better than vanilla: ${apart(rope, vanilla)}.`
    : r >= 2 ? `RoPE does better than vanilla, but by fewer than ${SEVERAL_SE} standard errors: ${apart(rope, vanilla)}.`
    : rope.correct >= vanilla.correct ? `RoPE does at least as well as vanilla: ${apart(rope, vanilla)}.`
      : r > -2 ? `RoPE falls a little short of vanilla, within two standard errors: ${apart(rope, vanilla)}.`
        : `RoPE does worse than vanilla in this run: ${apart(rope, vanilla)}.`);
  out.push(lift(scratch, 'the vanilla model finetuned without pretraining', rope, 'the RoPE model'));
  return out;
}
