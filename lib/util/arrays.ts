/** Small array builders for the notebooks: grids of numbers to sweep or plot against, and a column of a table. */

/** `count` numbers from `start` in steps of `step`: evenlySpaced(0, 0.25, 5) is [0, 0.25, 0.5, 0.75, 1]. */
export function evenlySpaced(start: number, step: number, count: number): number[] {
  if (!Number.isInteger(count) || count < 0) throw new Error(`evenlySpaced: count must be a non-negative integer, got ${count}`);
  if (!Number.isFinite(start) || !Number.isFinite(step)) throw new Error(`evenlySpaced: start and step must be finite numbers, got ${start} and ${step}`);
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(start + i * step);
  return out;
}

/** One field of every row: column([{ beta: 1, weight: 0.5 }, { beta: 2, weight: 0.7 }], 'weight') is [0.5, 0.7]. */
export function column<Row, Key extends keyof Row>(rows: readonly Row[], key: Key): Row[Key][] {
  return rows.map((row) => row[key]);
}
