/**
 * The gradient of a batch given as weighted parts: sum over parts of weight * (loss, gradient) of the part.
 * The trainer calls it for its micro-batches, and the helper thread of `parallel.ts` for its share of them.
 */
import * as tf from '@tensorflow/tfjs';

/** One micro-batch: token ids [batchSize, time], its share of the batch's loss, and its dropout seed. */
export interface WeightedPart {
  x: Int32Array;
  y: Int32Array;
  batchSize: number;
  time: number;
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
