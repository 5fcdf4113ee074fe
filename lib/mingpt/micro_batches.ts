/**
 * A large batch as several small ones (micro-batches), with the same loss and gradients.
 *
 * The course's pretraining batch (128 rows of 128 positions) does not fit tfjs's eager tape on wasm: every
 * intermediate of the forward pass is kept for the backward pass, and at batch 128 that passes the 4 GB wasm
 * heap. Splitting the batch into micro-batches and adding their gradients is exact when each part is
 * weighted by its share of the loss. The loss is a mean over the non-PAD targets of the whole batch,
 *   L = (1/N) sum_i l_i = sum_m (n_m / N) L_m,   L_m the mean over the n_m targets of micro-batch m,
 * so grad L = sum_m (n_m / N) grad L_m.
 *
 * Sorting the rows by length before splitting (bucketing inside the batch) lets every micro-batch drop its
 * own trailing PAD columns: short rows stop paying for the longest one. The batch's loss is a sum over
 * rows, so neither the order nor the grouping changes it. `splitByLength` makes the parts and
 * `sumWeightedGrads` adds up their weighted losses and gradients; the trainer calls it for its micro-batches,
 * and the helper thread of `parallel.ts` for its share of them.
 */
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../data/batch';

const PAD = 0;

/** Number of leading target columns a row needs: one past its last non-PAD target (0 for an all-PAD row). */
function rowLength(y: Int32Array, row: number, time: number): number {
  for (let t = time - 1; t >= 0; t--) if (y[row * time + t] !== PAD) return t + 1;
  return 0;
}

/**
 * Splits a batch into micro-batches of at most `microSize` rows, rows sorted by length (longest first) and
 * each micro-batch cut after its own last non-PAD target column.
 */
export function splitByLength(batch: Batch, microSize: number): Batch[] {
  if (!Number.isInteger(microSize) || microSize < 1) throw new Error(`splitByLength: microSize must be a positive integer, got ${microSize}`);
  const { x, y, batchSize: B, time: T } = batch;
  if (x.length !== B * T || y.length !== B * T) throw new Error(`splitByLength: x and y must hold batchSize * time = ${B * T} ids, got ${x.length} and ${y.length}`);
  const lengths = Array.from({ length: B }, (_, r) => rowLength(y, r, T));
  const order = [...lengths.keys()].sort((a, b) => lengths[b] - lengths[a] || a - b);
  const out: Batch[] = [];
  for (let start = 0; start < B; start += microSize) {
    const rows = order.slice(start, start + microSize);
    const time = Math.max(1, lengths[rows[0]]);
    const mx = new Int32Array(rows.length * time), my = new Int32Array(rows.length * time);
    let useful = 0;
    rows.forEach((r, i) => {
      mx.set(x.subarray(r * T, r * T + time), i * time);
      my.set(y.subarray(r * T, r * T + time), i * time);
      for (let t = 0; t < time; t++) if (my[i * time + t] !== PAD) useful++;
    });
    out.push({ x: mx, y: my, batchSize: rows.length, time, usefulTokens: useful });
  }
  return out;
}

/** One micro-batch: token ids [batchSize, time], its share of the batch's loss, and its dropout seed. */
export interface WeightedPart extends Pick<Batch, 'x' | 'y' | 'batchSize' | 'time'> {
  weight: number;
  seed: number;
}

/** What a model must offer: its parameters and a mean loss over the non-PAD targets. */
export interface LossModel {
  readonly params: ReadonlyMap<string, tf.Variable>;
  loss(idx: tf.Tensor2D, targets: tf.Tensor2D, opts: { training: boolean; seed: number }): tf.Scalar;
}

/**
 * sum_p weight_p * loss_p and, for every parameter name, sum_p weight_p * grad_p (parts in order). The result
 * tensors are the caller's to dispose; everything else is freed part by part.
 */
export function sumWeightedGrads(model: LossModel, parts: readonly WeightedPart[]): { loss: tf.Scalar; grads: Record<string, tf.Tensor> } {
  const entries = [...model.params.entries()];
  const vars = entries.map(([, v]) => v);
  let loss: tf.Scalar = tf.scalar(0);
  let sum: Record<string, tf.Tensor> = {};
  for (const part of parts) {
    const next = tf.tidy(() => {
      const x = tf.tensor2d(part.x, [part.batchSize, part.time], 'int32');
      const y = tf.tensor2d(part.y, [part.batchSize, part.time], 'int32');
      const { value, grads } = tf.variableGrads(() => tf.mul(model.loss(x, y, { training: true, seed: part.seed }), part.weight) as tf.Scalar, vars);
      const added: Record<string, tf.Tensor> = {};
      for (const [name, v] of entries) {
        const g = grads[v.name];
        if (g) added[name] = sum[name] ? tf.add(sum[name], g) : g;
      }
      return { loss: tf.add(loss, value) as tf.Scalar, grads: added };
    });
    tf.dispose([loss, ...Object.values(sum)]);
    loss = next.loss;
    sum = next.grads;
  }
  return { loss, grads: sum };
}
