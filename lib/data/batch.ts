/**
 * Stacking examples into one batch of flat Int32Arrays, row-major [batchSize, time], ready for
 * `tf.tensor2d(batch.x, [batch.batchSize, batch.time], 'int32')`.
 *
 * trimPad: finetuning examples are mostly PAD (a 30-character question in a 128 block). Columns at the end
 * where every row's target is PAD carry no loss, and a causal model's outputs at earlier positions never
 * look at later inputs, so dropping those columns leaves the loss and its gradients exactly unchanged
 * while saving up to 70% of the work. (Not valid for a model that attends to future positions.)
 */
import type { Example } from './name_dataset';

export interface Batch {
  /** Input ids, batchSize * time, row-major. */
  x: Int32Array;
  /** Target ids, same layout; PAD (0) targets carry no loss. */
  y: Int32Array;
  batchSize: number;
  /** Columns per row (block_size - 1, or fewer after trimPad). */
  time: number;
  /** Columns before all-PAD columns were trimmed (the learning-rate schedule counts these); defaults to `time`. */
  paddedTime?: number;
  /** Number of targets that are not PAD: the tokens the loss is averaged over. */
  usefulTokens: number;
}

const PAD_ID = 0;

export function collate(examples: readonly Example[], opts: { trimPad?: boolean } = {}): Batch {
  if (examples.length === 0) throw new Error('collate: no examples');
  const width = examples[0].x.length;
  examples.forEach((ex, i) => {
    if (ex.x.length !== width || ex.y.length !== width) {
      throw new Error(`collate: example ${i} has x/y lengths ${ex.x.length}/${ex.y.length}, expected ${width} like example 0`);
    }
  });
  // The last column holding a real target in any row; everything after it can go.
  let lastUseful = -1;
  let usefulTokens = 0;
  for (const ex of examples) {
    for (let t = 0; t < width; t++) {
      if (ex.y[t] !== PAD_ID) {
        usefulTokens++;
        if (t > lastUseful) lastUseful = t;
      }
    }
  }
  const time = opts.trimPad ? Math.max(1, lastUseful + 1) : width;
  const batchSize = examples.length;
  const x = new Int32Array(batchSize * time);
  const y = new Int32Array(batchSize * time);
  examples.forEach((ex, b) => {
    x.set(ex.x.subarray(0, time), b * time);
    y.set(ex.y.subarray(0, time), b * time);
  });
  return { x, y, batchSize, time, usefulTokens };
}
