/**
 * Heatmaps of where a trained model looks when it starts an answer (lib/eval/attention_map.ts): one row per
 * layer and head, one column per prompt character, the colour the attention weight. Two models side by side
 * share one colour scale, so equal colours mean equal weights.
 */
import type { AnswerAttention } from '../eval/attention_map';
import { Figure, heatmap, sideBySide } from './index';

/** Row labels "layer 1, head 1" ... in the order the rows are drawn (top to bottom). */
export function attentionRowLabels(layers: number, heads: number): string[] {
  const out: string[] = [];
  for (let l = 0; l < layers; l++) for (let h = 0; h < heads; h++) out.push(`layer ${l + 1}, head ${h + 1}`);
  return out;
}

/**
 * Column labels: the prompt's characters, made unique for plotly's category axis (a category repeats
 * otherwise: "Where was" has two w's) by prefixing the position; a space is shown as "␣".
 */
export function promptColumnLabels(prompt: readonly string[]): string[] {
  return prompt.map((ch, j) => `${j}:${shownChar(ch)}`);
}

/** A prompt character as a label shows it: a space as "␣", which a label would otherwise lose. */
function shownChar(ch: string): string {
  return ch === ' ' ? '\u2423' : ch;
}

/**
 * White for no attention, dark blue for all of it (plotly's named 'Blues' runs the other way, dark at zero, which
 * makes a page of near-zero weights a dark field).
 */
export const ATTENTION_COLORS: [number, string][] = [[0, '#ffffff'], [0.5, '#6baed6'], [1, '#08306b']];

/** One model's attention heatmap, titled `title`; zmax sets the top of the colour scale (default: its largest weight). */
export function answerAttentionHeatmap(a: AnswerAttention, title: string, zmax?: number): Figure {
  const z = a.weights.flat();
  const top = zmax ?? Math.max(...z.flat());
  const columns = promptColumnLabels(a.prompt);
  const figure = heatmap(z, {
    title,
    // Every column labelled with its character alone (plotly would thin 26 labels to every other one); the
    // position is in the hover text.
    xaxis: {
      title: 'prompt character', type: 'category', tickvals: columns, tickangle: 0, tickfont: { size: 11 },
      ticktext: a.prompt.map(shownChar),
    },
    yaxis: { automargin: true },
  }, { x: columns, y: attentionRowLabels(a.weights.length, a.weights[0]?.length ?? 0), colorscale: ATTENTION_COLORS, zmin: 0, zmax: top });
  for (const t of figure.data) if (t.type === 'heatmap') t.hovertemplate = '%{y}<br>%{x}: %{z:.3f}<extra></extra>';
  return figure;
}

/**
 * Two models' attention on the same question, side by side with one colour scale; each panel's title names
 * the model and the answer it gave.
 */
export function answerAttentionFigure(left: { label: string; attention: AnswerAttention }, right: { label: string; attention: AnswerAttention }, height = 420): Figure {
  if (left.attention.prompt.join('') !== right.attention.prompt.join('')) {
    throw new Error(`answerAttentionFigure: the two prompts differ (${JSON.stringify(left.attention.prompt.join(''))} and ${JSON.stringify(right.attention.prompt.join(''))})`);
  }
  const zmax = Math.max(...[left, right].flatMap((m) => m.attention.weights.flat(2)));
  const panel = (m: { label: string; attention: AnswerAttention }): Figure => {
    const f = answerAttentionHeatmap(m.attention, `${m.label}: answers "${m.attention.answer}"`, zmax);
    for (const t of f.data) if (t.type === 'heatmap') t.showscale = m === right;
    // Both panels have the same rows (layer, head): the left one labels them, the right one's labels would
    // spill over the left heatmap.
    return m === right ? { ...f, layout: { ...f.layout, yaxis: { ...f.layout?.yaxis, showticklabels: false } } } : f;
  };
  return sideBySide([panel(left), panel(right)], { height, margin: { t: 50, b: 90 } });
}
