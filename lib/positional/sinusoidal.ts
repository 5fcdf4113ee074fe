/**
 * Fixed sinusoidal position encodings (Vaswani et al. 2017): for position t and i = 0 .. d/2-1,
 *   PE(t, 2i) = sin(t / base^(2i/d)),   PE(t, 2i+1) = cos(t / base^(2i/d)),   base = 10000.
 * Each pair of columns is a clock running at its own speed, from one turn every 2 pi positions (i = 0) to
 * very slow ones. Nearby positions get similar vectors, and the dot product PE(t) . PE(t + k) depends on k only.
 */
import * as tf from '@tensorflow/tfjs';

export const DEFAULT_SINUSOID_BASE = 10000;

/** The (T, d) table of sinusoidal encodings; row t encodes position t. An odd d ends with a sine column. */
export function sinusoidalEncoding(T: number, d: number, base = DEFAULT_SINUSOID_BASE): number[][] {
  if (!Number.isInteger(T) || T <= 0) throw new Error(`sinusoidalEncoding: T (number of positions) must be a positive integer, got ${T}`);
  if (!Number.isInteger(d) || d <= 0) throw new Error(`sinusoidalEncoding: d (encoding dimension) must be a positive integer, got ${d}`);
  if (!Number.isFinite(base) || base <= 0) throw new Error(`sinusoidalEncoding: base must be a positive number, got ${base}`);
  // BEGIN SOLUTION sinusoidal encoding
  const table: number[][] = [];
  for (let t = 0; t < T; t++) {
    const row = new Array<number>(d);
    for (let col = 0; col < d; col++) {
      const i = Math.floor(col / 2);
      const angle = t / Math.pow(base, (2 * i) / d);
      row[col] = col % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
    table.push(row);
  }
  return table;
  // END SOLUTION
}

/** The same table as a tensor, to add to a (T, d) or (batch, T, d) input. */
export function sinusoidalTensor(T: number, d: number, base = DEFAULT_SINUSOID_BASE): tf.Tensor2D {
  return tf.tensor2d(sinusoidalEncoding(T, d, base));
}

/** Cosine similarity of every row of `table` with row `ref`. */
export function similarityToRow(table: readonly (readonly number[])[], ref: number): number[] {
  if (!Number.isInteger(ref) || ref < 0 || ref >= table.length) throw new Error(`similarityToRow: ref=${ref} is not a row of the table (0..${table.length - 1})`);
  const r = table[ref];
  const nr = Math.hypot(...r);
  return table.map((row) => {
    if (row.length !== r.length) throw new Error(`similarityToRow: rows of different lengths ${row.length} and ${r.length}`);
    const n = Math.hypot(...row) * nr;
    return n === 0 ? 0 : row.reduce((acc, v, k) => acc + v * r[k], 0) / n;
  });
}

/** The (T, T) matrix of cosine similarities between all pairs of rows. */
export function similarityMatrix(table: readonly (readonly number[])[]): number[][] {
  return table.map((_, i) => similarityToRow(table, i));
}

/**
 * Cosine similarity of row `ref` with rows ref - maxOffset .. ref + maxOffset (offsets -maxOffset .. maxOffset):
 * for the sinusoidal table a function of the offset alone, whatever `ref` is.
 */
export function similarityByOffset(table: readonly (readonly number[])[], ref: number, maxOffset: number): number[] {
  if (!Number.isInteger(maxOffset) || maxOffset < 0) throw new Error(`similarityByOffset: maxOffset must be a non-negative integer, got ${maxOffset}`);
  if (ref - maxOffset < 0 || ref + maxOffset >= table.length) {
    throw new Error(`similarityByOffset: rows ${ref - maxOffset}..${ref + maxOffset} are not all in the table (0..${table.length - 1})`);
  }
  return similarityToRow(table, ref).slice(ref - maxOffset, ref + maxOffset + 1);
}
