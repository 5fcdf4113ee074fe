/**
 * Rotary position embeddings (RoPE, Su et al. 2021).
 *
 * Instead of adding a position vector to the input, RoPE rotates the queries and keys. Split a vector of even
 * dimension d into d/2 consecutive pairs (x[2j], x[2j+1]). At position t, pair j turns by the angle t * theta_j,
 * with theta_j = base^(-2j/d) for j = 0 .. d/2-1 (base 10000): fast turns for the first pairs, slow for the last.
 *
 * The same rotation can be written two ways, and both are here:
 *  - as a matrix: R_t is block diagonal with the 2x2 rotations [[cos, -sin], [sin, cos]] on its diagonal,
 *    and RoPE(x, t) = R_t x  (`ropeRotationMatrix`, `applyRopeByMatrix`);
 *  - as complex numbers: pair j is z_j = x[2j] + i x[2j+1], and RoPE multiplies it by e^(i t theta_j)
 *    (`rotateAsComplex` for one vector, `applyRope` for tensors: what the model uses).
 *
 * The attention score <RoPE(q, m), RoPE(k, n)> then depends on the positions only through their difference n - m
 * (notebook 4 asks why).
 */
import * as tf from '@tensorflow/tfjs';
import { dot } from '../attention/vector';

export interface RopeOptions {
  /** The base of the frequencies theta_j = base^(-2j/d); 10000 as in the paper. */
  base?: number;
  /** Position of the first time step (for generation with a cache); 0 by default. */
  offset?: number;
}

export const DEFAULT_ROPE_BASE = 10000;

function checkDim(d: number, where: string): void {
  if (!Number.isInteger(d) || d <= 0 || d % 2 !== 0) {
    throw new Error(`${where}: head_dim must be a positive even number (RoPE rotates pairs of coordinates), got ${d}`);
  }
}

function checkBase(base: number, where: string): void {
  if (!Number.isFinite(base) || base <= 0) throw new Error(`${where}: base must be a positive number, got ${base}`);
}

function checkPosition(t: number, name: string, where: string): void {
  if (!Number.isInteger(t) || t < 0) throw new Error(`${where}: ${name} must be a non-negative integer, got ${t}`);
}

/** theta_j = base^(-2j/d) for j = 0 .. d/2-1: the angle per position step of each pair. */
export function ropeFrequencies(d: number, base = DEFAULT_ROPE_BASE): number[] {
  checkDim(d, 'ropeFrequencies');
  checkBase(base, 'ropeFrequencies');
  const theta: number[] = [];
  for (let j = 0; j < d / 2; j++) theta.push(Math.pow(base, (-2 * j) / d));
  return theta;
}

/**
 * The d x d block-diagonal rotation matrix R_t of position t: block j (rows and columns 2j, 2j+1) is
 * [[cos(t theta_j), -sin(t theta_j)], [sin(t theta_j), cos(t theta_j)]], every other entry 0.
 */
export function ropeRotationMatrix(t: number, d: number, base = DEFAULT_ROPE_BASE): number[][] {
  checkPosition(t, 'position t', 'ropeRotationMatrix');
  const theta = ropeFrequencies(d, base);
  // BEGIN SOLUTION RoPE
  const R: number[][] = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  theta.forEach((th, j) => {
    const c = Math.cos(t * th);
    const s = Math.sin(t * th);
    R[2 * j][2 * j] = c;
    R[2 * j][2 * j + 1] = -s;
    R[2 * j + 1][2 * j] = s;
    R[2 * j + 1][2 * j + 1] = c;
  });
  return R;
  // END SOLUTION
}

/**
 * RoPE of one vector at position t, complex form: pair (x[2j], x[2j+1]) is the complex number
 * z = x[2j] + i x[2j+1], multiplied by e^(i t theta_j) = cos + i sin.
 */
export function rotateAsComplex(x: readonly number[], t: number, base = DEFAULT_ROPE_BASE): number[] {
  checkPosition(t, 'position t', 'rotateAsComplex');
  const theta = ropeFrequencies(x.length, base);
  // BEGIN SOLUTION RoPE
  const out = new Array<number>(x.length);
  theta.forEach((th, j) => {
    const re = x[2 * j];
    const im = x[2 * j + 1];
    const c = Math.cos(t * th);
    const s = Math.sin(t * th);
    // (re + i im)(c + i s) = (re c - im s) + i (re s + im c)
    out[2 * j] = re * c - im * s;
    out[2 * j + 1] = re * s + im * c;
  });
  return out;
  // END SOLUTION
}

