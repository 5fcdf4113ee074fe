/**
 * Plots for the notebooks: plotly figures drawn inline, without a network.
 *
 * The figure builders (`linePlot`, `heatmap`, `histogram`, `barChart`, `sideBySide`) make a plotly figure
 * (`{ data, layout }`); `plot(figure)` displays it in a tslab kernel. How a figure reaches each front end (the
 * classic Notebook, JupyterLab, VS Code, an exported page, the static site) is described above `plot`, at the end.
 */
import * as fs from 'fs';
import { displayBundle, inKernel, MimeBundle } from './kernel';

export type Color = string;

export interface Axis {
  title?: string | { text: string };
  range?: [number, number];
  type?: 'linear' | 'log' | 'category';
  autorange?: boolean | 'reversed';
  dtick?: number;
  /** Where ticks go: numbers, or the categories of a category axis; every one is labelled (no thinning). */
  tickvals?: (number | string)[];
  ticktext?: string[];
  tickangle?: number;
  tickfont?: { size?: number };
  zeroline?: boolean;
  scaleanchor?: string;
  domain?: [number, number];
  anchor?: string;
  /** Grow the margin to fit long tick labels (category names of horizontal bars). */
  automargin?: boolean;
  /** false: no tick labels (a panel whose rows are labelled by the panel beside it). */
  showticklabels?: boolean;
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
  /** Bar width in x units (a histogram's bin size). */
  width?: number;
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

/**
 * Counts of `values` in the bins [start + k size, start + (k+1) size) up to `end` (a value at `end` counts in the
 * last bin, values outside are left out), normalised as plotly's histnorm: '' counts, 'percent', 'probability'
 * (a share of the values binned), 'density' (probability per unit of x).
 */
export function binCounts(values: Numbers, bins: { start: number; end: number; size: number }, histnorm: HistogramTrace['histnorm'] = ''): { centers: number[]; heights: number[] } {
  const { start, end, size } = bins;
  if (!(size > 0) || !(end > start)) throw new Error(`histogram: bins need end > start and size > 0, got start ${start}, end ${end}, size ${size}`);
  const n = Math.ceil((end - start) / size - 1e-9);
  const counts = new Array<number>(n).fill(0);
  let binned = 0;
  for (const v of Array.from(values)) {
    if (!(v >= start && v <= end)) continue;
    counts[Math.min(n - 1, Math.floor((v - start) / size))]++;
    binned++;
  }
  const scale = histnorm === 'percent' ? 100 / binned : histnorm === 'probability' ? 1 / binned : histnorm === 'density' ? 1 / (binned * size) : 1;
  return { centers: counts.map((_, k) => start + (k + 0.5) * size), heights: counts.map((c) => (binned === 0 ? 0 : c * scale)) };
}

/**
 * Histograms of one or more samples, overlaid with transparency when there are several. With fixed `bins` the
 * counts are computed here and drawn as bars, so that a figure of 40,000 draws carries a few hundred numbers,
 * not 40,000; without, plotly bins the raw values.
 */
export function histogram(series: HistogramSeries | HistogramSeries[], layout: Partial<Layout> = {}, opts: HistogramOptions = {}): Figure {
  const list = Array.isArray(series) ? series : [series];
  if (list.length === 0) throw new Error('histogram: no series given');
  const opacity = list.length > 1 ? 0.6 : undefined;
  const bins = opts.bins;
  const data: PlotlyTrace[] = bins
    ? list.map((s): BarTrace => {
        const { centers, heights } = binCounts(s.values, bins, opts.histnorm);
        return { type: 'bar', name: s.name, x: centers, y: heights, width: bins.size, opacity };
      })
    : list.map((s): HistogramTrace => ({ type: 'histogram', name: s.name, x: toArray(s.values), histnorm: opts.histnorm, opacity }));
  return { data, layout: { barmode: 'overlay', bargap: 0, showlegend: list.length > 1, ...layout } };
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
    if (f.layout?.bargap !== undefined) out.bargap = f.layout.bargap;
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
// Output: how a figure reaches the page
//
// Each figure is ONE display output with two representations, and each front end takes the one it can draw:
//  - 'application/vnd.plotly.v1+json' (the figure itself), drawn by front ends that have a plotly renderer:
//    VS Code's notebooks (its Jupyter renderers), JupyterLab with plotly's extension;
//  - 'text/html': `<div class="workbook-plot" id=... data-figure="(escaped JSON)">` and a small
//    `<script data-workbook="figure">` that draws it with the page's plotly.js, loaded once per page from where
//    the notebook server serves it. scripts/setup-jupyter.sh installs plotly.min.js under `jupyter --data-dir`:
//    in nbextensions/transformers-workbook/ (the classic Notebook 6 serves it at <base>/nbextensions/...) and in
//    labextensions/transformers-workbook/static/ (JupyterLab 4 and Notebook 7 serve it at <base>/lab/extensions/...).
//    So a saved notebook holds a few kilobytes per figure, not plotly.js.
// A page that no server serves (nbconvert's HTML) has nowhere to load plotly.js from: there the library must be
// in the notebook, once. With WORKBOOK_PLOTLY=inline (set by `npm run build` for its executed copies) the first
// figure of a kernel session is preceded by an output `<script data-workbook="plotly-lib">` holding plotly.js.
// The static site (scripts/site) drops both kinds of script, loads plotly.js once per page and draws every
// `.workbook-plot` from its data-figure.
// Outside a kernel (mocha, scripts) nothing is displayed: `plot` returns the HTML instead.

/** The folder name under nbextensions/ and labextensions/ where scripts/setup-jupyter.sh puts plotly.min.js. */
export const PLOTLY_ASSET_FOLDER = 'transformers-workbook';

export type PlotlySource = 'served' | 'inline';

/** How figures get plotly.js: $WORKBOOK_PLOTLY, 'served' (default) or 'inline' (once per kernel session). */
export function plotlySource(env: NodeJS.ProcessEnv = process.env): PlotlySource {
  const raw = (env.WORKBOOK_PLOTLY ?? '').trim();
  if (raw === '' || raw === 'served') return 'served';
  if (raw === 'inline') return 'inline';
  throw new Error(`WORKBOOK_PLOTLY="${raw}" is not a plotly source: use "served" (the notebook server's copy) or "inline" (plotly.js in the notebook, once)`);
}

/** Figure ids: unique across every notebook open in one page (JupyterLab shows several), stable within a session. */
const SESSION = Math.floor(Math.random() * 0xffffffff).toString(16).padStart(8, '0');
let figureCounter = 0;
let libraryShown = false;

/** Escapes text for an HTML attribute value in double quotes. */
export function escapeHtmlAttribute(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/'/g, '&#39;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

let plotlyCodeCache: string | undefined;

/** The plotly.js source, made safe to sit inside a <script> element. */
function plotlyCode(): string {
  if (plotlyCodeCache === undefined) {
    const file = require.resolve('plotly.js-dist-min');
    plotlyCodeCache = fs.readFileSync(file, 'utf8').replace(/<\/(script)/gi, '<\\/$1');
  }
  return plotlyCodeCache;
}

/** The HTML that defines window.Plotly (about 4.8 MB): for pages that no notebook server serves. */
export function plotlyLibraryHtml(): string {
  return `<script data-workbook="plotly-lib">${plotlyCode()}</script>`;
}

/** Shown in place of a figure when the page has no plotly.js. */
export const PLOTLY_MISSING =
  'plotly.js is not loaded in this page. In Jupyter: run "bash scripts/setup-jupyter.sh" (it puts plotly.js where ' +
  'the notebook server serves it) and reload the page. Elsewhere: run showPlotlyLibrary() from ./lib/viz/index in a ' +
  'cell, then this cell again.';

// Runs in the page. Finds its div by id, not by document.currentScript: the classic Notebook runs an output's
// scripts through jQuery, from a copy in <head>, sometimes before the output is in the document. One promise
// per page loads plotly.js from the server's copy (see above), else waits for a copy inlined in the page.
const DRAW_SCRIPT = `(function () {
  var id = %ID%, asset = %ASSET%, missing = %MISSING%, tries = 0;
  function servedCopy() {
    var config = document.getElementById('jupyter-config-data');
    if (config) {
      try {
        var c = JSON.parse(config.textContent);
        if (c.fullLabextensionsUrl) return c.fullLabextensionsUrl.replace(/\\/$/, '') + '/' + asset + '/static/plotly.min.js';
      } catch (e) {}
    }
    var base = document.body && document.body.getAttribute('data-base-url');
    if (base !== null && window.Jupyter) return base.replace(/\\/?$/, '/') + 'nbextensions/' + asset + '/plotly.min.js';
    return null;
  }
  function plotly() {
    if (window.Plotly) return Promise.resolve(window.Plotly);
    if (!window.workbookPlotly) {
      window.workbookPlotly = new Promise(function (resolve, reject) {
        var src = servedCopy();
        function settle(why) {
          if (window.Plotly) return resolve(window.Plotly);
          window.workbookPlotly = null;
          reject(new Error(why));
        }
        if (!src) {
          if (document.readyState === 'complete') settle('no copy in this page');
          else window.addEventListener('load', function () { settle('no copy in this page'); });
          return;
        }
        var s = document.createElement('script');
        s.src = src;
        s.onload = function () { settle(src + ' did not define Plotly'); };
        s.onerror = function () { settle('could not load ' + src); };
        document.head.appendChild(s);
      });
    }
    return window.workbookPlotly;
  }
  function start() {
    var el = document.getElementById(id);
    if (!el) {
      if (++tries < 400) setTimeout(start, 25);
      return;
    }
    plotly().then(function (Plotly) {
      var fig = JSON.parse(el.getAttribute('data-figure'));
      el.textContent = '';
      return Plotly.newPlot(el, fig.data, fig.layout || {}, { responsive: true, displaylogo: false });
    }).catch(function (e) {
      el.textContent = missing + ' (' + e.message + ')';
    });
  }
  start();
})();`;

function nextFigureId(): string {
  return `workbook-plot-${SESSION}-${++figureCounter}`;
}

/** The HTML of one figure (no plotly library): a div holding the figure as JSON and a script drawing it. */
export function figureHtml(figure: Figure, id: string = nextFigureId()): string {
  if (!figure || !Array.isArray(figure.data)) throw new Error('figureHtml: expected a figure { data: [...], layout? }');
  const normalized = normalizeFigure(figure);
  const json = JSON.stringify({ data: normalized.data, layout: normalized.layout ?? {} });
  const script = DRAW_SCRIPT.replace('%ID%', JSON.stringify(id))
    .replace('%ASSET%', JSON.stringify(PLOTLY_ASSET_FOLDER))
    .replace('%MISSING%', JSON.stringify(PLOTLY_MISSING));
  return (
    `<div class="workbook-plot" id="${escapeHtmlAttribute(id)}" data-figure="${escapeHtmlAttribute(json)}"></div>` +
    `<script data-workbook="figure">${script}</script>`
  );
}

function titleOf(figure: Figure): string | undefined {
  const t = figure.layout?.title;
  return typeof t === 'string' ? t : t?.text;
}

/** The display output of one figure: plotly's own mime type, the HTML, and a line of text for consoles. */
export function figureBundle(figure: Figure, id?: string): MimeBundle {
  const normalized = normalizeFigure(figure);
  const title = titleOf(figure);
  return {
    'application/vnd.plotly.v1+json': { data: normalized.data, layout: normalized.layout ?? {}, config: { responsive: true, displaylogo: false } },
    'text/html': figureHtml(figure, id),
    'text/plain': title ? `plotly figure: ${title}` : 'plotly figure',
  };
}

/**
 * The HTML that `plot` displays, without displaying it: the figure, preceded by the plotly library if plotly.js is
 * inlined (WORKBOOK_PLOTLY=inline) and this is the first figure of the session.
 */
export function renderPlot(figure: Figure): string {
  const html = figureHtml(figure);
  if (plotlySource() === 'inline' && !libraryShown) {
    libraryShown = true;
    return plotlyLibraryHtml() + html;
  }
  return html;
}

/**
 * Displays a figure inline. In a tslab kernel it returns undefined (tslab prints a cell's last value, and the
 * figure is already displayed). Elsewhere (tests, scripts) it returns the HTML.
 */
export function plot(figure: Figure): string | undefined {
  if (!inKernel()) return renderPlot(figure);
  if (plotlySource() === 'inline' && !libraryShown) {
    displayBundle({ 'text/html': plotlyLibraryHtml() });
    libraryShown = true;
  }
  displayBundle(figureBundle(figure));
  return undefined;
}

/**
 * Displays the plotly library (4.8 MB, saved with the notebook) for a page that has no other copy: a front end
 * where scripts/setup-jupyter.sh did not install one. Returns the HTML outside a kernel, undefined inside.
 */
export function showPlotlyLibrary(): string | undefined {
  const html = plotlyLibraryHtml();
  libraryShown = true;
  if (!displayBundle({ 'text/html': html })) return html;
  return undefined;
}

export { inKernel };

/** Forgets that the library was shown and restarts figure numbers at 1 (for tests). */
export function resetPlotState(): void {
  figureCounter = 0;
  libraryShown = false;
}
