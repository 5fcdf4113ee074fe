/**
 * The markers the student release acts on, and what it puts in their place. Three kinds, each a pair of lines:
 *
 * 1. Solution regions, in TypeScript (lib files and notebook code cells):
 *
 *        // BEGIN SOLUTION <part name>
 *        ...reference code...
 *        // END SOLUTION
 *
 *    replaced, markers included, by `throw new Error('not implemented: <part name> (<where>)');` at the indentation
 *    of the BEGIN line, where <where> names the function and the stub's file and line, e.g.
 *    `not implemented: RoPE (rotateAsComplex in lib/positional/rope.ts:79)`: the message says where to write, also
 *    where a stack trace cannot (tslab runs compiled JavaScript without source maps). A part is what the graded tests
 *    call a part (`describe('part: <part name>')`). In markdown cells `<!-- BEGIN SOLUTION <part> -->` ...
 *    `<!-- END SOLUTION -->` is a written answer that belongs to an autograded part, replaced by a prompt.
 *
 * 2. Written derivations graded by hand, in markdown cells:
 *
 *        <!-- BEGIN DERIVATION <name> -->
 *        ...the worked answer...
 *        <!-- END DERIVATION -->
 *
 *    replaced by a prompt for the student's derivation. The question itself stays outside the markers. In notebook
 *    code cells, `// BEGIN DERIVATION <name>` ... `// END DERIVATION` marks lines that show the answer (a printed
 *    formula, say): they go from the student copy, with no stub.
 *
 * 3. Hidden tests, in graded test files (`test/graded/*.test.ts`):
 *
 *        // BEGIN HIDDEN TESTS
 *        it('[1 pts] ...', ...);
 *        // END HIDDEN TESTS
 *
 *    left out of the student release (no stub: the lines go) and kept in the autograder bundle, where they count and
 *    show their score at once but their name and output only once the grades are published.
 *
 * Markers stand alone on their line; a stray, nested or unclosed marker is an error naming the file and line.
 */

export type Syntax = 'code' | 'markdown';
export type Kind = 'solution' | 'derivation' | 'hidden';

export interface Region {
  kind: Kind;
  /** The part (solution), the derivation's name, or '' (hidden tests). */
  part: string;
  /** 1-based line of the BEGIN marker in the text given to `stripSolutions`. */
  line: number;
  /** Number of lines removed (markers included). */
  lines: number;
  /** 1-based line of the stub in the stripped text (for hidden tests: of the line after the removed ones). */
  stubLine: number;
}

export interface Stripped {
  text: string;
  regions: Region[];
}

interface Marker {
  kind: Kind;
  syntax: Syntax;
  begin: RegExp;
  end: RegExp;
  /** How the BEGIN line is written, for error messages. */
  example: string;
  named: boolean;
}

const MARKERS: readonly Marker[] = [
  { kind: 'solution', syntax: 'code', begin: /^(\s*)\/\/\s*BEGIN SOLUTION(?:\s+(.*?))?\s*$/, end: /^\s*\/\/\s*END SOLUTION\s*$/, example: '// BEGIN SOLUTION <part>', named: true },
  { kind: 'derivation', syntax: 'code', begin: /^(\s*)\/\/\s*BEGIN DERIVATION(?:\s+(.*?))?\s*$/, end: /^\s*\/\/\s*END DERIVATION\s*$/, example: '// BEGIN DERIVATION <name>', named: true },
  { kind: 'hidden', syntax: 'code', begin: /^(\s*)\/\/\s*BEGIN HIDDEN TESTS()\s*$/, end: /^\s*\/\/\s*END HIDDEN TESTS\s*$/, example: '// BEGIN HIDDEN TESTS', named: false },
  { kind: 'solution', syntax: 'markdown', begin: /^(\s*)<!--\s*BEGIN SOLUTION(?:\s+(.*?))?\s*-->\s*$/, end: /^\s*<!--\s*END SOLUTION\s*-->\s*$/, example: '<!-- BEGIN SOLUTION <part> -->', named: true },
  { kind: 'derivation', syntax: 'markdown', begin: /^(\s*)<!--\s*BEGIN DERIVATION(?:\s+(.*?))?\s*-->\s*$/, end: /^\s*<!--\s*END DERIVATION\s*-->\s*$/, example: '<!-- BEGIN DERIVATION <name> -->', named: true },
];

const KEYWORD: Record<Kind, string> = { solution: 'SOLUTION', derivation: 'DERIVATION', hidden: 'HIDDEN TESTS' };

