/**
 * Plots for the notebooks: plotly figures rendered inline, without a network.
 *
 * `plot(figure)` turns a plotly figure (`{ data, layout }`) into HTML and, inside a tslab kernel, displays it.
 * The HTML works in JupyterLab and in an exported page:
 *  - the first figure of a kernel session is preceded by the whole plotly library, inline, in
 *    `<script data-workbook="plotly-lib">` (read from the installed plotly.js-dist-min; no CDN);
 *  - each figure is `<div class="workbook-plot" id=... data-figure="(escaped JSON)">` followed by a
 *    `<script data-workbook="figure">` that draws it with `window.Plotly.newPlot`. A static site can drop the
 *    scripts, load plotly once per page and draw every `.workbook-plot` from its `data-figure`.
 * Outside a kernel (mocha, scripts) nothing is displayed and `plot` returns the HTML string instead;
 * `renderPlot` returns it everywhere without displaying.
 */
import * as fs from 'fs';

export type Color = string;

export interface Axis {
  title?: string | { text: string };
  range?: [number, number];
  type?: 'linear' | 'log' | 'category';
  autorange?: boolean | 'reversed';
  dtick?: number;
  tickvals?: number[];
  ticktext?: string[];
  zeroline?: boolean;
  scaleanchor?: string;
  domain?: [number, number];
  anchor?: string;
  /** Grow the margin to fit long tick labels (category names of horizontal bars). */
  automargin?: boolean;
}

export interface Annotation {
  text: string;
  x: number | string;
  y: number | string;
  xref?: string;
  yref?: string;
  xanchor?: 'auto' | 'left' | 'center' | 'right';
  yanchor?: 'auto' | 'top' | 'middle' | 'bottom';
  showarrow?: boolean;
  font?: { size?: number; color?: Color };
}

export interface Layout {
  title: string | { text: string };
  width: number;
  height: number;
  xaxis: Axis;
  yaxis: Axis;
  xaxis2: Axis;
  yaxis2: Axis;
  barmode: 'group' | 'overlay' | 'stack';
  bargap: number;
  showlegend: boolean;
  legend: { x?: number; y?: number; orientation?: 'h' | 'v'; xanchor?: 'auto' | 'left' | 'center' | 'right'; yanchor?: 'auto' | 'top' | 'middle' | 'bottom' };
  margin: { l?: number; r?: number; t?: number; b?: number };
  grid: { rows: number; columns: number; pattern?: 'independent' | 'coupled' };
  annotations: Annotation[];
}

interface TraceBase {
  name?: string;
  showlegend?: boolean;
  xaxis?: string;
  yaxis?: string;
  opacity?: number;
  hovertemplate?: string;
  /** Hover text per point (e.g. the record a point comes from). */
  hovertext?: string | string[];
}

/** Error bars: `array[i]` above and below point i. */
export interface ErrorBars {
  type: 'data';
  array: number[];
  visible?: boolean;
  color?: Color;
  thickness?: number;
  width?: number;
}

export interface ScatterTrace extends TraceBase {
  type: 'scatter';
  x: (number | string)[];
  y: number[];
  mode?: 'lines' | 'markers' | 'lines+markers' | 'text' | 'markers+text' | 'lines+text';
  text?: string[];
  line?: { color?: Color; width?: number; dash?: 'solid' | 'dash' | 'dot' | 'dashdot' };
  marker?: { color?: Color; size?: number; symbol?: string; line?: { color?: Color; width?: number } };
  error_y?: ErrorBars;
  textposition?: 'top center' | 'bottom center' | 'middle right' | 'middle left' | 'top right' | 'top left';
}

export interface HeatmapTrace extends TraceBase {
  type: 'heatmap';
  z: number[][];
  x?: (number | string)[];
  y?: (number | string)[];
  colorscale?: string | [number, Color][];
  zmin?: number;
  zmax?: number;
  zmid?: number;
  showscale?: boolean;
  colorbar?: { title?: string | { text: string }; x?: number; thickness?: number; len?: number };
}

export interface HistogramTrace extends TraceBase {
  type: 'histogram';
  x: number[];
  nbinsx?: number;
  xbins?: { start: number; end: number; size: number };
  histnorm?: '' | 'percent' | 'probability' | 'density';
  marker?: { color?: Color };
}

