/**
 * Writes the static site: `index.html` with the parts in order, one page per notebook, and `assets/` with KaTeX's
 * stylesheet and fonts, a highlight.js theme, plotly.js (copied once, loaded by the pages that have figures) and the
 * few lines of JavaScript that draw the figures. Every link is relative and nothing is fetched from the network, so
 * the site works from `file://` and from any static server.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Notebook } from './notebook';
import { renderNotebook, RenderedNotebook } from './render';
import { escapeHtml, escapeHtmlAttribute } from '../../lib/util/format';

export interface SiteNotebook {
  /** File name, e.g. `01-attention.ipynb`; pages are ordered as given. */
  name: string;
  nb: Notebook;
}

export interface SiteInfo {
  title: string;
  /** One line under the title on the index page. */
  description: string;
  /** Footer of every page, e.g. when and at which scale the notebooks ran. */
  footer: string;
  /** Pages beside the notebooks' (the "ask the models" page), listed on the index after the parts. */
  also?: { href: string; title: string; text: string }[];
}

export interface BuiltSite {
  dir: string;
  pages: RenderedNotebook[];
}

const DRAW_FIGURES_JS = `// Draws every workbook figure from its data-figure JSON ({data, layout, config?}) with the page's one plotly.js.
(function () {
  function draw() {
    var plots = document.querySelectorAll('.workbook-plot');
    for (var i = 0; i < plots.length; i++) {
      var el = plots[i];
      if (el.getAttribute('data-drawn')) continue;
      try {
        var fig = JSON.parse(el.getAttribute('data-figure') || '{}');
        var config = Object.assign({ responsive: true, displaylogo: false }, fig.config || {});
        el.textContent = '';
        window.Plotly.newPlot(el, fig.data || [], fig.layout || {}, config).then(function (gd) {
          gd.setAttribute('data-drawn', 'true');
        });
      } catch (e) {
        el.setAttribute('data-drawn', 'failed');
        el.textContent = 'This figure could not be drawn: ' + e.message;
        console.error('workbook figure ' + el.id + ': ' + e.message);
      }
    }
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', draw);
  else draw();
})();
`;

const CSS = `:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --code-bg: #f6f8fa; --accent: #0969da; --err: #b42318; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); font: 16px/1.6 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
a { color: var(--accent); }
header.site { border-bottom: 1px solid var(--line); padding: .6rem 1.2rem; display: flex; flex-wrap: wrap; gap: .4rem 1.2rem; align-items: baseline; }
header.site .home { font-weight: 600; text-decoration: none; color: var(--fg); }
header.site nav a { margin-right: .8rem; font-size: .9rem; text-decoration: none; }
header.site nav a[aria-current] { font-weight: 600; text-decoration: underline; }
main { max-width: 60rem; margin: 0 auto; padding: 1rem 1.2rem 2rem; }
.cell { margin: .8rem 0; }
.cell.code .input { display: flex; gap: .5rem; align-items: flex-start; }
.prompt { color: var(--muted); font: .8rem/2 ui-monospace, monospace; min-width: 2.8rem; text-align: right; }
pre { margin: 0; overflow-x: auto; font: .85rem/1.45 ui-monospace, SFMono-Regular, Menlo, monospace; }
.cell.code pre.hljs { flex: 1; min-width: 0; padding: .6rem .8rem; border-radius: 6px; background: var(--code-bg); border: 1px solid var(--line); }
/* A long line wraps: on a page (and in print) a hidden horizontal scroll would cut the code at the right edge. */
.cell.code pre.hljs { white-space: pre-wrap; overflow-wrap: anywhere; }
.outputs { margin-left: 3.3rem; margin-top: .3rem; }
.output { margin: .3rem 0; }
pre.output { padding: .3rem .5rem; white-space: pre-wrap; }
pre.output.stderr { background: #fff8e5; }
pre.output.error { background: #fdecea; color: var(--err); }
.output.html { overflow-x: auto; }
.output.html table { border-collapse: collapse; font-size: .9rem; }
.output.html th, .output.html td { border: 1px solid var(--line); padding: .2rem .5rem; }
.output img { max-width: 100%; }
.workbook-plot { min-height: 300px; }
.math-display { overflow-x: auto; overflow-y: hidden; }
.parts { list-style: none; padding: 0; counter-reset: part; }
.parts li { margin: 1rem 0; padding: .6rem .9rem; border: 1px solid var(--line); border-radius: 8px; }
.parts li a.part { font-weight: 600; font-size: 1.1rem; }
.parts ul.sections { margin: .3rem 0 0; padding-left: 1.2rem; font-size: .9rem; columns: 2; }
.parts ul.sections li { margin: 0; padding: 0; border: 0; }
.parts li p { margin: .3rem 0 0; color: var(--muted); }
nav.pager { display: flex; justify-content: space-between; max-width: 60rem; margin: 0 auto; padding: 1rem 1.2rem; border-top: 1px solid var(--line); }
footer { color: var(--muted); font-size: .8rem; text-align: center; padding: 1rem; }
`;

