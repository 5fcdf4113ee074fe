/**
 * Operations whose fast implementation depends on the backend. Model code calls these and stays readable;
 * the speed tricks live here (and in `lib/backend`), each proven equal to the plain version by a test.
 */
import * as tf from '@tensorflow/tfjs';
import { checkNormParams, fusedKernelsOn, geluFused, geluReference, layerNormFused, layerNormReference } from './fused';
import { fastWasmKernelsOn } from './kernel_switch';

/** The single-kernel GELU and LayerNorm of `fused.ts` exist on the wasm backend only. */
function fusedAvailable(): boolean {
  return tf.getBackend() === 'wasm' && fastWasmKernelsOn() && fusedKernelsOn();
}

/**
 * The exact GELU, x Phi(x) = 0.5 x (1 + erf(x / sqrt 2)) (PyTorch's nn.GELU default). On wasm one SIMD kernel
 * forward and one backward; elsewhere tf ops. Same values to float32 rounding (test/fused.test.ts).
 */
export function gelu<T extends tf.Tensor>(x: T): T {
  return fusedAvailable() && x.dtype === 'float32' ? geluFused(x) : (geluReference(x) as T);
}

/**
 * LayerNorm over the last axis, as PyTorch's: (x - mean) / sqrt(biased variance + eps) * gamma + beta, with
 * gamma and beta of shape [last axis]. On wasm one SIMD kernel forward and one backward; elsewhere tf ops.
 */
export function layerNorm<T extends tf.Tensor>(x: T, gamma: tf.Tensor, beta: tf.Tensor, eps = 1e-5): T {
  checkNormParams('layerNorm', x.shape, gamma, beta);
  return fusedAvailable() && x.dtype === 'float32' ? layerNormFused(x, gamma, beta, eps) : layerNormReference(x, gamma, beta, eps);
}

/**
 * Queries, keys and values of every head from a fused Linear(C, 3C) whose 3C outputs are laid out head after
 * head as [q_h | k_h | v_h] (3 * D each, D = C / nHead): x (B, T, C), weight (3C, C) as PyTorch stores it,
 * bias (3C) -> q, k, v, each (B, nHead, T, D). The plain way computes x W^T + b and splits it: `qkvHeadsReference`.
 *
 * Here the weight is split instead: viewed as (H, 3, D * C), slice 0, 1 or 2 of the middle axis holds the q, k
 * or v rows of all heads, in head order, so three Linears give the three directly. Same numbers, but it moves
 * 3C x C weights instead of B x T x 3C activations, whose strided split is slow on wasm. (The biases are added
 * apart: the wasm fused matMul accepts only a bias whose own buffer is 1-D.)
 */
export function qkvHeads(x: tf.Tensor3D, weight: tf.Tensor, bias: tf.Tensor, nHead: number): [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D] {
  const [B, T, C] = checkQkv(x, weight, bias, nHead);
  const H = nHead;
  const D = C / H;
  return tf.tidy(() => {
    const w = tf.reshape(weight, [H, 3, D * C]);
    const b = tf.reshape(bias, [H, 3, D]);
    return [0, 1, 2].map((part) => {
      const wPart = tf.reshape(tf.slice(w, [0, part, 0], [H, 1, D * C]), [C, C]) as tf.Tensor2D;
      const bPart = tf.reshape(tf.slice(b, [0, part, 0], [H, 1, D]), [C]);
      const y = tf.reshape(tf.fused.matMul({ a: tf.reshape(x, [B * T, C]) as tf.Tensor2D, b: wPart, transposeB: true }), [B, T, C]);
      return tf.transpose(tf.reshape(tf.add(y, bPart), [B, T, H, D]), [0, 2, 1, 3]) as tf.Tensor4D;
    }) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
  });
}

/** `qkvHeads` as the course writes it: y = x W^T + b, viewed as (B, T, H, 3D), split in three on the last axis. */
export function qkvHeadsReference(x: tf.Tensor3D, weight: tf.Tensor, bias: tf.Tensor, nHead: number): [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D] {
  const [B, T, C] = checkQkv(x, weight, bias, nHead);
  const D = C / nHead;
  return tf.tidy(() => {
    const y = tf.add(tf.matMul(tf.reshape(x, [B * T, C]), weight, false, true), bias);
    const parts = tf.split(tf.reshape(y, [B, T, nHead, 3 * D]), 3, 3);
    return parts.map((p) => tf.transpose(p, [0, 2, 1, 3])) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
  });
}