export interface BarTrace extends TraceBase {
  type: 'bar';
  /** 'h' draws horizontal bars: then y holds the categories and x the values. */
  orientation?: 'v' | 'h';
  x: (number | string)[];
  y: (number | string)[];
  text?: string[];
  textposition?: 'inside' | 'outside' | 'auto' | 'none';
  marker?: { color?: Color | Color[]; line?: { color?: Color; width?: number } };
  error_y?: ErrorBars;
  error_x?: ErrorBars;
}

export type PlotlyTrace = ScatterTrace | HeatmapTrace | HistogramTrace | BarTrace;

export interface Figure {
  data: PlotlyTrace[];
  layout?: Partial<Layout>;
}

/** Numbers that may come from a typed array (Float32Array from tfjs): JSON needs plain arrays. */
export type Numbers = readonly number[] | Float32Array | Float64Array | Int32Array;

function toArray(v: Numbers): number[] {
  return Array.from(v);
}

// ---------------------------------------------------------------------------------------------------------------
// Figure builders

export interface LineSeries {
  name?: string;
  x?: Numbers | readonly string[];
  y: Numbers;
  mode?: ScatterTrace['mode'];
  dash?: 'solid' | 'dash' | 'dot' | 'dashdot';
  /** One colour for several lines that belong together (e.g. one run drawn solid and dashed). */
  color?: Color;
}

/** One or more lines; x defaults to 0, 1, 2, ... */
export function linePlot(series: LineSeries | LineSeries[], layout: Partial<Layout> = {}): Figure {
  const list = Array.isArray(series) ? series : [series];
  if (list.length === 0) throw new Error('linePlot: no series given');
  const data: ScatterTrace[] = list.map((s, i) => {
    const y = toArray(s.y);
    const x = s.x === undefined ? y.map((_, k) => k) : Array.from(s.x as ArrayLike<number | string>);
    if (x.length !== y.length) throw new Error(`linePlot: series ${s.name ?? i} has ${x.length} x values but ${y.length} y values`);
    return { type: 'scatter', mode: s.mode ?? 'lines', name: s.name, x, y, line: s.dash || s.color ? { ...(s.dash ? { dash: s.dash } : {}), ...(s.color ? { color: s.color } : {}) } : undefined };
  });
  return { data, layout: { showlegend: list.length > 1, ...layout } };
}

export interface HeatmapOptions {
  x?: readonly (number | string)[];
  y?: readonly (number | string)[];
  colorscale?: HeatmapTrace['colorscale'];
  zmin?: number;
  zmax?: number;
  zmid?: number;
  /** Draw row 0 at the top, as a matrix is printed (default true). */
  matrixOrder?: boolean;
}

/** A matrix as a heatmap, z[row][column], row 0 on top by default. */
export function heatmap(z: readonly Numbers[], layout: Partial<Layout> = {}, opts: HeatmapOptions = {}): Figure {
  if (z.length === 0) throw new Error('heatmap: empty matrix');
  const width = z[0].length;
  z.forEach((row, i) => {
    if (row.length !== width) throw new Error(`heatmap: row ${i} has ${row.length} entries, row 0 has ${width}`);
  });
  const trace: HeatmapTrace = {
    type: 'heatmap',
    z: z.map(toArray),
    x: opts.x ? [...opts.x] : undefined,
    y: opts.y ? [...opts.y] : undefined,
    colorscale: opts.colorscale ?? 'RdBu',
    zmin: opts.zmin,
    zmax: opts.zmax,
    zmid: opts.zmid,
  };
  const yaxis: Axis = { ...(opts.matrixOrder === false ? {} : { autorange: 'reversed' as const }), ...layout.yaxis };
  return { data: [trace], layout: { ...layout, yaxis } };
}

export interface HistogramSeries {
  name?: string;
  values: Numbers;
}

export interface HistogramOptions {
  /** Fixed bins [start, end) of the given size, shared by every series. */
  bins?: { start: number; end: number; size: number };
  histnorm?: HistogramTrace['histnorm'];
}

