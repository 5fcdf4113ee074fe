/**
 * Training curves as the notebooks draw them. The loss of one step is noisy (each small batch is a different
 * handful of examples, and span corruption hides different spans each time), so each curve is drawn faint per
 * step with a running mean over about a twentieth of the run on top.
 */
import type { TrainResult } from '../mingpt/trainer';
import { Figure, LineSeries, linePlot } from './index';

/** One colour per run (plotly's first two, then more). */
const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728'];

/** The mean of the last `window` values at each position (fewer at the start). */
export function runningMean(values: readonly number[], window: number): number[] {
  if (!Number.isInteger(window) || window < 1) throw new Error(`runningMean: window must be a positive integer, got ${window}`);
  const out: number[] = [];
  let sum = 0;
  values.forEach((v, i) => {
    sum += v;
    if (i >= window) sum -= values[i - window];
    out.push(sum / Math.min(i + 1, window));
  });
  return out;
}

/** The mean loss over the last tenth of a run's steps: where it ended, without one step's noise. */
export function finalLossOf(run: TrainResult): number {
  const tail = run.curve.slice(-Math.max(1, Math.round(run.curve.length / 10)));
  return tail.reduce((s, p) => s + p.loss, 0) / Math.max(1, tail.length);
}

/**
 * The loss against the tokens seen of one or more runs: per step (faint) and its running mean over about 1/20
 * of the run; x is tokens, so runs of different batch sizes line up.
 */
export function lossCurves(runs: readonly { label: string; run: TrainResult }[], title: string, height = 380): Figure {
  const series: LineSeries[] = [];
  runs.forEach(({ label, run }, k) => {
    const x = run.curve.map((p) => p.tokens);
    const loss = run.curve.map((p) => p.loss);
    const window = Math.max(1, Math.round(run.curve.length / 20));
    const color = COLORS[k % COLORS.length];
    series.push({ name: `${label}, per step`, x, y: loss, color });
    series.push({ name: `${label}, mean of ${window} steps`, x, y: runningMean(loss, window), color });
  });
  const figure = linePlot(series, { title, height, xaxis: { title: 'tokens seen' }, yaxis: { title: 'cross-entropy (nats per character)' } });
  figure.data.forEach((t, i) => {
    if (i % 2 === 0) t.opacity = 0.25; // the per-step line, under its mean
  });
  return figure;
}
