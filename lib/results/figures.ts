/**
 * The figures of notebook 8, from what pick.ts picked. One colour per variant (vanilla blue, RoPE orange) and per
 * corpus in the table (synthetic light, real teal); the course's own numbers and marks in black and grey, never in
 * a run's colour; legends above the plot, clear of the axis titles; every point's hover names its record.
 */
import type { Figure, Layout, PlotlyTrace } from '../viz/index';
import type { TableRow } from './record';
import {
  COURSE_ACCURACY, COURSE_PASS, ComputeSeries, GuessProfile, RecallPoint, ROW_LABELS, TABLE_ROWS, TableEntry,
} from './pick';
import { SweepOutcome, isCourseFinetune } from './finetune_sweep';

export const COLORS = { vanilla: '#1f77b4', rope: '#ff7f0e', synthetic: '#a8dadc', real: '#2a9d8f', course: '#222222', reference: '#7f7f7f' };
const VARIANT_NAME = { vanilla: 'vanilla', rope: 'RoPE' };

const variantOf = (row: TableRow): 'vanilla' | 'rope' => (row === 'rope-pretrain' ? 'rope' : 'vanilla');
const pct = (x: number): number => 100 * x;

/** Legend in one row above the plot area, where it cannot meet an axis title. */
function layout(height: number, extra: Partial<Layout>): Partial<Layout> {
  return {
    height, showlegend: true, margin: { t: 30, r: 20, b: 60 },
    legend: { orientation: 'h', x: 0, xanchor: 'left', y: 1.02, yanchor: 'bottom' }, ...extra,
  };
}

/** Horizontal segments (NaN between them) as one legend entry; `text` labels the start of each. */
function segments(name: string, xs: number[], ys: number[], dash: 'dash' | 'dot', text?: string[]): PlotlyTrace {
  return {
    type: 'scatter', mode: text ? 'lines+text' : 'lines', name, x: xs, y: ys, line: { color: COLORS.reference, dash, width: 1.5 }, hovertext: name,
    ...(text ? { text, textposition: 'top right' as const } : {}),
  };
}

/**
 * The four rows: synthetic world, real corpus and the course, side by side, with standard errors, the course's
 * pass marks over the two pretrained rows, and under a row's name the epoch where its real run stopped early.
 */
export function tableFigure(tables: { synthetic: TableEntry[]; real: TableEntry[] }): Figure {
  const at = (entries: TableEntry[]) => TABLE_ROWS.map((row) => entries.find((e) => e.row === row));
  const bars = (name: string, entries: TableEntry[], color: string): PlotlyTrace => ({
    type: 'bar', name, x: TABLE_ROWS.map((_, i) => i), y: at(entries).map((e) => (e ? pct(e.score.accuracy) : NaN)), marker: { color },
    error_y: { type: 'data', array: at(entries).map((e) => (e ? pct(e.score.se) : 0)), color: '#555', thickness: 1.2, width: 3 },
    hovertext: at(entries).map((e) => (e ? `record ${e.evaluation.id}` : 'no record')),
  });
  const ticks = at(tables.real).map((e, i) => ROW_LABELS[TABLE_ROWS[i]] +
    (e?.incomplete ? `<br><b>real run: epoch ${e.incomplete.epoch} of ${e.incomplete.ofEpochs}</b>` : ''));
  const passRows = TABLE_ROWS.map((row, i) => ({ i, mark: COURSE_PASS[row] })).filter((p) => p.mark !== undefined);
  return {
    data: [
      bars('synthetic world', tables.synthetic, COLORS.synthetic),
      bars('real corpus', tables.real, COLORS.real),
      { type: 'bar', name: 'course (reported)', x: TABLE_ROWS.map((_, i) => i), y: TABLE_ROWS.map((r) => pct(COURSE_ACCURACY[r])), marker: { color: COLORS.course } },
      segments("course's pass mark", passRows.flatMap((p) => [p.i - 0.45, p.i + 0.45, NaN]), passRows.flatMap((p) => [pct(p.mark!), pct(p.mark!), NaN]), 'dash'),
    ],
    layout: layout(380, {
      barmode: 'group', yaxis: { title: 'dev accuracy (%)' },
      xaxis: { tickvals: TABLE_ROWS.map((_, i) => i), ticktext: ticks, automargin: true },
    }),
  };
}