/** Histograms of one or more samples, overlaid with transparency when there are several. */
export function histogram(series: HistogramSeries | HistogramSeries[], layout: Partial<Layout> = {}, opts: HistogramOptions = {}): Figure {
  const list = Array.isArray(series) ? series : [series];
  if (list.length === 0) throw new Error('histogram: no series given');
  const data: HistogramTrace[] = list.map((s) => ({
    type: 'histogram',
    name: s.name,
    x: toArray(s.values),
    xbins: opts.bins,
    histnorm: opts.histnorm,
    opacity: list.length > 1 ? 0.6 : undefined,
  }));
  return { data, layout: { barmode: 'overlay', showlegend: list.length > 1, ...layout } };
}

/** Bars with labels. */
export function barChart(labels: readonly (string | number)[], values: Numbers, layout: Partial<Layout> = {}, name?: string): Figure {
  if (labels.length !== values.length) throw new Error(`barChart: ${labels.length} labels but ${values.length} values`);
  return { data: [{ type: 'bar', name, x: [...labels], y: toArray(values) }], layout };
}

/**
 * Puts two figures side by side, each in its own x/y axes. Each figure's layout title becomes a panel title
 * above it; axis titles are kept. A heatmap's colour bar is placed right of its own panel.
 */
export function sideBySide(figures: Figure[], layout: Partial<Layout> = {}): Figure {
  if (figures.length !== 2) throw new Error(`sideBySide: expected 2 figures, got ${figures.length}`);
  const leftHasColorbar = figures[0].data.some((t) => t.type === 'heatmap' && t.showscale !== false);
  const gap = leftHasColorbar ? 0.16 : 0.08;
  const w = (1 - gap) / 2;
  const data: PlotlyTrace[] = [];
  const annotations: Annotation[] = [];
  const out: Partial<Layout> = { showlegend: false, ...layout };
  figures.forEach((f, i) => {
    const ax = i === 0 ? '' : '2';
    const domain: [number, number] = i === 0 ? [0, w] : [1 - w, 1];
    for (const t of f.data) {
      const placed: PlotlyTrace = { ...t, xaxis: `x${ax}`, yaxis: `y${ax}` };
      if (placed.type === 'heatmap') placed.colorbar = { thickness: 14, ...placed.colorbar, x: domain[1] + 0.01 };
      data.push(placed);
    }
    const xa: Axis = { ...f.layout?.xaxis, domain, anchor: `y${ax}` };
    const ya: Axis = { ...f.layout?.yaxis, anchor: `x${ax}` };
    if (i === 0) {
      out.xaxis = xa;
      out.yaxis = ya;
    } else {
      out.xaxis2 = xa;
      out.yaxis2 = ya;
    }
    const title = f.layout?.title;
    if (title !== undefined) {
      const text = typeof title === 'string' ? title : title.text;
      annotations.push({ text, x: (domain[0] + domain[1]) / 2, y: 1.02, xref: 'paper', yref: 'paper', xanchor: 'center', yanchor: 'bottom', showarrow: false, font: { size: 13 } });
    }
    if (f.layout?.barmode) out.barmode = f.layout.barmode;
  });
  out.annotations = [...annotations, ...(layout.annotations ?? [])];
  return { data, layout: out };
}

/**
 * The figure as plotly.js 3+ reads it: titles given as plain strings (layout, axes, colour bars) become
 * `{ text }`, since plotly no longer accepts the string form and would silently drop them.
 */
export function normalizeFigure(figure: Figure): Figure {
  const title = (t: string | { text: string } | undefined): { text: string } | undefined => (typeof t === 'string' ? { text: t } : t);
  const axis = (a: Axis | undefined): Axis | undefined => (a && a.title !== undefined ? { ...a, title: title(a.title) } : a);
  const layout: Partial<Layout> = { ...figure.layout };
  if (layout.title !== undefined) layout.title = title(layout.title);
  for (const key of ['xaxis', 'yaxis', 'xaxis2', 'yaxis2'] as const) if (layout[key]) layout[key] = axis(layout[key]);
  const data = figure.data.map((t) =>
    t.type === 'heatmap' && t.colorbar?.title !== undefined ? { ...t, colorbar: { ...t.colorbar, title: title(t.colorbar.title) } } : t,
  );
  return { data, layout };
}

// ---------------------------------------------------------------------------------------------------------------
// HTML

let figureCounter = 0;
let libraryShown = false;

