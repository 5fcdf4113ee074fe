/**
 * Span-corrupted examples as HTML, for notebook 6: each document as drawn (the kept prefix with the masked span
 * highlighted, what truncation dropped in grey) above the string the model is trained on (the span moved to the
 * end after the second MASK, then the padding).
 */
import type { CorruptionParts } from '../data/char_corruption';
import { MASK_CHAR, PAD_CHAR } from '../data/vocab';
import { escapeHtml } from '../util/format';

const MASKED_STYLE = 'background:#fdb863;color:#000';
const MASK_STYLE = 'background:#5e3c99;color:#fff';
const GREY_STYLE = 'color:#aaa';

/** `text`, escaped, in a span with an inline style. */
export function styledSpan(text: string, style: string): string {
  return `<span style="${style}">${escapeHtml(text)}</span>`;
}

export interface CorruptionExample {
  /** Index of the document in the dataset. */
  index: number;
  document: string;
  parts: CorruptionParts;
}

/** The two lines of one example; truncated text longer than 60 characters is cut with "…". */
export function corruptionExampleHtml(ex: CorruptionExample, blockSize: number): string {
  const p = ex.parts;
  const dropped = [...ex.document].slice(p.truncatedLength).join('');
  const shownDropped = dropped.length > 60 ? dropped.slice(0, 60) + '…' : dropped;
  const padding = blockSize - [...(p.prefix + p.suffix + p.masked)].length - 2;
  if (padding < 0) throw new Error(`corruptionExampleHtml: document ${ex.index} does not fit in a block of ${blockSize} characters after corruption`);
  return (
    `<p style="margin:0.8em 0 0.2em"><b>document ${ex.index}</b>: L = ${p.truncatedLength}, m = ${[...p.masked].length} (L/4 = ${(p.truncatedLength / 4).toFixed(1)})</p>` +
    `<div>${escapeHtml(p.prefix)}${styledSpan(p.masked, MASKED_STYLE)}${escapeHtml(p.suffix)}${styledSpan(shownDropped, GREY_STYLE)}</div>` +
    `<div>${escapeHtml(p.prefix)}${styledSpan(MASK_CHAR, MASK_STYLE)}${escapeHtml(p.suffix)}${styledSpan(MASK_CHAR, MASK_STYLE)}${styledSpan(p.masked, MASKED_STYLE)}${styledSpan(PAD_CHAR.repeat(padding), GREY_STYLE)}</div>`
  );
}

/** Several examples in one monospaced block, as the notebook displays them. */
export function corruptionExamplesHtml(examples: readonly CorruptionExample[], blockSize: number): string {
  return `<div style="font-family:monospace;white-space:pre-wrap;line-height:1.5">${examples.map((ex) => corruptionExampleHtml(ex, blockSize)).join('')}</div>`;
}
