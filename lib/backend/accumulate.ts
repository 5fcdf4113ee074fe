/**
 * A large batch as several small ones, with the same loss and gradients.
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
 * rows, so neither the order nor the grouping changes it. The weighted sum itself is `sumWeightedGrads`
 * (lib/mingpt/grads.ts), which the trainer and its helper thread both call.
 */
export interface TokenBatch {
  x: Int32Array;
  y: Int32Array;
  batchSize: number;
  time: number;
  usefulTokens: number;
}

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
export function splitByLength(batch: TokenBatch, microSize: number): TokenBatch[] {
  if (!Number.isInteger(microSize) || microSize < 1) throw new Error(`splitByLength: microSize must be a positive integer, got ${microSize}`);
  const { x, y, batchSize: B, time: T } = batch;
  if (x.length !== B * T || y.length !== B * T) throw new Error(`splitByLength: x and y must hold batchSize * time = ${B * T} ids, got ${x.length} and ${y.length}`);
  const lengths = Array.from({ length: B }, (_, r) => rowLength(y, r, T));
  const order = [...lengths.keys()].sort((a, b) => lengths[b] - lengths[a] || a - b);
  const out: TokenBatch[] = [];
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
