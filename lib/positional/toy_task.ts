/**
 * A toy task that needs positions: "output the previous token". Sequences of T random tokens go through one
 * self-attention layer; at every position t >= 1 the model must name the token at t - 1.
 *
 * Without positions the layer is permutation-equivariant, so the output at t can only depend on the token at t
 * and on the bag of tokens around it, never on which one came just before: it can only guess among the tokens
 * present. With position
 * encodings added to the inputs (learned or sinusoidal) the query at t can look for "the position before me".
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/random';
import { LearnedPositionalEncoding } from './learned';
import { sinusoidalTensor } from './sinusoidal';

export type PositionKind = 'none' | 'learned' | 'sinusoidal';

export interface ToyTaskOptions {
  positions: PositionKind;
  seed: number;
  steps?: number; // default 300
  vocab?: number; // default 8
  T?: number; // default 8
  dim?: number; // default 32
  batch?: number; // default 64
  learningRate?: number; // default 0.02
}

export interface ToyTaskResult {
  positions: PositionKind;
  /** Training loss (cross-entropy, nats) at every step. */
  losses: number[];
  /** Accuracy on 1024 fresh sequences after training. */
  accuracy: number;
  /** The learned position table after training (T, dim), for 'learned' only. */
  table?: number[][];
}

/** A batch of random token ids, shape (batch, T), and the targets: the token one step earlier. */
function makeBatch(rng: Rng, batch: number, T: number, vocab: number): { tokens: tf.Tensor2D; targets: tf.Tensor2D } {
  const ids = new Int32Array(batch * T);
  for (let i = 0; i < ids.length; i++) ids[i] = rng.int(0, vocab - 1);
  const prev = new Int32Array(batch * (T - 1));
  for (let b = 0; b < batch; b++) for (let t = 1; t < T; t++) prev[b * (T - 1) + t - 1] = ids[b * T + t - 1];
  return { tokens: tf.tensor2d(ids, [batch, T], 'int32'), targets: tf.tensor2d(prev, [batch, T - 1], 'int32') };
}

export function trainPreviousToken(opts: ToyTaskOptions): ToyTaskResult {
  const steps = opts.steps ?? 300;
  const vocab = opts.vocab ?? 8;
  const T = opts.T ?? 8;
  const d = opts.dim ?? 32;
  const batch = opts.batch ?? 64;
  if (!['none', 'learned', 'sinusoidal'].includes(opts.positions)) throw new Error(`trainPreviousToken: positions must be none, learned or sinusoidal, got ${opts.positions}`);
  if (!Number.isInteger(T) || T < 2) throw new Error(`trainPreviousToken: T must be an integer >= 2, got ${T}`);
  const rng = new Rng(opts.seed);
  const init = (rows: number, cols: number, std: number): tf.Variable => {
    const t = tf.tensor2d(rng.normals(rows * cols, 0, std), [rows, cols]);
    const v = tf.variable(t);
    t.dispose();
    return v;
  };
  const embed = init(vocab, d, 1);
  const wq = init(d, d, 1 / Math.sqrt(d));
  const wk = init(d, d, 1 / Math.sqrt(d));
  const wv = init(d, d, 1 / Math.sqrt(d));
  const wout = init(d, vocab, 1 / Math.sqrt(d));
  const learned = opts.positions === 'learned' ? new LearnedPositionalEncoding(T, d, rng.nextUint32(), 1) : undefined;
  const fixed = opts.positions === 'sinusoidal' ? sinusoidalTensor(T, d) : undefined;

  /** Logits for positions 1..T-1, shape (batch * (T-1), vocab). */
  const forward = (tokens: tf.Tensor2D): tf.Tensor2D => {
    const n = tokens.shape[0];
    let x = tf.gather(embed, tokens) as tf.Tensor3D; // (n, T, d)
    if (learned) x = learned.apply(x);
    if (fixed) x = x.add(fixed);
    const flat = x.reshape([n * T, d]);
    const q = flat.matMul(wq).reshape([n, T, d]);
    const k = flat.matMul(wk).reshape([n, T, d]);
    const v = flat.matMul(wv).reshape([n, T, d]);
    const att = tf.softmax(tf.matMul(q, k, false, true).div(Math.sqrt(d)));
    const z = tf.matMul(att, v).slice([0, 1, 0], [n, T - 1, d]);
    return z.reshape([n * (T - 1), d]).matMul(wout) as tf.Tensor2D;
  };

  const optimizer = tf.train.adam(opts.learningRate ?? 0.02);
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    const { tokens, targets } = makeBatch(rng, batch, T, vocab);
    // minimize runs the loss under a gradient tape that frees its intermediates; only the loss comes back.
    const loss = optimizer.minimize(() => {
      const labels = tf.oneHot(targets.reshape([-1]) as tf.Tensor1D, vocab);
      return tf.losses.softmaxCrossEntropy(labels, forward(tokens)) as tf.Scalar;
    }, true);
    losses.push(loss ? loss.dataSync()[0] : NaN);
    tf.dispose(loss ? [tokens, targets, loss] : [tokens, targets]);
  }

  const test = makeBatch(rng, 1024, T, vocab);
  const accuracy = tf.tidy(() => forward(test.tokens).argMax(1).equal(test.targets.reshape([-1])).mean().dataSync()[0]);
  const table = learned ? (learned.table.arraySync() as number[][]) : undefined;
  tf.dispose([test.tokens, test.targets, embed, wq, wk, wv, wout]);
  learned?.dispose();
  fixed?.dispose();
  optimizer.dispose();
  return { positions: opts.positions, losses, accuracy, table };
}
