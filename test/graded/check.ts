/**
 * Checks for the graded tests whose failures a student can act on: each says what was called (with its inputs),
 * what was expected, what came back, where they first differ, and, when the answer matches a mistake we can name
 * (a rotation the wrong way round, pairs taken as halves, a missing 1/sqrt(d), ...), a hint about that mistake.
 *
 *     expectClose(rotateAsComplex([1, 0], 1), [Math.cos(1), Math.sin(1)], {
 *       call: 'rotateAsComplex([1, 0], 1)', tol: 1e-12,
 *       mistakes: [{ value: [Math.cos(1), -Math.sin(1)], hint: 'your rotation turns the wrong way ...' }],
 *     });
 *
 * fails with
 *
 *     rotateAsComplex([1, 0], 1)
 *       expected [0.540302, 0.841471] (each entry within 1e-12)
 *       got      [0.540302, -0.841471]
 *       first difference at [1]: got -0.841471, expected 0.841471
 *       hint: your rotation turns the wrong way ...
 */
import * as assert from 'node:assert/strict';

/** A wrong answer we recognise, and what to tell the student who gives it. */
export interface Mistake {
  value: unknown;
  hint: string;
}

export interface CheckOptions {
  /** The call (or quantity) checked, with its inputs, e.g. `rotateAsComplex([1, 2, 3, 4], 2)`. */
  call: string;
  /** Mistakes to recognise in what came back. */
  mistakes?: Mistake[];
  /** Said when no mistake matches. */
  hint?: string;
}

export interface CloseOptions extends CheckOptions {
  /** Largest absolute difference allowed per entry. */
  tol: number;
}

type Nested = number | readonly Nested[];

function flat(x: unknown): number[] | undefined {
  if (typeof x === 'number') return [x];
  if (ArrayBuffer.isView(x) && !(x instanceof DataView)) return Array.from(x as unknown as ArrayLike<number>);
  if (Array.isArray(x)) {
    const out: number[] = [];
    for (const v of x) {
      const f = flat(v);
      if (!f) return undefined;
      out.push(...f);
    }
    return out;
  }
  return undefined;
}

function shapeOf(x: unknown): number[] {
  if (Array.isArray(x)) return [x.length, ...(x.length ? shapeOf(x[0]) : [])];
  if (ArrayBuffer.isView(x) && !(x instanceof DataView)) return [(x as unknown as ArrayLike<number>).length];
  return [];
}

/** A number the way a report shows it: 6 significant digits, integers as they are. */
export function num(v: number): string {
  if (Number.isInteger(v)) return String(v);
  if (!Number.isFinite(v)) return String(v);
  return String(Number(v.toPrecision(6)));
}

/** A value for a report: numbers rounded, long lists cut after `max` entries (nested lists row by row). */
export function show(x: unknown, max = 8): string {
  if (typeof x === 'number') return num(x);
  if (typeof x === 'string') return JSON.stringify(x);
  if (ArrayBuffer.isView(x) && !(x instanceof DataView)) return show(Array.from(x as unknown as ArrayLike<number>), max);
  if (Array.isArray(x)) {
    const items = x.slice(0, max).map((v) => show(v, max));
    return `[${items.join(', ')}${x.length > max ? `, ... (${x.length} in all)` : ''}]`;
  }
  if (x === undefined) return 'undefined';
  try {
    const s = JSON.stringify(x);
    return s.length > 300 ? `${s.slice(0, 297)}...` : s;
  } catch {
    return String(x);
  }
}

/** Index of a flat position in a value of `shape`, e.g. [1][4]. */
function indexOf(i: number, shape: number[]): string {
  if (shape.length <= 1) return `[${i}]`;
  const idx: number[] = [];
  let rest = i;
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(rest % shape[d]);
    rest = Math.floor(rest / shape[d]);
  }
  return idx.map((k) => `[${k}]`).join('');
}

function maxDiff(a: number[], b: number[]): number {
  if (a.length !== b.length) return Infinity;
  return a.reduce((m, v, i) => Math.max(m, Number.isNaN(v) !== Number.isNaN(b[i]) ? Infinity : Math.abs(v - b[i]) || 0), 0);
}

