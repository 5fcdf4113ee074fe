/**
 * Notebook 8's sections, finished: each is a table and/or a figure and the sentences that state what they show,
 * computed from the same picks, so that the text cannot drift from the numbers. `show` displays one in the
 * notebook. Every number in a table links to its record (one click away) and every point names it on hover.
 */
import { Figure, inKernel, plot } from '../viz/index';
import type { Results } from './load';
import { loadCorpus } from '../data/corpus';
import {
  COURSE_ACCURACY, COURSE_PASS, CorpusName, ROW_LABELS, TABLE_ROWS, TableEntry,
  computeSeries, courseTokens, guessProfiles, recallPoints, recordScore, tableOf,
} from './pick';
import { Score, formatScore, seOfDifference } from '../eval/score';
import { computeFigure, guessFigure, recallFigure, sweepFigure, tableFigure } from './figures';
import { SweepOutcome, sweeps } from './finetune_sweep';
import { WorldRun, rowsAcrossWorlds } from './worlds';

export interface Section {
  /** HTML shown first (a table). */
  html?: string;
  figure?: Figure;
  /** What the table and figure show, one sentence each, computed. */
  findings: string[];
}

const escapeHtml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const pct = (x: number, digits = 1): string => `${(100 * x).toFixed(digits)}%`;
/** "1.23M", "45.6k", "789": token counts for people. */
export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

/** Displays a section in the notebook (table, figure, findings); outside a kernel returns its HTML. */
export function show(section: Section): string | undefined {
  const parts: string[] = [];
  const display = (html: string): void => {
    if (inKernel()) (require('tslab') as { display: { html(h: string): void } }).display.html(html);
    else parts.push(html);
  };
  if (section.html) display(section.html);
  if (section.figure) parts.push(plot(section.figure) ?? '');
  if (section.findings.length) display(`<ul class="findings">${section.findings.map((f) => `<li>${escapeHtml(f)}</li>`).join('')}</ul>`);
  return inKernel() ? undefined : parts.join('\n');
}

/** How far score a is above or below b: "32.4 points above, 14.9 standard errors of the difference". */
export function gap(a: Score, b: Score): string {
  const d = a.accuracy - b.accuracy;
  const se = seOfDifference(a, b);
  const z = se > 0 ? `${(Math.abs(d) / se).toFixed(1)} standard errors of the difference` : 'with no spread to measure it against';
  return `${(100 * Math.abs(d)).toFixed(1)} points ${d >= 0 ? 'above' : 'below'}, ${z}`;
}

const incompleteNote = (e: TableEntry): string => (e.incomplete ? ` (its pretraining stopped at epoch ${e.incomplete.epoch} of ${e.incomplete.ofEpochs})` : '');
/** Preset overrides in words: {epochs: 20, learningRate: 0.00015} -> "20 epochs, learning rate 0.00015". */
const settingsInWords = (changes: Record<string, unknown>): string =>
  Object.entries(changes).map(([k, v]) => (k === 'epochs' ? `${v} epochs` : `${k.replace(/[A-Z]/g, (c) => ' ' + c.toLowerCase())} ${v}`)).join(', ') || 'the preset';

function cell(results: Results, e: TableEntry | undefined): string {
  if (!e) return '<td>no record</td>';
  const link = `<a href="../${escapeHtml(results.fileOf(e.evaluation))}" title="record ${escapeHtml(e.evaluation.id)}">${escapeHtml(formatScore(e.score))}</a>`;
  const mark = e.incomplete ? `<br><b style="color:#b45309">incomplete: epoch ${e.incomplete.epoch} of ${e.incomplete.ofEpochs}</b>` : '';
  return `<td style="text-align:right">${link} <small>(${e.score.correct}/${e.score.total})</small>${mark}</td>`;
}

/** The sweep of the real corpus (scripts/results.sh sweep) that reached the dev set, else the one with most trials. */
function realSweep(results: Results): SweepOutcome | undefined {
  const rank = (s: SweepOutcome): number => (s.chosen ? 1e6 : 0) + s.trials.length;
  return sweeps(results).filter((s) => s.best.evaluation.corpus === 'real').reduce<SweepOutcome | undefined>((a, b) => (!a || rank(b) >= rank(a) ? b : a), undefined);
}

/**
 * The results table: synthetic world and real corpus beside the course, with standard errors; the findings. With
 * `worlds` (loadWorldRuns), a sentence gives the synthetic rows' averages over the recorded worlds.
 */