/** RoPE of one vector at position t, matrix form: R_t x. */
export function rotateByMatrix(x: readonly number[], t: number, base = DEFAULT_ROPE_BASE): number[] {
  const R = ropeRotationMatrix(t, x.length, base);
  return R.map((row) => row.reduce((acc, r, k) => acc + r * x[k], 0));
}

/**
 * cos(t theta_j) and sin(t theta_j) for t = offset .. offset+T-1 and j < d/2, row-major (T, d/2).
 * Cached as plain arrays (not tensors), so that no tensor outlives the caller's tf.tidy.
 */
const tableCache = new Map<string, { cos: Float32Array; sin: Float32Array }>();
const MAX_CACHED_TABLES = 64;

export function ropeTables(T: number, d: number, base = DEFAULT_ROPE_BASE, offset = 0): { cos: Float32Array; sin: Float32Array } {
  const key = `${T}|${d}|${base}|${offset}`;
  const hit = tableCache.get(key);
  if (hit) return hit;
  const theta = ropeFrequencies(d, base);
  const half = d / 2;
  const cos = new Float32Array(T * half);
  const sin = new Float32Array(T * half);
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < half; j++) {
      // Angles in double precision, rounded once: keeps large positions accurate.
      const angle = (offset + t) * theta[j];
      cos[t * half + j] = Math.cos(angle);
      sin[t * half + j] = Math.sin(angle);
    }
  }
  if (tableCache.size >= MAX_CACHED_TABLES) tableCache.clear();
  const tables = { cos, sin };
  tableCache.set(key, tables);
  return tables;
}

function checkRopeInput(x: tf.Tensor, opts: RopeOptions | undefined, where: string): { base: number; offset: number } {
  if (x.rank !== 4) {
    throw new Error(`${where}: expected a 4-D tensor of shape (batch, heads, time, head_dim), got shape [${x.shape.join(', ')}]`);
  }
  checkDim((x.shape as number[])[3], where);
  const base = opts?.base ?? DEFAULT_ROPE_BASE;
  const offset = opts?.offset ?? 0;
  checkBase(base, where);
  checkPosition(offset, 'offset', where);
  return { base, offset };
}

/**
 * RoPE on a tensor of shape (batch, heads, time, head_dim), complex form, with plain differentiable tf ops:
 * out[2j] = x[2j] cos - x[2j+1] sin and out[2j+1] = x[2j] sin + x[2j+1] cos, angle (offset + t) theta_j.
 */
export function applyRope(x: tf.Tensor4D, opts?: RopeOptions): tf.Tensor4D {
  const { base, offset } = checkRopeInput(x, opts, 'applyRope');
  // BEGIN SOLUTION RoPE
  // Pair j is the complex number x[2j] + i x[2j+1]; times (cos + i sin) it becomes
  //   out[2j] = x[2j] cos - x[2j+1] sin,   out[2j+1] = x[2j+1] cos + x[2j] sin,
  // i.e. out = x * c + swap(x) * s with c = [cos_0, cos_0, cos_1, cos_1, ...], s = [-sin_0, sin_0, -sin_1, sin_1, ...]
  // and swap(x) = (x1, x0, x3, x2, ...). We write it that way, with swap as a matMul by a permutation matrix,
  // because the obvious reshape to (..., d/2, 2) + unstack/stack is 50-90x slower on the wasm backend.
  const [B, H, T, d] = x.shape;
  const half = d / 2;
  const { cos, sin } = ropeTables(T, d, base, offset);
  const c = new Float32Array(T * d);
  const s = new Float32Array(T * d);
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < half; j++) {
      c[t * d + 2 * j] = c[t * d + 2 * j + 1] = cos[t * half + j];
      s[t * d + 2 * j] = -sin[t * half + j];
      s[t * d + 2 * j + 1] = sin[t * half + j];
    }
  }
  const swap = new Float32Array(d * d); // column 2j takes x[2j+1], column 2j+1 takes x[2j]
  for (let j = 0; j < half; j++) {
    swap[(2 * j + 1) * d + 2 * j] = 1;
    swap[2 * j * d + 2 * j + 1] = 1;
  }
  return tf.tidy(() => {
    const swapped = tf.reshape(tf.matMul(tf.reshape(x, [B * H * T, d]), tf.tensor2d(swap, [d, d])), [B, H, T, d]);
    return tf.add(tf.mul(x, tf.tensor2d(c, [T, d])), tf.mul(swapped, tf.tensor2d(s, [T, d]))) as tf.Tensor4D;
  });
  // END SOLUTION
}