/** The hint of the first mistake `got` matches (numbers within `tol`, anything else deeply equal). */
export function diagnose(got: unknown, mistakes: Mistake[] | undefined, tol: number): string | undefined {
  for (const m of mistakes ?? []) {
    const g = flat(got);
    const v = flat(m.value);
    if (g && v) {
      if (g.length === v.length && maxDiff(g, v) <= Math.max(tol, 1e-6 * Math.max(1, ...v.map(Math.abs)))) return m.hint;
    } else {
      try {
        assert.deepStrictEqual(got, m.value);
        return m.hint;
      } catch {
        // not this mistake
      }
    }
  }
  return undefined;
}

/** Throws a failure whose message is the report lines. */
export function fail(lines: (string | undefined)[]): never {
  throw new assert.AssertionError({ message: lines.filter((l): l is string => l !== undefined).join('\n') });
}

function hintLine(got: unknown, opts: CheckOptions, tol: number): string | undefined {
  const hint = diagnose(got, opts.mistakes, tol) ?? opts.hint;
  return hint ? `  hint: ${hint}` : undefined;
}

/** Numbers (or nested lists, or typed arrays) equal to `expected` within `tol` per entry. */
export function expectClose(got: unknown, expected: Nested | ArrayLike<number>, opts: CloseOptions): void {
  const g = flat(got);
  const e = flat(expected) as number[];
  const within = `(each entry within ${num(opts.tol)})`;
  if (!g) fail([opts.call, `  expected ${show(expected)} ${within}`, `  got      ${show(got)} (not numbers)`, hintLine(got, opts, opts.tol)]);
  if (g.length !== e.length) {
    fail([opts.call, `  expected ${e.length} numbers (shape [${shapeOf(expected).join(', ')}]): ${show(expected)}`, `  got      ${g.length} (shape [${shapeOf(got).join(', ')}]): ${show(got)}`, hintLine(got, opts, opts.tol)]);
  }
  const bad = e.findIndex((v, i) => !(Math.abs(g[i] - v) <= opts.tol));
  if (bad < 0) return;
  const shape = shapeOf(expected);
  // A "mistake" that gives the right answer for these inputs says nothing about this one.
  opts = { ...opts, mistakes: opts.mistakes?.filter((m) => { const v = flat(m.value); return !v || v.length !== e.length || maxDiff(v, e) > opts.tol; }) };
  fail([
    opts.call,
    `  expected ${show(expected)} ${within}`,
    `  got      ${show(got)}`,
    `  first difference at ${indexOf(bad, shape)}: got ${num(g[bad])}, expected ${num(e[bad])}`,
    hintLine(got, opts, opts.tol),
  ]);
}

/** Any value deeply equal to `expected` (strings, lists, records). */
export function expectEqual<T>(got: T, expected: T, opts: CheckOptions): void {
  try {
    assert.deepStrictEqual(got, expected);
  } catch {
    fail([opts.call, `  expected ${show(expected, 12)}`, `  got      ${show(got, 12)}`, hintLine(got, opts, 0)]);
  }
}

/** A record's fields, each against its expected value: every wrong field is named. */
export function expectFields(got: Record<string, unknown>, expected: Record<string, unknown>, opts: CheckOptions): void {
  const wrong = Object.entries(expected).filter(([k, v]) => {
    try {
      assert.deepStrictEqual(got[k], v);
      return false;
    } catch {
      return true;
    }
  });
  if (!wrong.length) return;
  fail([opts.call, ...wrong.map(([k, v]) => `  ${k}: expected ${show(v)}, got ${show(got[k])}`), hintLine(got, opts, 0)]);
}

/** A property that must hold, with what it means and what was seen when it did not. */
export function expectThat(ok: boolean, opts: CheckOptions & { expected: string; got: string }): void {
  if (ok) return;
  fail([opts.call, `  expected ${opts.expected}`, `  got      ${opts.got}`, opts.hint ? `  hint: ${opts.hint}` : undefined]);
}

/** The error a call throws must match `pattern` (the message names the parameter or the line). */
export function expectThrows(fn: () => unknown, pattern: RegExp, opts: CheckOptions): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  if (error === undefined) fail([opts.call, `  expected an error matching ${pattern}`, '  got      no error', opts.hint ? `  hint: ${opts.hint}` : undefined]);
  const message = error instanceof Error ? error.message : String(error);
  if (!pattern.test(message)) fail([opts.call, `  expected an error matching ${pattern}`, `  got      ${JSON.stringify(message)}`, opts.hint ? `  hint: ${opts.hint}` : undefined]);
}