/** Any mention of a marker, to catch markers the line patterns do not accept (e.g. after code on a line). */
export const ANY_MARKER = /\b(BEGIN|END) (SOLUTION|DERIVATION|HIDDEN TESTS)\b/;

/** Escapes a message for a single-quoted TypeScript string. */
function quoted(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, ' ')}'`;
}

/**
 * The stub of a region. `where` locates it for the student (`rotateAsComplex in lib/positional/rope.ts:79`).
 */
export function stubFor(kind: Kind, part: string, syntax: Syntax, indent: string, where?: string): string | undefined {
  if (kind === 'hidden' || (kind === 'derivation' && syntax === 'code')) return undefined;
  if (kind === 'derivation') return `${indent}> **Your derivation (${part}; graded by hand):** _write it here._`;
  if (syntax === 'markdown') return `${indent}> **Your answer (${part}):** _write it here._`;
  return `${indent}throw new Error(${quoted(`not implemented: ${part}${where ? ` (${where})` : ''}`)});`;
}

export interface StripOptions {
  /** Which kinds to strip (default: solutions and derivations). Markers of other kinds stay as they are. */
  kinds?: readonly Kind[];
  /** The function or method around a line of the original text, to name in the stub (e.g. `Vocab.encode`). */
  functionAt?: (line: number) => string | undefined;
}

/**
 * Replaces every region of `text` (of the kinds asked for) by its stub.
 * @param where names the file (and cell) in error messages and stubs, e.g. `lib/data/char_corruption.ts` or
 *   `notebooks/05.ipynb cell 7`.
 */
export function stripSolutions(text: string, syntax: Syntax, where: string, options: StripOptions = {}): Stripped {
  const kinds = options.kinds ?? ['solution', 'derivation'];
  const markers = MARKERS.filter((m) => m.syntax === syntax);
  const lines = text.split('\n');
  const out: string[] = [];
  const regions: Region[] = [];
  let open: { marker: Marker; part: string; line: number; indent: string; kept: boolean } | undefined;
  lines.forEach((line, i) => {
    const at = `${where}:${i + 1}`;
    for (const marker of markers) {
      const b = marker.begin.exec(line);
      if (!b) continue;
      const keyword = KEYWORD[marker.kind];
      if (open) throw new Error(`${at}: BEGIN ${keyword} inside the region opened at line ${open.line} (regions do not nest)`);
      const part = (b[2] ?? '').trim();
      if (marker.named && !part) throw new Error(`${at}: BEGIN ${keyword} needs a name, e.g. "${marker.example.replace('<part>', 'span corruption').replace('<name>', 'copying')}"`);
      if (/['"`\\]/.test(part)) throw new Error(`${at}: the name "${part}" may not contain quotes or backslashes`);
      const kept = !kinds.includes(marker.kind);
      open = { marker, part, line: i + 1, indent: b[1], kept };
      if (kept) out.push(line);
      return;
    }
    for (const marker of markers) {
      if (!marker.end.test(line)) continue;
      const keyword = KEYWORD[marker.kind];
      if (!open) throw new Error(`${at}: END ${keyword} without a BEGIN ${keyword} before it`);
      if (open.marker !== marker) throw new Error(`${at}: END ${keyword} closes the BEGIN ${KEYWORD[open.marker.kind]} of line ${open.line}`);
      if (open.kept) {
        out.push(line);
      } else {
        const fn = options.functionAt?.(open.line);
        const stubLine = out.length + 1;
        const stub = stubFor(marker.kind, open.part, syntax, open.indent, `${fn ? `${fn} in ` : ''}${where}:${stubLine}`);
        if (stub !== undefined) out.push(stub);
        regions.push({ kind: marker.kind, part: open.part, line: open.line, lines: i + 2 - open.line, stubLine });
      }
      open = undefined;
      return;
    }
    if (ANY_MARKER.test(line) && (line.includes('//') || line.includes('<!--'))) {
      const example = markers.map((m) => m.example).join(' or ');
      throw new Error(`${at}: a marker must stand alone on its line (${example}): "${line.trim()}"`);
    }
    if (!open || open.kept) out.push(line);
  });
  if (open) throw new Error(`${where}:${open.line}: BEGIN ${KEYWORD[open.marker.kind]}${open.part ? ` ${open.part}` : ''} is never closed by END ${KEYWORD[open.marker.kind]}`);
  return { text: out.join('\n'), regions };
}