/** Dev accuracy against pretraining tokens: each row's run of the course's recipe as a line, other runs as points. */
export function computeFigure(series: ComputeSeries[], o: { courseTokens?: number; london?: number }): Figure | undefined {
  if (series.length === 0) return undefined;
  const data: PlotlyTrace[] = series.map((s) => {
    const v = variantOf(s.row);
    return {
      type: 'scatter', mode: s.run ? 'lines+markers' : 'markers',
      name: s.run ? `${VARIANT_NAME[v]}: the course's recipe, one run` : `${VARIANT_NAME[v]}: other runs`,
      x: s.points.map((p) => p.tokens), y: s.points.map((p) => pct(p.score.accuracy)),
      line: { color: COLORS[v] }, marker: { color: COLORS[v], size: s.run ? 7 : 8, symbol: s.run ? 'circle' : 'circle-open' },
      error_y: { type: 'data', array: s.points.map((p) => pct(p.score.se)), color: COLORS[v], thickness: 1, width: 2 },
      hovertext: s.points.map((p) => `${p.epochs} epochs; record ${p.evaluation.id}`),
    };
  });
  const xs = series.flatMap((s) => s.points.map((p) => p.tokens));
  const [lo, hi] = [Math.min(...xs), Math.max(...xs, o.courseTokens ?? 0)];
  if (o.courseTokens !== undefined) {
    data.push({
      type: 'scatter', mode: 'markers+text', name: 'course (reported)', x: [o.courseTokens, o.courseTokens],
      y: [pct(COURSE_ACCURACY['vanilla-pretrain']), pct(COURSE_ACCURACY['rope-pretrain'])], text: ['course: vanilla', 'course: RoPE'],
      textposition: 'middle left', marker: { color: COLORS.course, size: 10, symbol: 'diamond' },
    });
    const marks = (['vanilla-pretrain', 'rope-pretrain'] as const).map((row) => ({ row, mark: COURSE_PASS[row]! }));
    data.push(segments("course's pass marks", marks.flatMap(() => [lo, hi, NaN]), marks.flatMap((m) => [pct(m.mark), pct(m.mark), NaN]), 'dash',
      marks.flatMap((m) => [`${VARIANT_NAME[variantOf(m.row)]} passes above`, '', ''])));
  }
  if (o.london !== undefined && hi > lo) data.push(segments('London baseline', [lo, hi], [pct(o.london), pct(o.london)], 'dot'));
  return {
    data,
    layout: layout(440, { xaxis: { title: 'pretraining tokens (log scale)', type: 'log' }, yaxis: { title: 'dev accuracy (%)' } }),
  };
}

/** Per epoch of the course's recipe: the share of probed people the pretrained model recalls, and the finetuned answers. */
export function recallFigure(points: RecallPoint[]): Figure | undefined {
  if (points.length === 0) return undefined;
  const data: PlotlyTrace[] = [];
  for (const row of TABLE_ROWS) {
    const mine = points.filter((p) => p.row === row).sort((a, b) => a.epoch - b.epoch);
    if (mine.length === 0) continue;
    const v = variantOf(row);
    const line = (name: string, y: number[], dash: 'solid' | 'dash', ids: string[]): PlotlyTrace => ({
      type: 'scatter', mode: 'lines+markers', name, x: mine.map((p) => p.epoch), y, line: { color: COLORS[v], dash }, marker: { color: COLORS[v] },
      hovertext: ids.map((id) => `record ${id}`),
    });
    data.push(line(`${VARIANT_NAME[v]}: recalled by the pretrained model`, mine.map((p) => (100 * p.recalled) / p.probed), 'dash', mine.map((p) => p.probe.id)));
    data.push(line(`${VARIANT_NAME[v]}: answered by the finetuned model`, mine.map((p) => (100 * p.answered) / p.probed), 'solid', mine.map((p) => p.evaluation.id)));
  }
  return { data, layout: layout(400, { xaxis: { title: 'pretraining epoch' }, yaxis: { title: '% of the probed dev people' } }) };
}

/** Right answers beside the same answers dealt to the questions at random. */
export function guessFigure(profiles: GuessProfile[]): Figure | undefined {
  if (profiles.length === 0) return undefined;
  const labels = profiles.map((g) => g.entry.label + (g.entry.incomplete ? `<br>(epoch ${g.entry.incomplete.epoch} of ${g.entry.incomplete.ofEpochs})` : ''));
  return {
    data: [
      { type: 'bar', orientation: 'h', name: 'right', y: labels, x: profiles.map((g) => g.correct), marker: { color: COLORS.real },
        hovertext: profiles.map((g) => `record ${g.entry.evaluation.id}`) },
      { type: 'bar', orientation: 'h', name: 'its own answers dealt at random (expected)', y: labels, x: profiles.map((g) => g.byChance), marker: { color: COLORS.reference } },
    ],
    layout: layout(120 + 50 * profiles.length, {
      barmode: 'group', xaxis: { title: `dev questions answered right (of ${profiles[0].entry.score.total})` },
      yaxis: { autorange: 'reversed', automargin: true },
    }),
  };
}

/** Each finetuning setting of a sweep, scored on the held-out pairs; the course's own in black, the best in orange. */
export function sweepFigure(sweep: SweepOutcome): Figure {
  const label = (flags: string): string =>
    flags.replace(/--epochs (\S+)/, '$1 epochs').replace(/ ?--learning-rate (\S+)/, '<br>lr $1').replace(/ ?--batch-size (\S+)/, '<br>batch $1') || 'the preset';
  const t = sweep.trials;
  return {
    data: [{
      type: 'bar', name: 'held-out accuracy', x: t.map((x) => label(x.flags)), y: t.map((x) => pct(x.accuracy)),
      marker: { color: t.map((x) => (x === sweep.best ? COLORS.rope : isCourseFinetune(x) ? COLORS.course : COLORS.reference)) },
      error_y: { type: 'data', array: t.map((x) => pct(Math.sqrt((x.accuracy * (1 - x.accuracy)) / Math.max(1, x.total)))), color: '#555', thickness: 1.2, width: 3 },
      hovertext: t.map((x) => `record ${x.evaluation.id}`),
    }],
    layout: { height: 340, showlegend: false, margin: { t: 20, r: 20, b: 60 }, yaxis: { title: `% of the ${t[0]?.total ?? ''} held-out pairs` }, xaxis: { automargin: true } },
  };
}
