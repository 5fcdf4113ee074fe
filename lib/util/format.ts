/** Numbers and text for people: durations, and text made safe inside HTML. */

/** "1h02m", "3m05s", "12s" (rounded to the second); "?" for a time that is not a finite number. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const t = Math.round(seconds);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const s = t % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(s).padStart(2, '0')}s` : `${s}s`;
}

/** Text as HTML element content: &, < and > escaped. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Text as an HTML attribute value in quotes: escapeHtml's characters and both quotes. */
export function escapeHtmlAttribute(s: string): string {
  return escapeHtml(s).replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Numbers with `digits` decimals, joined by ", ": [0.5, 0.25] with 3 digits is "0.500, 0.250". */
export function formatNumbers(xs: ArrayLike<number>, digits: number): string {
  return Array.from(xs, (x) => x.toFixed(digits)).join(', ');
}

/** Numbers rounded to `digits` decimals (as numbers, for printing an object): [0.42231] with 4 digits is [0.4223]. */
export function roundNumbers(xs: ArrayLike<number>, digits: number): number[] {
  return Array.from(xs, (x) => +x.toFixed(digits));
}