/** Escapes text for an HTML attribute value in double quotes. */
export function escapeHtmlAttribute(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/'/g, '&#39;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

let plotlySourceCache: string | undefined;

/** The plotly.js source, made safe to sit inside a <script> element. */
function plotlySource(): string {
  if (plotlySourceCache === undefined) {
    const file = require.resolve('plotly.js-dist-min');
    plotlySourceCache = fs.readFileSync(file, 'utf8').replace(/<\/(script)/gi, '<\\/$1');
  }
  return plotlySourceCache;
}

/** The HTML that defines window.Plotly (about 4.7 MB). */
export function plotlyLibraryHtml(): string {
  return `<script data-workbook="plotly-lib">${plotlySource()}</script>`;
}

// Drawn by the figure script; waits for the page's load event if plotly is not there yet (an exported page
// may load it later), then tells the reader how to get it back.
const DRAW_SCRIPT = `(function () {
  var script = document.currentScript;
  var el = (script && script.previousElementSibling) || document.getElementById(%ID%);
  function draw() {
    if (!el || !window.Plotly) return false;
    var fig = JSON.parse(el.getAttribute('data-figure'));
    el.textContent = '';
    window.Plotly.newPlot(el, fig.data, fig.layout || {}, { responsive: true, displaylogo: false });
    return true;
  }
  function missing() {
    if (el && !window.Plotly) el.textContent = 'Plotly is not loaded in this page: run showPlotlyLibrary() (from ./lib/viz/index) in a cell, then re-run this one.';
  }
  if (draw()) return;
  if (document.readyState === 'complete') missing();
  else window.addEventListener('load', function () { if (!draw()) missing(); });
})();`;

/** The HTML of one figure (no plotly library): a div holding the figure as JSON and a script drawing it. */
export function figureHtml(figure: Figure, id?: string): string {
  if (!figure || !Array.isArray(figure.data)) throw new Error('figureHtml: expected a figure { data: [...], layout? }');
  const divId = id ?? `workbook-plot-${++figureCounter}`;
  const normalized = normalizeFigure(figure);
  const json = JSON.stringify({ data: normalized.data, layout: normalized.layout ?? {} });
  const script = DRAW_SCRIPT.replace('%ID%', JSON.stringify(divId));
  return (
    `<div class="workbook-plot" id="${escapeHtmlAttribute(divId)}" data-figure="${escapeHtmlAttribute(json)}"></div>` +
    `<script data-workbook="figure">${script}</script>`
  );
}

interface TslabDisplay {
  html(s: string): void;
}

/** tslab's display, when running inside a tslab kernel; undefined elsewhere. */
function kernelDisplay(): TslabDisplay | undefined {
  try {
    // Loaded lazily: only the kernel has a display to write to.
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const jupyter = require('tslab/dist/jupyter') as { lastWriteDisplayData: unknown };
    if (jupyter.lastWriteDisplayData == null) return undefined;
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    return (require('tslab') as { display: TslabDisplay }).display;
  } catch {
    return undefined;
  }
}

/**
 * The HTML that `plot` displays, without displaying it: the figure, preceded by the plotly library if this is
 * the first figure of the session.
 */
export function renderPlot(figure: Figure): string {
  let html = figureHtml(figure);
  if (!libraryShown) {
    html = plotlyLibraryHtml() + html;
    libraryShown = true;
  }
  return html;
}

/**
 * Displays a figure inline. In a tslab kernel it returns undefined: tslab prints a cell's last value, and the
 * HTML (megabytes with the library) is already displayed. Elsewhere (tests, scripts) it returns the HTML.
 */
export function plot(figure: Figure): string | undefined {
  const html = renderPlot(figure);
  const display = kernelDisplay();
  if (!display) return html;
  display.html(html);
  return undefined;
}

/**
 * Displays the plotly library again, for a page where the first figure's output was cleared. Returns the HTML
 * outside a kernel, undefined inside (as `plot`).
 */
export function showPlotlyLibrary(): string | undefined {
  const html = plotlyLibraryHtml();
  libraryShown = true;
  const display = kernelDisplay();
  if (!display) return html;
  display.html(html);
  return undefined;
}

/** Whether `plot` is running inside a tslab kernel (and so displays its figures). */
export function inKernel(): boolean {
  return kernelDisplay() !== undefined;
}

/** Forgets that the library was shown and restarts figure ids at 1 (for tests). */
export function resetPlotState(): void {
  figureCounter = 0;
  libraryShown = false;
}