export function resultsTable(results: Results, worlds: readonly WorldRun[] = []): Section {
  const tables = { synthetic: tableOf(results, 'synthetic'), real: tableOf(results, 'real') };
  const n = (c: CorpusName) => tables[c][0]?.score.total;
  const head = ['', `synthetic world (${n('synthetic') ?? '-'} dev questions)`, `real corpus (${n('real') ?? '-'} dev questions)`, 'course', "course's pass mark"];
  const body = TABLE_ROWS.map((row) => `<tr><td style="text-align:left">${escapeHtml(ROW_LABELS[row])}</td>` +
    cell(results, tables.synthetic.find((e) => e.row === row)) + cell(results, tables.real.find((e) => e.row === row)) +
    `<td style="text-align:right">${pct(COURSE_ACCURACY[row])}</td><td style="text-align:right">${COURSE_PASS[row] ? `above ${pct(COURSE_PASS[row]!, 0)}` : ''}</td></tr>`);
  const tuned = realSweep(results)?.chosen;
  if (tuned) {
    const e: TableEntry = { row: 'rope-pretrain', label: '', score: recordScore(tuned), evaluation: tuned, courseRecipe: false };
    body.push(`<tr><td style="text-align:left">RoPE (pretraining), finetuning chosen on held-out pairs</td><td></td>${cell(results, e)}<td></td><td></td></tr>`);
  }
  const html = `<table><caption>Dev accuracy, ± one standard error; each number links to its run's record.</caption>` +
    `<thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${body.join('')}</tbody></table>`;
  return { html, figure: tableFigure(tables), findings: [...tableFindings(tables), ...worldsFinding(worlds), ...(tuned ? [`With a finetuning chosen on held-out training pairs (last section), the same pretrained RoPE model answers ${formatScore(recordScore(tuned))} of the dev questions.`] : [])] };
}

function worldsFinding(worlds: readonly WorldRun[]): string[] {
  if (worlds.length < 2) return [];
  const avg = rowsAcrossWorlds(worlds).map((r) => `${r.label} ${pct(r.mean)} ± ${(100 * r.se).toFixed(1)}`);
  return [`Synthetic world: the same experiment on ${worlds.length} worlds, each drawn and trained with its own seed (notebook 7, last section), averages ${avg.join(', ')}.`];
}

function tableFindings(tables: Record<CorpusName, TableEntry[]>): string[] {
  const out: string[] = [];
  for (const corpus of ['synthetic', 'real'] as const) {
    const get = (row: string) => tables[corpus].find((e) => e.row === row);
    const [london, scratch, vanilla, rope] = TABLE_ROWS.map(get);
    const where = corpus === 'synthetic' ? 'Synthetic world' : 'Real corpus';
    if (vanilla && scratch) {
      out.push(`${where}: pretrained vanilla answers ${formatScore(vanilla.score)}${incompleteNote(vanilla)} against ${formatScore(scratch.score)} ` +
        `without pretraining: ${gap(vanilla.score, scratch.score)}.`);
    }
    if (rope && vanilla) {
      const recipe = corpus === 'real' ? (rope.courseRecipe && vanilla.courseRecipe ? ", both with the course's recipe" : ', not both with the course\'s recipe') : '';
      out.push(`${where}: RoPE answers ${formatScore(rope.score)} against vanilla's ${formatScore(vanilla.score)}${incompleteNote(vanilla)}${recipe}: ` +
        `${gap(rope.score, vanilla.score)}${corpus === 'real' ? `; the course reports ${pct(COURSE_ACCURACY['rope-pretrain'])} against ${pct(COURSE_ACCURACY['vanilla-pretrain'])}` : ''}.`);
    }
    if (london && (rope ?? vanilla)) out.push(`${where}: the London baseline answers ${formatScore(london.score)}.`);
  }
  const marks = TABLE_ROWS.filter((row) => COURSE_PASS[row] !== undefined).map((row) => {
    const e = tables.real.find((x) => x.row === row);
    if (!e) return `${ROW_LABELS[row]} has no real-corpus record`;
    const pass = e.score.accuracy > COURSE_PASS[row]!;
    return `${ROW_LABELS[row]} needs above ${pct(COURSE_PASS[row]!, 0)} and has ${pct(e.score.accuracy)}: ${pass ? 'passes' : 'does not pass'}${e.incomplete ? ' (its run is incomplete)' : ''}`;
  });
  out.push(`The course's later pass marks on the real corpus: ${marks.join('; ')}.`);
  return out;
}

