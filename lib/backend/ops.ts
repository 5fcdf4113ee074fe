/**
 * Operations whose fast implementation depends on the backend. Model code calls these and stays readable;
 * the speed tricks live here (and in `lib/backend`), each proven equal to the plain version by a test.
 */
import * as tf from '@tensorflow/tfjs';

export interface AttentionOptions {
  /** Probability of zeroing an attention weight during training (0 = none). */
  dropout?: number;
  /** Seed of the dropout mask; required when dropout is used, so that runs are reproducible. */
  seed?: number;
  /** Dropout is applied only when training is true. */
  training?: boolean;
}

/** Large negative number added to masked scores: exp() of it is exactly 0 in float32, and it is never NaN. */
const MASKED = -1e9;

const maskCache = new Map<number, tf.Tensor2D>();

/** (T, T) additive mask: 0 where key j <= query i, MASKED above the diagonal. Kept for the process lifetime. */
export function causalMask(T: number): tf.Tensor2D {
  let m = maskCache.get(T);
  if (!m || m.isDisposed) {
    const vals = new Float32Array(T * T);
    for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) vals[i * T + j] = MASKED;
    m = tf.keep(tf.tensor2d(vals, [T, T]));
    maskCache.set(T, m);
  }
  return m;
}

function checkShapes(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D): void {
  const same = (a: number[], b: number[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  if (q.rank !== 4) throw new Error(`causalAttention: q must be (B, H, T, D), got shape [${q.shape}]`);
  if (!same(q.shape, k.shape)) throw new Error(`causalAttention: k shape [${k.shape}] differs from q shape [${q.shape}]`);
  if (!same(q.shape, v.shape)) throw new Error(`causalAttention: v shape [${v.shape}] differs from q shape [${q.shape}]`);
}

/**
 * Causal scaled dot-product attention, the textbook formula in plain tf ops:
 *   y = dropout(softmax(q k^T / sqrt(D) + M)) v,   M[i, j] = 0 if j <= i else -inf,
 * on (B, H, T, D) tensors. Differentiable through tf's own gradients. The reference for the fast path.
 */
export function causalAttentionReference(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, opts: AttentionOptions = {}): tf.Tensor4D {
  checkShapes(q, k, v);
  const [, , T, D] = q.shape;
  return tf.tidy(() => {
    const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(D)), causalMask(T));
    let att: tf.Tensor = tf.softmax(scores);
    att = applyDropout(att, opts);
    return tf.matMul(att, v) as tf.Tensor4D;
  });
}

function applyDropout(att: tf.Tensor, opts: AttentionOptions): tf.Tensor {
  const rate = opts.dropout ?? 0;
  if (!(rate >= 0 && rate < 1)) throw new Error(`causalAttention: dropout must be in [0, 1), got ${opts.dropout}`);
  if (!opts.training || rate === 0) return att;
  if (opts.seed === undefined) throw new Error('causalAttention: dropout during training needs opts.seed (reproducibility)');
  return tf.dropout(att, rate, undefined, opts.seed);
}

/**
 * Causal self-attention, (B, H, T, D) -> (B, H, T, D). Same values and gradients as
 * `causalAttentionReference`, computed the fastest way known for the active backend.
 */
export function causalAttention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, opts: AttentionOptions = {}): tf.Tensor4D {
  return causalAttentionReference(q, k, v, opts);
}
