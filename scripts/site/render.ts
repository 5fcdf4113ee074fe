/**
 * Renders executed notebooks to static HTML pages: markdown with KaTeX math, highlighted code, text, HTML and image
 * outputs, and plotly figures.
 *
 * Figures follow the contract of `lib/viz`: each is one display output whose 'text/html' is a
 * `<div class="workbook-plot" data-figure="{data, layout}">` with an inline `<script data-workbook="figure">` that
 * draws it (the output also holds 'application/vnd.plotly.v1+json', which pages ignore), and notebooks executed with
 * WORKBOOK_PLOTLY=inline have one output `<script data-workbook="plotly-lib">` holding all of plotly.js. Pages drop
 * both kinds of script, load plotly.js once from `assets/plotly.min.js` and draw every `.workbook-plot` with
 * `assets/workbook.js`.
 */
import * as path from 'path';
import { escapeHtml, escapeHtmlAttribute } from '../../lib/util/format';
import { createMarkdown, highlight } from './markdown';
import { stripAnsi } from './execute';
import { Notebook, NotebookCell, NotebookOutput, text } from './notebook';

const WORKBOOK_SCRIPT = /<script\b[^>]*\bdata-workbook=["'](?:plotly-lib|figure)["'][^>]*>[\s\S]*?<\/script\s*>/gi;
const PLOT_DIV = /<div\b[^>]*\bclass=["'][^"']*\bworkbook-plot\b/gi;

/** Drops the workbook's own plotly scripts from an HTML output and counts the figures left to draw. */
export function cleanHtmlOutput(html: string): { html: string; figures: number } {
  const cleaned = html.replace(WORKBOOK_SCRIPT, '');
  return { html: cleaned, figures: (cleaned.match(PLOT_DIV) ?? []).length };
}

export interface RenderedNotebook {
  /** File name of the notebook, e.g. `01-attention.ipynb`. */
  name: string;
  /** Page file name, e.g. `01-attention.html`. */
  page: string;
  /** Text of the first heading (or the file name). */
  title: string;
  /** First paragraph of prose, as plain text (TeX between dollars). */
  summary: string;
  /** The same paragraph rendered, for the index. */
  summaryHtml: string;
  /** The page's main content. */
  body: string;
  figures: number;
  mathBlocks: number;
  /** Second-level headings, for the index's table of contents. */
  sections: { id: string; title: string }[];
}

export function pageName(notebookName: string): string {
  return path.basename(notebookName).replace(/\.ipynb$/, '') + '.html';
}

const md = createMarkdown();

function plainText(html: string): string {
  return html
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}

type InlineToken = NonNullable<ReturnType<typeof md.parse>[number]['children']>[number];

/** A sentence ends at . ! or ? (after any closing quotes or brackets) followed by a space or the end of the text. */
const SENTENCE_END = /[.!?]["'\u2019\u201d)\]]*(?=\s|$)/g;

/**
 * The inline tokens of a paragraph up to its last complete sentence, or undefined when no sentence ends in it.
 * (A paragraph that runs into a display equation ends in a comma or a colon: "... the outputs are concatenated,".)
 */
function completeSentences(children: InlineToken[]): InlineToken[] | undefined {
  for (let i = children.length - 1; i >= 0; i--) {
    const t = children[i];
    if (t.type !== 'text') continue;
    // A sentence end at the very end of a text token counts only when a space, a line break or the paragraph's end
    // comes next (after any closing tags): "**Matrix form.** R..." ends a sentence, "$x$.5" would not.
    const next = children.slice(i + 1).find((r) => !r.type.endsWith('_close'));
    const endOk = next === undefined || next.type === 'softbreak' || (next.type === 'text' && /^\s/.test(next.content));
    let cut = -1;
    for (const m of t.content.matchAll(SENTENCE_END)) {
      const end = (m.index ?? 0) + m[0].length;
      if (end < t.content.length || endOk) cut = end;
    }
    if (cut < 0) continue;
    const kept = Object.assign(Object.create(Object.getPrototypeOf(t)) as InlineToken, t, { content: t.content.slice(0, cut) });
    // Close what the kept part opened (e.g. a sentence that ends inside **bold**).
    const prefix = [...children.slice(0, i), kept];
    const open: string[] = [];
    for (const c of prefix) {
      if (c.type.endsWith('_open')) open.push(c.type.slice(0, -5));
      else if (c.type.endsWith('_close')) open.pop();
    }
    const closers = children.slice(i + 1).filter((c) => c.type.endsWith('_close')).slice(0, open.length);
    return [...prefix, ...closers];
  }
  return undefined;
}

/**
 * The inline tokens of a markdown source's summary: the complete sentences of its first paragraph that has one
 * (the first paragraph as it is when none has). An index blurb then never stops mid-sentence.
 */
function summaryTokens(markdown: string): InlineToken[] | undefined {
  const tokens = md.parse(markdown, {});
  const paragraphs = tokens.filter((t, i) => t.type === 'inline' && tokens[i - 1]?.type === 'paragraph_open').map((t) => t.children ?? []);
  if (paragraphs.length === 0) return undefined;
  for (const children of paragraphs) {
    const kept = completeSentences(children);
    if (kept) return kept;
  }
  return paragraphs[0];
}

/** The summary of a markdown source, rendered (math typeset), for the index page. */
export function firstParagraphHtml(markdown: string): string {
  const children = summaryTokens(markdown);
  return children ? md.renderer.renderInline(children, md.options, {}).trim() : '';
}

/** The summary of a markdown source as plain text (math kept as TeX between dollars), at most `maxLength` long. */
export function firstParagraph(markdown: string, maxLength = 300): string {
  const children = summaryTokens(markdown);
  if (!children) return '';
  const words = children
    .map((c) => (c.type === 'math_inline' ? `$${c.content}$` : c.type === 'softbreak' ? ' ' : c.type === 'text' || c.type === 'code_inline' ? c.content : ''))
    .join('')
    .replace(/\s+/g, ' ')
    .trim();
  if (words.length <= maxLength) return words;
  const sentences = [...words.slice(0, maxLength).matchAll(SENTENCE_END)];
  const last = sentences[sentences.length - 1];
  if (last) return words.slice(0, (last.index ?? 0) + last[0].length);
  return words.slice(0, maxLength - 1).replace(/\s+\S*$/, '') + '…';
}

/** Inline images attached to markdown cells (`attachment:name`) become data URLs. */
function resolveAttachments(source: string, cell: NotebookCell): string {
  if (!cell.attachments) return source;
  return source.replace(/attachment:([^)\s"']+)/g, (whole, name: string) => {
    const bundle = cell.attachments?.[name];
    const mime = bundle && Object.keys(bundle)[0];
    return mime ? `data:${mime};base64,${bundle[mime].replace(/\s/g, '')}` : whole;
  });
}

function renderOutput(out: NotebookOutput): { html: string; figures: number } {
  switch (out.output_type) {
    case 'stream':
      return { html: `<pre class="output stream ${out.name ?? 'stdout'}">${escapeHtml(stripAnsi(text(out.text)))}</pre>`, figures: 0 };
    case 'error': {
      const trace = (out.traceback ?? []).map(stripAnsi).join('\n') || `${out.ename ?? 'Error'}: ${out.evalue ?? ''}`;
      return { html: `<pre class="output error">${escapeHtml(trace)}</pre>`, figures: 0 };
    }
    case 'display_data':
    case 'execute_result':
    case 'update_display_data': {
      const data = out.data ?? {};
      const get = (mime: string): string | undefined => {
        const v = data[mime];
        return v === undefined ? undefined : typeof v === 'string' || Array.isArray(v) ? text(v) : JSON.stringify(v, null, 2);
      };
      const html = get('text/html');
      if (html !== undefined) {
        const cleaned = cleanHtmlOutput(html);
        // The output that only carried plotly.js (WORKBOOK_PLOTLY=inline) is empty without its script.
        if (cleaned.html.trim() === '') return { html: '', figures: 0 };
        return { html: `<div class="output html">${cleaned.html}</div>`, figures: cleaned.figures };
      }
      const svg = get('image/svg+xml');
      if (svg !== undefined) return { html: `<div class="output image">${svg}</div>`, figures: 0 };
      for (const mime of ['image/png', 'image/jpeg', 'image/gif']) {
        const img = get(mime);
        if (img !== undefined) return { html: `<div class="output image"><img alt="" src="data:${mime};base64,${img.replace(/\s/g, '')}"></div>`, figures: 0 };
      }
      const markdown = get('text/markdown');
      if (markdown !== undefined) return { html: `<div class="output markdown">${md.render(markdown)}</div>`, figures: 0 };
      const latex = get('text/latex');
      if (latex !== undefined) return { html: `<div class="output markdown">${md.render(latex)}</div>`, figures: 0 };
      const plain = get('text/plain') ?? get('application/json');
      return { html: plain === undefined ? '' : `<pre class="output result">${escapeHtml(stripAnsi(plain))}</pre>`, figures: 0 };
    }
    default:
      return { html: '', figures: 0 };
  }
}

/**
 * Merges consecutive stream outputs of the same stream, as Jupyter front ends do, and removes from them any HTML the
 * cell also displayed: tslab prints the value of a cell's last expression, so `plot(figure)`, which displays the
 * figure and returns its HTML, would otherwise show the HTML (and all of plotly.js) a second time as text.
 */
function mergeStreams(outputs: NotebookOutput[]): NotebookOutput[] {
  const shownHtml = outputs
    .map((o) => (o.output_type !== 'stream' && o.data?.['text/html'] !== undefined ? text(o.data['text/html'] as string | string[]).trim() : ''))
    .filter((h) => h.length > 0);
  const merged: NotebookOutput[] = [];
  for (const out of outputs) {
    const prev = merged[merged.length - 1];
    if (out.output_type === 'stream' && prev?.output_type === 'stream' && prev.name === out.name) {
      merged[merged.length - 1] = { ...prev, text: text(prev.text) + text(out.text) };
    } else merged.push(out);
  }
  return merged
    .map((o) => (o.output_type === 'stream' ? { ...o, text: shownHtml.reduce((t, h) => t.split(h).join(''), text(o.text)) } : o))
    .filter((o) => o.output_type !== 'stream' || text(o.text).trim() !== '');
}

/**
 * Renders one (executed) notebook's cells.
 * @throws Error naming the notebook and cell when a markdown cell's math does not typeset.
 */
export function renderNotebook(nb: Notebook, name: string): RenderedNotebook {
  const parts: string[] = [];
  let title = '';
  let summary = '';
  let summaryHtml = '';
  const sections: { id: string; title: string }[] = [];
  const env: { slugs: Set<string> } = { slugs: new Set(['cell']) };
  let figures = 0;
  const language = nb.metadata.language_info?.name ?? nb.metadata.kernelspec?.language ?? 'typescript';
  nb.cells.forEach((cell, i) => {
    const source = text(cell.source);
    const anchor = `cell-${i + 1}`;
    if (cell.cell_type === 'markdown') {
      let html: string;
      try {
        html = md.render(resolveAttachments(source, cell), env);
      } catch (e) {
        throw new Error(`${name}: cell ${i + 1} (markdown): ${e instanceof Error ? e.message : String(e)}`);
      }
      if (!title) {
        const h = /<h[12][^>]*>([\s\S]*?)<\/h[12]>/.exec(html);
        if (h) title = plainText(h[1].replace(/<span class="katex-mathml">[\s\S]*?<\/span>/g, ''));
      }
      for (const m of html.matchAll(/<h2 id="([^"]+)">([\s\S]*?)<\/h2>/g)) sections.push({ id: m[1], title: m[2] });
      if (!summary) {
        summary = firstParagraph(source);
        summaryHtml = firstParagraphHtml(source);
      }
      parts.push(`<section class="cell markdown" id="${anchor}">${html}</section>`);
    } else if (cell.cell_type === 'code') {
      const count = cell.execution_count ?? ' ';
      const outputs = mergeStreams(cell.outputs ?? []).map(renderOutput);
      figures += outputs.reduce((n, o) => n + o.figures, 0);
      const outHtml = outputs.map((o) => o.html).filter(Boolean).join('\n');
      parts.push(
        `<section class="cell code" id="${anchor}">` +
          `<div class="input"><span class="prompt">[${count}]</span><pre class="hljs"><code class="language-${escapeHtmlAttribute(language)}">${highlight(source, language)}</code></pre></div>` +
          (outHtml ? `<div class="outputs">${outHtml}</div>` : '') +
          `</section>`,
      );
    } else {
      parts.push(`<section class="cell raw" id="${anchor}"><pre>${escapeHtml(source)}</pre></section>`);
    }
  });
  const body = parts.join('\n');
  const mathBlocks = (body.match(/<span class="katex">/g) ?? []).length;
  return { name, page: pageName(name), title: title || name.replace(/\.ipynb$/, ''), summary, summaryHtml, body, figures, mathBlocks, sections };
}
