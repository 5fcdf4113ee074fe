/**
 * Markdown to HTML for notebook cells: markdown-it, with `$...$` / `$$...$$` (and `\(...\)`, `\[...\]`) math typeset
 * by KaTeX at build time, so that pages need no math JavaScript and no network. Code fences are highlighted by
 * highlight.js. A TeX error is a build error (it would otherwise show as red text on the published page).
 */
import hljs from 'highlight.js';
import katex from 'katex';
import MarkdownIt = require('markdown-it');

// The published types declare MarkdownIt as class + namespace through `export =`, which this compiler setup only
// sees as a value: derive the state types from the rule signatures instead.
type Md = InstanceType<typeof MarkdownIt>;
type StateInline = Parameters<Parameters<Md['inline']['ruler']['before']>[2]>[0];
type StateBlock = Parameters<Parameters<Md['block']['ruler']['before']>[2]>[0];

/** TeX macros shared by every page. */
const MACROS: Record<string, string> = { '\\R': '\\mathbb{R}' };

export function renderMath(tex: string, displayMode: boolean): string {
  try {
    return katex.renderToString(tex, { displayMode, throwOnError: true, strict: 'ignore', macros: { ...MACROS }, output: 'htmlAndMathml' });
  } catch (e) {
    throw new Error(`bad TeX ${displayMode ? '$$' : '$'}${tex}${displayMode ? '$$' : '$'}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Syntax-highlights code; unknown languages are escaped only. */
export function highlight(code: string, language = 'typescript'): string {
  const lang = hljs.getLanguage(language) ? language : 'plaintext';
  return hljs.highlight(code, { language: lang, ignoreIllegals: true }).value;
}

/** Finds the closing delimiter of inline math starting at `from`, skipping backslash escapes. */
function findClose(src: string, from: number, close: string, max: number): number {
  for (let i = from; i < max; i++) {
    if (src.startsWith(close, i)) return i;
    if (src[i] === '\\') i++;
  }
  return -1;
}

function mathInline(state: StateInline, silent: boolean): boolean {
  const { src, pos, posMax } = state;
  let open: string;
  let close: string;
  if (src.startsWith('$$', pos)) [open, close] = ['$$', '$$'];
  else if (src[pos] === '$') [open, close] = ['$', '$'];
  else if (src.startsWith('\\(', pos)) [open, close] = ['\\(', '\\)'];
  else if (src.startsWith('\\[', pos)) [open, close] = ['\\[', '\\]'];
  else return false;
  const start = pos + open.length;
  // Pandoc's rule for single dollars: no space just inside, no digit right after ("$5 and $6" is not math).
  if (open === '$' && (start >= posMax || /\s/.test(src[start]))) return false;
  const end = findClose(src, start, close, posMax);
  if (end < 0 || end === start) return false;
  if (open === '$' && (/\s/.test(src[end - 1]) || /\d/.test(src[end + 1] ?? ''))) return false;
  // A backtick inside means the dollars belong to a code span or to two different places ("$5 ... `$x$`").
  if (open === '$' && src.slice(start, end).includes('`')) return false;
  if (!silent) {
    const token = state.push(open === '$' || open === '\\(' ? 'math_inline' : 'math_display', 'math', 0);
    token.content = src.slice(start, end);
    token.markup = open;
  }
  state.pos = end + close.length;
  return true;
}

/** A block that starts with `$$` (or `\[`) at the start of a line and runs to the line that ends with `$$` (`\]`). */
function mathBlock(state: StateBlock, startLine: number, endLine: number, silent: boolean): boolean {
  const lineText = (line: number) => state.src.slice(state.bMarks[line] + state.tShift[line], state.eMarks[line]);
  const first = lineText(startLine);
  const open = first.startsWith('$$') ? '$$' : first.startsWith('\\[') ? '\\[' : '';
  if (!open || state.sCount[startLine] - state.blkIndent >= 4) return false;
  const close = open === '$$' ? '$$' : '\\]';
  let body = first.slice(open.length);
  let line = startLine;
  let done = body.trimEnd().endsWith(close);
  if (done) body = body.trimEnd().slice(0, -close.length);
  while (!done) {
    line++;
    if (line >= endLine) return false;
    const text = lineText(line);
    if (text.trimEnd().endsWith(close)) {
      body += '\n' + text.trimEnd().slice(0, -close.length);
      done = true;
    } else body += '\n' + text;
  }
  // Whatever follows the closing delimiter on its line would be lost: leave such lines to the inline rule.
  if (silent) return true;
  const token = state.push('math_display', 'math', 0);
  token.block = true;
  token.content = body;
  token.map = [startLine, line + 1];
  token.markup = open;
  state.line = line + 1;
  return true;
}

/** A URL fragment for a heading: lower case words joined by '-'. */
export function slugify(title: string): string {
  return title
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

export function createMarkdown(): Md {
  const md: Md = new MarkdownIt({
    html: true,
    linkify: false,
    typographer: false,
    highlight: (code: string, lang: string) => `<pre class="hljs"><code>${highlight(code, lang || 'plaintext')}</code></pre>`,
  });
  md.inline.ruler.before('escape', 'math_inline', mathInline);
  md.block.ruler.before('fence', 'math_block', mathBlock, { alt: ['paragraph', 'reference', 'blockquote', 'list'] });
  // Headings get ids (unique within one render environment), so that pages and the index can link to sections.
  md.renderer.rules.heading_open = (tokens, i, options, env, self) => {
    const inline = tokens[i + 1];
    const base = slugify(inline?.children?.map((c) => c.content).join('') ?? '') || 'section';
    const state = env as { slugs?: Set<string> };
    const slugs = (state.slugs ??= new Set<string>());
    let slug = base;
    for (let n = 2; slugs.has(slug); n++) slug = `${base}-${n}`;
    slugs.add(slug);
    tokens[i].attrSet('id', slug);
    return self.renderToken(tokens, i, options);
  };
  md.renderer.rules.math_inline = (tokens, i) => renderMath(tokens[i].content, false);
  md.renderer.rules.math_display = (tokens, i) => {
    const html = renderMath(tokens[i].content, true);
    return tokens[i].block ? `<div class="math-display">${html}</div>\n` : html;
  };
  return md;
}