function checkQkv(x: tf.Tensor3D, weight: tf.Tensor, bias: tf.Tensor, nHead: number): [number, number, number] {
  if (x.rank !== 3) throw new Error(`qkvHeads: x must be (B, T, C), got shape [${x.shape}]`);
  const C = x.shape[2];
  if (!Number.isInteger(nHead) || nHead < 1 || C % nHead !== 0) throw new Error(`qkvHeads: nHead must divide the width ${C}, got ${nHead}`);
  if (weight.rank !== 2 || weight.shape[0] !== 3 * C || weight.shape[1] !== C) throw new Error(`qkvHeads: weight must be [${3 * C}, ${C}], got [${weight.shape}]`);
  if (bias.rank !== 1 || bias.shape[0] !== 3 * C) throw new Error(`qkvHeads: bias must be [${3 * C}], got [${bias.shape}]`);
  return x.shape as [number, number, number];
}

export interface AttentionOptions {
  /**
   * Keys before the first query (decoding with cached keys and values): q holds positions past .. past + T - 1,
   * k and v hold positions 0 .. past + T - 1. Default 0: queries and keys are the same positions.
   */
  past?: number;
  /** Probability of zeroing an attention weight during training (0 = none). */
  dropout?: number;
  /** Seed of the dropout mask; required when dropout is used, so that runs are reproducible. */
  seed?: number;
  /** Dropout is applied only when training is true. */
  training?: boolean;
}

/** Large negative number added to masked scores: exp() of it is exactly 0 in float32, and it is never NaN. */
export const MASKED = -1e9;

/**
 * (T, past + T) additive mask: 0 where key j <= past + i (query i sits at position past + i), MASKED after.
 * Made afresh by each call (a 64 KB upload at T = 128, negligible next to the attention itself) so that no
 * tensor outlives the step.
 */
export function causalMask(T: number, past = 0): tf.Tensor2D {
  const S = past + T;
  const vals = new Float32Array(T * S);
  for (let i = 0; i < T; i++) vals.fill(MASKED, i * S + past + i + 1, (i + 1) * S);
  return tf.tensor2d(vals, [T, S]);
}

/** The number of cached keys before the first query; checks that k and v have past + T positions. */
function checkShapes(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, opts: AttentionOptions): number {
  const past = opts.past ?? 0;
  if (q.rank !== 4) throw new Error(`causalAttention: q must be (B, H, T, D), got shape [${q.shape}]`);
  if (!Number.isInteger(past) || past < 0) throw new Error(`causalAttention: past must be an integer >= 0, got ${opts.past}`);
  const [B, H, T, D] = q.shape;
  const want = [B, H, past + T, D];
  const same = (a: number[]) => a.length === 4 && a.every((x, i) => x === want[i]);
  const cached = past > 0 ? ` and ${past} cached positions` : '';
  if (!same(k.shape)) throw new Error(`causalAttention: k shape [${k.shape}] differs from q shape [${q.shape}]${cached}`);
  if (!same(v.shape)) throw new Error(`causalAttention: v shape [${v.shape}] differs from q shape [${q.shape}]${cached}`);
  return past;
}

/**
 * The attention probabilities of causal attention, softmax(q k^T / sqrt(D) + M), (B, H, T, D) x
 * (B, H, past + T, D) -> (B, H, T, past + T): row i holds the weights query i gives keys 0 .. past + i, zeros
 * after. Plain tf ops: the reference formula (and what a plot of attention shows).
 */
export function causalAttentionWeights(q: tf.Tensor4D, k: tf.Tensor4D, opts: Pick<AttentionOptions, 'past'> = {}): tf.Tensor4D {
  const past = checkShapes(q, k, k, opts);
  const [, , T, D] = q.shape;
  return tf.tidy(() => tf.softmax(tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(D)), causalMask(T, past))) as tf.Tensor4D);
}

/**
 * Causal scaled dot-product attention, the textbook formula in plain tf ops:
 *   y = dropout(softmax(q k^T / sqrt(D) + M)) v,   M[i, j] = 0 if j <= past + i else -inf,
 * on (B, H, T, D) queries and (B, H, past + T, D) keys and values. Differentiable through tf's own gradients.
 * The reference for the fast path.
 */