/**
 * RoPE on a (batch, heads, time, head_dim) tensor, matrix form: each time step's vector is multiplied by its
 * d x d rotation matrix R_t. O(d^2) per vector instead of O(d): for checking `applyRope`, not for training.
 */
export function applyRopeByMatrix(x: tf.Tensor4D, opts?: RopeOptions): tf.Tensor4D {
  const { base, offset } = checkRopeInput(x, opts, 'applyRopeByMatrix');
  const [, , T, d] = x.shape;
  const mats: number[][][] = [];
  for (let t = 0; t < T; t++) mats.push(ropeRotationMatrix(offset + t, d, base));
  return tf.tidy(() => {
    const R = tf.tensor3d(mats); // (T, d, d)
    // out[..., t, i] = sum_k R[t, i, k] x[..., t, k]
    return R.mul(x.expandDims(3)).sum(4) as tf.Tensor4D;
  });
}

/** The largest |applyRope(x) - applyRopeByMatrix(x)| over every entry: how far the two forms disagree on x. */
export function ropeFormsMaxDifference(x: tf.Tensor4D, opts?: RopeOptions): number {
  return tf.tidy(() => applyRope(x, opts).sub(applyRopeByMatrix(x, opts)).abs().max().dataSync()[0]);
}

/** The attention score <R_m q, R_n k> of a query q at position m and a key k at position n (complex form). */
export function ropeScore(q: readonly number[], k: readonly number[], m: number, n: number, base = DEFAULT_ROPE_BASE): number {
  if (q.length !== k.length) throw new Error(`ropeScore: q has dimension ${q.length} but k has ${k.length}`);
  return dot(rotateAsComplex(q, m, base), rotateAsComplex(k, n, base));
}

/** S[m][n] = ropeScore(q, k, m, n) for query and key positions 0 .. T-1. */
export function ropeScoreMatrix(q: readonly number[], k: readonly number[], T: number, base = DEFAULT_ROPE_BASE): number[][] {
  if (!Number.isInteger(T) || T <= 0) throw new Error(`ropeScoreMatrix: T must be a positive integer, got ${T}`);
  const S: number[][] = [];
  for (let m = 0; m < T; m++) {
    const row: number[] = [];
    for (let n = 0; n < T; n++) row.push(ropeScore(q, k, m, n, base));
    S.push(row);
  }
  return S;
}

/** The score of q at position m against k at each position m + offset: the same curve for every m. */
export function ropeScoresAtOffsets(q: readonly number[], k: readonly number[], m: number, offsets: readonly number[], base = DEFAULT_ROPE_BASE): number[] {
  return offsets.map((o) => ropeScore(q, k, m, m + o, base));
}

/**
 * Attention weights softmax(q k^T / sqrt(head_dim)) of the first batch entry and head of (batch, heads, time,
 * head_dim) queries and keys, without a mask: row m is how query m spreads its weight over the keys.
 */
export function attentionWeights(q: tf.Tensor4D, k: tf.Tensor4D): number[][] {
  const headDim = q.shape[3];
  return tf.tidy(() => (tf.softmax(tf.matMul(q, k, false, true).div(Math.sqrt(headDim))).arraySync() as number[][][][])[0][0]);
}

/**
 * The attention weights of T tokens that are all the same vector u (q_t = k_t = u), with or without RoPE on the
 * queries and keys. Without it every score is u.u and every weight 1/T; with it the score of query m and key n is
 * u^T R_(n-m) u, so the weights depend on the offset n - m.
 */
export function identicalTokensAttention(u: readonly number[], T: number, opts: { rope: boolean }): number[][] {
  if (!Number.isInteger(T) || T <= 0) throw new Error(`identicalTokensAttention: T must be a positive integer, got ${T}`);
  const flat: number[] = [];
  for (let t = 0; t < T; t++) flat.push(...u);
  return tf.tidy(() => {
    const same = tf.tensor4d(flat, [1, 1, T, u.length]);
    const qk = opts.rope ? applyRope(same) : same;
    return attentionWeights(qk, qk);
  });
}
