/**
 * Plain-number vector helpers for the attention derivations, where one query meets a handful of keys and a
 * few lines of arithmetic are clearer than tensors.
 */
export type Vec = number[];

export function dot(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new Error(`dot: vectors of different lengths ${a.length} and ${b.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function add(a: readonly number[], b: readonly number[]): Vec {
  if (a.length !== b.length) throw new Error(`add: vectors of different lengths ${a.length} and ${b.length}`);
  return a.map((v, i) => v + b[i]);
}

export function sub(a: readonly number[], b: readonly number[]): Vec {
  if (a.length !== b.length) throw new Error(`sub: vectors of different lengths ${a.length} and ${b.length}`);
  return a.map((v, i) => v - b[i]);
}

export function scale(a: readonly number[], s: number): Vec {
  return a.map((v) => v * s);
}

export function norm(a: readonly number[]): number {
  return Math.sqrt(dot(a, a));
}

/** The largest |a_i - b_i|: how far apart two results that should be equal are, coordinate by coordinate. */
export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`maxAbsDifference: vectors of different lengths ${a.length} and ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** sum_i w_i v_i */
export function weightedSum(weights: readonly number[], vectors: readonly (readonly number[])[]): Vec {
  if (weights.length !== vectors.length) throw new Error(`weightedSum: ${weights.length} weights for ${vectors.length} vectors`);
  if (vectors.length === 0) throw new Error('weightedSum: no vectors');
  const out = new Array<number>(vectors[0].length).fill(0);
  vectors.forEach((v, i) => {
    if (v.length !== out.length) throw new Error(`weightedSum: vector ${i} has length ${v.length}, vector 0 has ${out.length}`);
    for (let k = 0; k < v.length; k++) out[k] += weights[i] * v[k];
  });
  return out;
}

/** Numerically stable softmax: subtracting the max changes nothing mathematically but avoids exp overflow. */
export function softmax(z: readonly number[]): Vec {
  if (z.length === 0) throw new Error('softmax: empty input');
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}