export function causalAttentionReference(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, opts: AttentionOptions = {}): tf.Tensor4D {
  checkShapes(q, k, v, opts);
  return tf.tidy(() => tf.matMul(applyDropout(causalAttentionWeights(q, k, opts), opts), v) as tf.Tensor4D);
}

function applyDropout(att: tf.Tensor, opts: AttentionOptions): tf.Tensor {
  const rate = opts.dropout ?? 0;
  if (!(rate >= 0 && rate < 1)) throw new Error(`causalAttention: dropout must be in [0, 1), got ${opts.dropout}`);
  if (!opts.training || rate === 0) return att;
  if (opts.seed === undefined) throw new Error('causalAttention: dropout during training needs opts.seed (reproducibility)');
  return dropout(att, rate, opts.seed);
}

/**
 * Inverted dropout, y = x * m / (1 - rate) with m ~ Bernoulli(1 - rate): the same definition as tf.dropout,
 * but with its own seeded mask generator (mulberry32), written straight into the backend's memory. tf.dropout
 * draws its uniforms through a JavaScript PRNG into a new tensor, then compares and casts: 25 ns per element,
 * a second per step at the course's batch; this is ~2-3 ns. Differentiable (the mask is a constant).
 */
export function dropout<T extends tf.Tensor>(x: T, rate: number, seed: number): T {
  if (!(rate >= 0 && rate < 1)) throw new Error(`dropout: rate must be in [0, 1), got ${rate}`);
  if (!Number.isFinite(seed)) throw new Error(`dropout: seed must be a finite number, got ${seed}`);
  if (rate === 0) return x;
  return tf.tidy(() => tf.mul(x, dropoutMask(x.shape, rate, seed))) as T;
}

/** The mask of `dropout`: 0 with probability `rate`, else 1 / (1 - rate). Same seed, same mask. */
export function dropoutMask(shape: readonly number[], rate: number, seed: number): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  if (tf.getBackend() !== 'wasm') return tf.tensor(fillMask(new Float32Array(size), rate, seed), [...shape]);
  // A fresh tensor of our own, filled in place on the wasm heap: no 4-byte-per-element JavaScript copy.
  const mask = tf.zeros([...shape]);
  const backend = tf.backend() as unknown as { typedArrayFromHeap(t: tf.TensorInfo): Float32Array };
  fillMask(backend.typedArrayFromHeap(mask), rate, seed);
  return mask;
}

function fillMask(out: Float32Array, rate: number, seed: number): Float32Array {
  const keep = 1 / (1 - rate);
  const threshold = rate * 4294967296; // keep when a uniform 32-bit draw is at or above rate * 2^32
  let s = Math.floor(seed) | 0;
  for (let i = 0; i < out.length; i++) {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = (t ^ (t >>> 14)) >>> 0 >= threshold ? keep : 0;
  }
  return out;
}

/**
 * Causal self-attention, (B, H, T, D) queries over (B, H, past + T, D) keys and values -> (B, H, T, D). Same
 * values and gradients as `causalAttentionReference`, computed the fastest way known for the active backend.
 */
export function causalAttention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, opts: AttentionOptions = {}): tf.Tensor4D {
  const past = checkShapes(q, k, v, opts);
  const [, , T, D] = q.shape;
  const scale = 1 / Math.sqrt(D);
  return tf.tidy(() => {
    if (past === 0) {
      // Training. The 1/sqrt(D) scale on q (T x D numbers per head) instead of on the scores (T x T): same
      // product, a quarter of the multiplications here and in the gradient at T = 128, D = 32.
      const scores = tf.add(tf.matMul(tf.mul(q, scale), k, false, true), causalMask(T));
      return tf.matMul(applyDropout(tf.softmax(scores), opts), v) as tf.Tensor4D;
    }
    if (T === 1) {
      // Decoding one position: it sees every key, no mask. Broadcast products beat B * H tiny matMuls on wasm.
      const att = applyDropout(tf.softmax(tf.mul(tf.sum(tf.mul(q, k), -1), scale)), opts); // (B, H, past + 1)
      return tf.sum(tf.mul(tf.expandDims(att, 3), v), 2, true) as tf.Tensor4D;
    }
    const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), scale), causalMask(T, past));
    return tf.matMul(applyDropout(tf.softmax(scores), opts), v) as tf.Tensor4D;
  });
}
