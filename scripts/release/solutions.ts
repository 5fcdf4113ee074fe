/**
 * Solution regions and their stubs.
 *
 * In TypeScript (lib files and notebook code cells) a region is
 *
 *     // BEGIN SOLUTION <part name>
 *     ...reference code...
 *     // END SOLUTION
 *
 * and the release replaces it, markers included, by `throw new Error('not implemented: <part name>');` at the
 * indentation of the BEGIN line. In markdown cells (written answers) the pair is
 * `<!-- BEGIN SOLUTION <part name> -->` ... `<!-- END SOLUTION -->`, replaced by a prompt for the student's answer.
 * Markers stand alone on their line; a stray, nested or unclosed marker is an error naming the file and line.
 */

export type Syntax = 'code' | 'markdown';

export interface Region {
  part: string;
  /** 1-based line of the BEGIN marker in the text given to `stripSolutions`. */
  line: number;
  /** Number of lines removed (markers included). */
  lines: number;
  /** 1-based line of the stub in the stripped text. */
  stubLine: number;
}

export interface Stripped {
  text: string;
  regions: Region[];
}

const PATTERNS: Record<Syntax, { begin: RegExp; end: RegExp }> = {
  code: { begin: /^(\s*)\/\/\s*BEGIN SOLUTION(?:\s+(.*?))?\s*$/, end: /^\s*\/\/\s*END SOLUTION\s*$/ },
  markdown: { begin: /^(\s*)<!--\s*BEGIN SOLUTION(?:\s+(.*?))?\s*-->\s*$/, end: /^\s*<!--\s*END SOLUTION\s*-->\s*$/ },
};

/** Any mention of a marker, to catch markers the line patterns do not accept (e.g. after code on a line). */
const ANY_MARKER = /\b(BEGIN|END) SOLUTION\b/;

export function stubFor(part: string, syntax: Syntax, indent: string): string {
  if (syntax === 'markdown') return `${indent}> **Your answer (${part}):** _write it here._`;
  // Part names hold no quotes or backslashes (checked when parsing), so they can sit in a quoted string as they are.
  return `${indent}throw new Error('not implemented: ${part}');`;
}

/**
 * Replaces every solution region of `text` by its stub.
 * @param where names the file (and cell) in error messages, e.g. `lib/data/corruption.ts` or `notebooks/05.ipynb cell 7`.
 */
export function stripSolutions(text: string, syntax: Syntax, where: string): Stripped {
  const { begin, end } = PATTERNS[syntax];
  const lines = text.split('\n');
  const out: string[] = [];
  const regions: Region[] = [];
  let open: { part: string; line: number; indent: string } | undefined;
  lines.forEach((line, i) => {
    const at = `${where}:${i + 1}`;
    const b = begin.exec(line);
    if (b) {
      if (open) throw new Error(`${at}: BEGIN SOLUTION inside the region opened at line ${open.line} (regions do not nest)`);
      const part = (b[2] ?? '').trim();
      if (!part) throw new Error(`${at}: BEGIN SOLUTION needs a part name, e.g. "BEGIN SOLUTION span corruption"`);
      if (/['"`\\]/.test(part)) throw new Error(`${at}: part name "${part}" may not contain quotes or backslashes`);
      open = { part, line: i + 1, indent: b[1] };
      return;
    }
    if (end.test(line)) {
      if (!open) throw new Error(`${at}: END SOLUTION without a BEGIN SOLUTION before it`);
      out.push(stubFor(open.part, syntax, open.indent));
      regions.push({ part: open.part, line: open.line, lines: i + 2 - open.line, stubLine: out.length });
      open = undefined;
      return;
    }
    if (ANY_MARKER.test(line) && (line.includes('//') || line.includes('<!--'))) {
      throw new Error(`${at}: a solution marker must stand alone on its line (${syntax === 'code' ? '// BEGIN SOLUTION <part>' : '<!-- BEGIN SOLUTION <part> -->'}): "${line.trim()}"`);
    }
    if (!open) out.push(line);
  });
  if (open) throw new Error(`${where}:${open.line}: BEGIN SOLUTION ${open.part} is never closed by END SOLUTION`);
  return { text: out.join('\n'), regions };
}
