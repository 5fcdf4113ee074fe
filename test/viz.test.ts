/** The plot helper: figure builders and the HTML contract the notebooks and the static site rely on. */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import { barChart, binCounts, escapeHtmlAttribute, figureBundle, figureHtml, heatmap, histogram, inKernel, linePlot, normalizeFigure, plot, plotlySource, renderPlot, resetPlotState, showPlotlyLibrary, sideBySide, Figure } from '../lib/viz';

/** Undoes escapeHtmlAttribute, as a browser does when reading the attribute. */
function unescapeHtml(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

function figureFromHtml(html: string): { id: string; figure: Figure } {
  const m = /<div class="workbook-plot" id="([^"]+)" data-figure="([^"]*)"><\/div>/.exec(html);
  assert.ok(m, 'a workbook-plot div with a data-figure attribute');
  return { id: m[1], figure: JSON.parse(unescapeHtml(m[2])) as Figure };
}

describe('viz', () => {
  beforeEach(() => resetPlotState());

  afterEach(() => {
    delete process.env.WORKBOOK_PLOTLY;
  });

  it('a figure carries no plotly.js: the notebook server serves it (WORKBOOK_PLOTLY unset or "served")', () => {
    const html = plot(linePlot({ y: [1, 2, 3] })) ?? '';
    assert.equal(inKernel(), false, 'mocha is not a kernel');
    assert.ok(html.startsWith('<div class="workbook-plot"'));
    assert.ok(html.length < 10_000, `${html.length} characters`);
    // Where the server serves plotly.min.js (installed there by scripts/setup-jupyter.sh), no CDN.
    assert.match(html, /'nbextensions\/' \+ asset \+ '\/plotly\.min\.js'/);
    assert.match(html, /'\/' \+ asset \+ '\/static\/plotly\.min\.js'/);
    assert.match(html, /var id = "workbook-plot-[0-9a-f]{8}-1", asset = "transformers-workbook"/);
    assert.ok(!/https?:\/\//i.test(html), 'no address outside the page');
  });

  it('with WORKBOOK_PLOTLY=inline the first figure of a session carries plotly.js, later ones do not', () => {
    process.env.WORKBOOK_PLOTLY = 'inline';
    const first = plot(linePlot({ y: [1, 2, 3] })) ?? '';
    const second = renderPlot(linePlot({ y: [3, 2, 1] }));
    const lib = fs.readFileSync(require.resolve('plotly.js-dist-min'), 'utf8');
    assert.ok(first.startsWith('<script data-workbook="plotly-lib">'));
    assert.ok(first.length > lib.length, 'the whole library is inlined');
    assert.ok(first.includes(lib.slice(0, 2000)), 'it is the installed plotly.js-dist-min');
    assert.ok(!second.includes('data-workbook="plotly-lib"'));
    assert.equal(first.match(/<\/script/gi)?.length, 2, 'no </script inside the library: one closes it, one closes the figure script');
    process.env.WORKBOOK_PLOTLY = 'cdn';
    assert.throws(() => plotlySource(), /WORKBOOK_PLOTLY="cdn" is not a plotly source: use "served" .* or "inline"/);
  });

  it('every figure is a div with session-unique ids and its data as escaped JSON, then a drawing script', () => {
    const fig: Figure = { data: [{ type: 'bar', x: ['a "quoted" <tag> & more'], y: [1] }], layout: { title: "it's" } };
    const a = figureFromHtml(figureHtml(fig));
    const b = figureFromHtml(figureHtml(fig));
    // One random prefix per kernel session, so that two notebooks open in one JupyterLab page never share an id.
    const [, session] = /^workbook-plot-([0-9a-f]{8})-1$/.exec(a.id) ?? [];
    assert.ok(session, a.id);
    assert.equal(b.id, `workbook-plot-${session}-2`);
    // Titles are written in the { text } form that plotly.js 3+ requires.
    assert.deepEqual(a.figure, { data: fig.data, layout: { title: { text: "it's" } } });
    const html = figureHtml(fig);
    assert.match(html, /<\/div><script data-workbook="figure">[\s\S]*Plotly\.newPlot[\s\S]*<\/script>$/);
    assert.ok(html.includes('bash scripts/setup-jupyter.sh') && html.includes('showPlotlyLibrary()'), 'a page without plotly.js says how to get it');
    assert.equal(escapeHtmlAttribute('<a href="x">&\'</a>'), '&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;');
  });

  it("a figure's display output also holds it in plotly's own mime type, and a line of text", () => {
    const fig = linePlot({ y: [1, 2] }, { title: 'loss' });
    const bundle = figureBundle(fig, 'fixed-id');
    assert.deepEqual(Object.keys(bundle).sort(), ['application/vnd.plotly.v1+json', 'text/html', 'text/plain']);
    const normalized = normalizeFigure(fig);
    assert.deepEqual(bundle['application/vnd.plotly.v1+json'], { data: normalized.data, layout: normalized.layout, config: { responsive: true, displaylogo: false } });
    assert.equal(figureFromHtml(bundle['text/html'] as string).id, 'fixed-id');
    assert.equal(bundle['text/plain'], 'plotly figure: loss');
  });

  it('string titles become { text } titles, which plotly 3+ needs (it drops plain strings)', () => {
    const fig = normalizeFigure({
      data: [{ type: 'heatmap', z: [[1]], colorbar: { title: 'scale' } }],
      layout: { title: 'top', xaxis: { title: 'x', range: [0, 1] }, yaxis2: { title: { text: 'y2' } } },
    });
    assert.deepEqual(fig.layout, { title: { text: 'top' }, xaxis: { title: { text: 'x' }, range: [0, 1] }, yaxis2: { title: { text: 'y2' } } });
    assert.deepEqual(fig.data[0].type === 'heatmap' && fig.data[0].colorbar, { title: { text: 'scale' } });
  });

  it('showPlotlyLibrary returns the library and marks it as shown', () => {
    process.env.WORKBOOK_PLOTLY = 'inline';
    const html = showPlotlyLibrary() ?? '';
    assert.ok(html.startsWith('<script data-workbook="plotly-lib">') && html.endsWith('</script>'));
    assert.ok(!(plot(linePlot({ y: [1] })) ?? '').includes('plotly-lib'));
  });

  it('builders make plain-array traces and check their input', () => {
    const line = linePlot([{ name: 'a', x: [0, 1], y: new Float32Array([2, 3]) }, { name: 'b', y: [1, 1], dash: 'dash' }], { title: 't' });
    assert.equal(line.data.length, 2);
    assert.deepEqual(line.data[0], { type: 'scatter', mode: 'lines', name: 'a', x: [0, 1], y: [2, 3], line: undefined });
    assert.deepEqual(line.data[1].type === 'scatter' && line.data[1].x, [0, 1], 'x defaults to 0, 1, ...');
    assert.deepEqual(line.data[1].type === 'scatter' && line.data[1].line, { dash: 'dash' });
    assert.deepEqual(linePlot({ y: [1], color: '#123456', dash: 'dot' }).data[0], { type: 'scatter', mode: 'lines', name: undefined, x: [0], y: [1], line: { dash: 'dot', color: '#123456' } });
    assert.equal(line.layout?.showlegend, true);
    assert.throws(() => linePlot({ x: [1, 2, 3], y: [1] }), /3 x values but 1 y values/);

    const hm = heatmap([[1, 2], [3, 4]], {}, { zmid: 0 });
    assert.deepEqual(hm.data[0].type === 'heatmap' && hm.data[0].z, [[1, 2], [3, 4]]);
    assert.equal(hm.layout?.yaxis?.autorange, 'reversed', 'row 0 on top');
    assert.throws(() => heatmap([[1, 2], [3]]), /row 1 has 1 entries, row 0 has 2/);

    const h = histogram([{ name: 'x', values: [1, 2] }, { name: 'y', values: [3] }], {}, { bins: { start: 0, end: 4, size: 1 } });
    assert.equal(h.layout?.barmode, 'overlay');
    // Fixed bins: counted here and drawn as bars one bin wide, so the figure holds counts, not every value.
    assert.deepEqual(h.data[0], { type: 'bar', name: 'x', x: [0.5, 1.5, 2.5, 3.5], y: [0, 1, 1, 0], width: 1, opacity: 0.6 });
    assert.deepEqual(h.data[1].type === 'bar' && h.data[1].y, [0, 0, 0, 1]);
    assert.equal(h.layout?.bargap, 0);
    const many = histogram({ values: Float64Array.from({ length: 40000 }, (_, i) => (i % 100) / 100) }, {}, { bins: { start: 0, end: 1, size: 0.05 } });
    assert.ok(JSON.stringify(many).length < 2000, '40,000 values become 20 counts');
    // Bins are [start + k size, start + (k+1) size); a value at `end` counts in the last bin; outside ones are left out.
    assert.deepEqual(binCounts([0, 0.99, 1, 2, 2.5, 3, -1, 3.01], { start: 0, end: 3, size: 1 }).heights, [2, 1, 3]);
    assert.deepEqual(binCounts([0, 1, 1, 3], { start: 0, end: 4, size: 2 }, 'percent').heights, [75, 25]);
    assert.deepEqual(binCounts([0, 1, 1, 3], { start: 0, end: 4, size: 2 }, 'density').heights, [0.375, 0.125]);
    assert.throws(() => binCounts([1], { start: 0, end: 1, size: 0 }), /bins need end > start and size > 0/);
    // Without bins plotly bins the raw values.
    assert.deepEqual(histogram({ values: [1, 2] }).data[0], { type: 'histogram', name: undefined, x: [1, 2], histnorm: undefined, opacity: undefined });

    assert.throws(() => barChart(['a'], [1, 2]), /1 labels but 2 values/);
    const both = sideBySide([histogram({ values: [1] }, { title: 'left' }), histogram({ values: [2] }, { title: 'right' })]);
    assert.deepEqual(both.data.map((t) => [t.xaxis, t.yaxis]), [['x', 'y'], ['x2', 'y2']]);
    assert.deepEqual(both.layout?.annotations?.map((a) => a.text), ['left', 'right']);
  });
});
