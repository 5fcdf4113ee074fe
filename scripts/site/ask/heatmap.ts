/**
 * Attention heatmaps on a canvas: rows are the generated characters (each row is the attention of the position
 * that wrote it), columns the characters it could see (the prompt, then the answer so far). Darker is more weight.
 */

export interface Heatmap {
  /** weights[r][c]: row r's weight on column c; each row sums to 1 over the columns it can see. */
  weights: number[][];
  rowLabels: string[];
  colLabels: string[];
  /** Columns before this index are the prompt (drawn on a tinted band). */
  promptLength: number;
}

/** How a character is shown in a label: a space as ␣. */
export function shown(ch: string): string {
  return ch === ' ' ? '\u2423' : ch;
}

/** Draws `h` into `canvas` at `cell` pixels per weight, with labels when `labels` is set (a thumbnail has none). */
export function drawHeatmap(canvas: HTMLCanvasElement, h: Heatmap, cell: number, labels: boolean): void {
  const rows = h.weights.length;
  const cols = h.colLabels.length;
  const left = labels ? 2.2 * cell : 0;
  const top = labels ? 1.6 * cell : 0;
  const ratio = window.devicePixelRatio || 1;
  const width = left + cols * cell;
  const height = top + rows * cell;
  canvas.width = Math.ceil(width * ratio);
  canvas.height = Math.ceil(height * ratio);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const g = canvas.getContext('2d')!;
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.fillStyle = '#fff';
  g.fillRect(0, 0, width, height);
  if (labels) {
    g.fillStyle = '#eef4fb';
    g.fillRect(left, 0, h.promptLength * cell, top);
  }
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const w = h.weights[r][c] ?? 0;
      // sqrt: small weights stay visible next to a dominant one.
      const v = Math.round(255 * (1 - Math.sqrt(Math.min(1, Math.max(0, w)))));
      g.fillStyle = `rgb(${v},${Math.round(v * 0.9 + 25)},255)`;
      g.fillRect(left + c * cell, top + r * cell, cell, cell);
    }
  }
  if (!labels) return;
  g.fillStyle = '#1f2328';
  g.font = `${Math.round(cell * 0.75)}px ui-monospace, monospace`;
  g.textAlign = 'center';
  g.textBaseline = 'middle';
  h.colLabels.forEach((ch, c) => g.fillText(shown(ch), left + (c + 0.5) * cell, top / 2));
  h.rowLabels.forEach((ch, r) => g.fillText(shown(ch), left / 2, top + (r + 0.5) * cell));
  g.strokeStyle = '#8c959f';
  g.beginPath();
  g.moveTo(left + h.promptLength * cell + 0.5, top);
  g.lineTo(left + h.promptLength * cell + 0.5, height);
  g.stroke();
}

/** The cell under a mouse event on a labelled heatmap drawn at `cell`, or undefined outside the grid. */
export function cellAt(canvas: HTMLCanvasElement, h: Heatmap, cell: number, e: MouseEvent): { row: number; col: number } | undefined {
  const rect = canvas.getBoundingClientRect();
  const col = Math.floor((e.clientX - rect.left - 2.2 * cell) / cell);
  const row = Math.floor((e.clientY - rect.top - 1.6 * cell) / cell);
  if (row < 0 || col < 0 || row >= h.weights.length || col >= h.colLabels.length) return undefined;
  return { row, col };
}