function copy(from: string, to: string): void {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.cpSync(from, to, { recursive: true });
}

function packageFile(spec: string): string {
  return require.resolve(spec);
}

/** Copies the offline assets into `<dir>/assets`. */
export function writeAssets(dir: string): void {
  const assets = path.join(dir, 'assets');
  copy(packageFile('plotly.js-dist-min/plotly.min.js'), path.join(assets, 'plotly.min.js'));
  const katexDist = path.dirname(packageFile('katex/dist/katex.min.css'));
  copy(path.join(katexDist, 'katex.min.css'), path.join(assets, 'katex', 'katex.min.css'));
  copy(path.join(katexDist, 'fonts'), path.join(assets, 'katex', 'fonts'));
  copy(packageFile('highlight.js/styles/github.min.css'), path.join(assets, 'highlight.css'));
  fs.writeFileSync(path.join(assets, 'workbook.css'), CSS);
  fs.writeFileSync(path.join(assets, 'workbook.js'), DRAW_FIGURES_JS);
}

interface PageParts {
  title: string;
  current?: string;
  body: string;
  pages: RenderedNotebook[];
  info: SiteInfo;
  figures: boolean;
  pager?: string;
}

/** The title up to its first colon or dash ("1. Single-head attention: copying..." -> "1. Single-head attention"). */
export function shortTitle(title: string): string {
  const cut = title.split(/:\s| — | – /)[0];
  return cut.length >= 3 ? cut : title;
}

function page(p: PageParts): string {
  const nav = p.pages
    .map((r) => `<a href="${r.page}"${r.page === p.current ? ' aria-current="page"' : ''} title="${escapeHtmlAttribute(r.title)}">${escapeHtml(shortTitle(r.title))}</a>`)
    .join('');
  const scripts = p.figures ? '<script src="assets/plotly.min.js"></script>\n<script src="assets/workbook.js"></script>\n' : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(p.title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="assets/katex/katex.min.css">
<link rel="stylesheet" href="assets/highlight.css">
<link rel="stylesheet" href="assets/workbook.css">
</head>
<body>
<header class="site"><a class="home" href="index.html">${escapeHtml(p.info.title)}</a><nav>${nav}</nav></header>
<main>
${p.body}
</main>
${p.pager ?? ''}
<footer>${escapeHtml(p.info.footer)}</footer>
${scripts}</body>
</html>
`;
}

function pager(pages: RenderedNotebook[], i: number): string {
  const prev = i > 0 ? `<a rel="prev" href="${pages[i - 1].page}">← ${escapeHtml(pages[i - 1].title)}</a>` : '<a href="index.html">← Contents</a>';
  const next = i + 1 < pages.length ? `<a rel="next" href="${pages[i + 1].page}">${escapeHtml(pages[i + 1].title)} →</a>` : '<a href="index.html">Contents →</a>';
  return `<nav class="pager">${prev}${next}</nav>`;
}

/**
 * Renders `notebooks` (already executed) into `dir`, replacing what a previous build left there.
 * @throws Error naming the notebook and cell for markdown that does not render.
 */
export function writeSite(dir: string, notebooks: SiteNotebook[], info: SiteInfo): BuiltSite {
  const pages = notebooks.map((n) => renderNotebook(n.nb, n.name));
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  writeAssets(dir);
  pages.forEach((r, i) => {
    const html = page({ title: `${r.title} · ${info.title}`, current: r.page, body: r.body, pages, info, figures: r.figures > 0, pager: pager(pages, i) });
    fs.writeFileSync(path.join(dir, r.page), html);
  });
  const items = pages
    .map((r, i) => {
      const toc = r.sections.length ? `<ul class="sections">${r.sections.map((x) => `<li><a href="${r.page}#${x.id}">${x.title}</a></li>`).join('')}</ul>` : '';
      return `<li>${/^\d/.test(r.title) ? '' : `<span class="num">Part ${i + 1}</span> · `}<a class="part" href="${r.page}">${escapeHtml(r.title)}</a>${r.summaryHtml ? `<p>${r.summaryHtml}</p>` : ''}${toc}</li>`;
    })
    .join('\n');
  const also = (info.also ?? []).map((a) => `<li><a href="${escapeHtmlAttribute(a.href)}">${escapeHtml(a.title)}</a>: ${escapeHtml(a.text)}</li>`).join('\n');
  const index = `<h1>${escapeHtml(info.title)}</h1>\n<p>${escapeHtml(info.description)}</p>\n<ol class="parts">\n${items}\n</ol>` +
    (also ? `\n<h2>Also on this site</h2>\n<ul class="also">\n${also}\n</ul>` : '');
  fs.writeFileSync(path.join(dir, 'index.html'), page({ title: info.title, body: index, pages, info, figures: false }));
  return { dir, pages };
}