/** Accuracy against pretraining compute on a corpus. */
export function computeSection(results: Results, corpus: CorpusName): Section {
  const series = computeSeries(results, corpus);
  const tokens = corpus === 'real' ? courseTokens(results, corpus) : undefined;
  const london = tableOf(results, corpus).find((e) => e.row === 'london')?.score.accuracy;
  const findings = series.filter((s) => s.run).map((s) => {
    const last = s.points[s.points.length - 1];
    const of = last.pretrain.snapshot?.ofEpochs ?? last.epochs;
    const steps = s.points.map((p) => `${pct(p.score.accuracy)} after ${p.epochs}`).join(', ');
    return `${ROW_LABELS[s.row]}, one run of the course's recipe: ${steps} of ${of} epochs` +
      (last.pretrain.snapshot ? `; the run is incomplete (its last record is epoch ${last.epochs} of ${of}).` : '.');
  });
  if (tokens !== undefined) findings.push(`The course's whole pretraining is ${formatCount(tokens)} tokens (650 epochs of the corpus, the right edge).`);
  return { figure: computeFigure(series, { courseTokens: tokens, london }), findings };
}

/** What the pretrained models recall (the probe) against what their finetuned models answer, per epoch. */
export function recallSection(results: Results, corpus: CorpusName): Section {
  const points = recallPoints(results, corpus);
  const findings = TABLE_ROWS.flatMap((row) => {
    const last = points.filter((p) => p.row === row).sort((a, b) => a.epoch - b.epoch).pop();
    if (!last) return [];
    const missed = last.probed - last.recalled;
    return [`${ROW_LABELS[row]}, epoch ${last.epoch}: the pretrained model completes ${last.recalled} of the ${last.probed} probed birthplaces ` +
      `(${pct(last.recalled / last.probed)}); finetuned, it answers ${last.recalledAnswered} of those ${last.recalled}` +
      ` (${pct(last.recalledAnswered / Math.max(1, last.recalled))}) and ${last.answered - last.recalledAnswered} of the ${missed} it does not complete.`];
  });
  if (points.length === 0) findings.push(`No probed checkpoint of a run of the course's recipe on the ${corpus} corpus has a finetuned, evaluated model with kept predictions.`);
  return { figure: recallFigure(points), findings };
}

/** The table's models against their own favourite answers dealt at random (needs the corpus's dev answers). */
export function guessSection(results: Results, corpus: CorpusName): Section {
  let dev;
  try {
    dev = loadCorpus({ corpus }).dev;
  } catch {
    return { findings: [`The ${corpus} corpus is not on this machine (see data/README.md): its models' answers are not profiled.`] };
  }
  const profiles = guessProfiles(results, corpus, dev);
  const chance = (p: number): string => (p < 0.001 ? 'under 0.1%' : pct(p));
  const findings = profiles.map((g) => `${g.entry.label}${incompleteNote(g.entry)}: ${g.correct} right; its own answers dealt at random get ${g.byChance.toFixed(1)} right ` +
    `on average, and ${g.correct} or more in ${chance(g.p)} of deals. ${g.distinct} different answer${g.distinct === 1 ? '' : 's'}, most given: ` +
    `${g.top.map((t) => `${t.answer} ${t.count}x`).join(', ')}.`);
  return { figure: guessFigure(profiles), findings };
}

/** Past the course: finetuning settings chosen on held-out training pairs, and the chosen one on dev. */
export function sweepSection(results: Results): Section {
  const s = realSweep(results);
  if (!s) return { findings: ['No finetuning sweep on held-out pairs is recorded (scripts/results.sh sweep).'] };
  const findings = [`Best on the ${s.best.total} held-out pairs: ${settingsInWords(s.best.changes)}, ${pct(s.best.accuracy)} (${s.best.correct}/${s.best.total}).`];
  if (s.chosen && s.preset) {
    findings.push(`On the dev set, the same pretrained model finetuned with it answers ${formatScore(recordScore(s.chosen))} against ` +
      `${formatScore(recordScore(s.preset))} with the course's finetuning: ${gap(recordScore(s.chosen), recordScore(s.preset))}; the course reports ${pct(COURSE_ACCURACY['rope-pretrain'])}.`);
  }
  return { figure: sweepFigure(s), findings };
}
