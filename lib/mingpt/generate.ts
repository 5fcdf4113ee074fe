/**
 * Greedy decoding: append the most likely next character, `steps` times (minGPT's sample(..., sample=False)).
 * When the text grows past blockSize, the model sees only its last blockSize characters, as in minGPT.
 *
 * Two paths give the same ids:
 * - uncached (the reference): each step runs the whole (cropped) sequence through the model again;
 * - cached: a key/value cache keeps every layer's keys and values, so each step runs one position.
 *   Prompts are sorted by length and batched; a batch advances in lockstep, one position per step, and a
 *   row whose prompt is longer than the current position is fed its own next prompt character instead of a
 *   prediction. Rows never see each other (attention is within a row), so no padding and no masks are
 *   needed, and each row's result is what it would be alone. Two savings on top: ids that every prompt of a
 *   batch starts with ("Where was ") run once and their cache is copied to each row, and rows that are done
 *   leave the batch. Past blockSize the cache no longer applies (positions shift as the window slides), and
 *   those steps recompute the window, as the uncached path does.
 */
import * as tf from '@tensorflow/tfjs';
import { GPT, KVCache } from './model';

export interface DecodeOptions {
  /** Use the key/value cache (default true). */
  useCache?: boolean;
  /** Prompts decoded together (default 256: on wasm, 500 dev questions in 2 batches of 256 took 13.2 s against 16.6 s in 4 of 128; the course model's KV cache for 256 rows is about 270 MB). */
  batchSize?: number;
  /**
   * End each row at the first generated id equal to this one (included): such rows hold fewer than `steps`
   * new ids, but everything up to the stop id is what a full decode gives (later ids cannot change earlier ones).
   */
  stopAt?: number;
  /** Called after each batch with the number of prompts finished so far. */
  onProgress?: (done: number, total: number) => void;
}

const DEFAULT_BATCH = 256;

/** Returns, for each prompt, the prompt followed by the generated ids. */
export function greedyDecode(model: GPT, prompts: number[][], steps: number, opts: DecodeOptions = {}): number[][] {
  const batchSize = opts.batchSize ?? DEFAULT_BATCH;
  if (!Number.isInteger(steps) || steps < 0) throw new Error(`greedyDecode: steps must be a non-negative integer, got ${steps}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`greedyDecode: batchSize must be a positive integer, got ${batchSize}`);
  const V = model.config.vocabSize;
  prompts.forEach((p, i) => {
    if (p.length === 0) throw new Error(`greedyDecode: prompt ${i} is empty`);
    const bad = p.findIndex((id) => !Number.isInteger(id) || id < 0 || id >= V);
    if (bad >= 0) throw new Error(`greedyDecode: prompt ${i} has id ${p[bad]} at position ${bad}, outside [0, ${V})`);
  });
  // Batches of prompts of similar (uncached: equal) length.
  const order = prompts.map((_, i) => i).sort((a, b) => prompts[a].length - prompts[b].length || a - b);
  const batches: number[][] = [];
  for (const i of order) {
    const cur = batches[batches.length - 1];
    const fits = cur && cur.length < batchSize && (opts.useCache !== false || prompts[cur[0]].length === prompts[i].length);
    if (fits) cur.push(i);
    else batches.push([i]);
  }
  const out: number[][] = new Array(prompts.length);
  let done = 0;
  for (const batch of batches) {
    const seqs = batch.map((i) => prompts[i].slice());
    if (opts.useCache === false) decodeUncached(model, seqs, steps, opts.stopAt);
    else decodeCached(model, seqs, steps, opts.stopAt);
    batch.forEach((i, r) => (out[i] = seqs[r]));
    done += batch.length;
    opts.onProgress?.(done, prompts.length);
  }
  return out;
}

/** Index of the largest value in each row of a (B, V) tensor, disposed here. */
function argmaxRows(logits: tf.Tensor2D): Int32Array {
  const ids = tf.tidy(() => tf.argMax(logits, 1));
  const values = ids.dataSync() as Int32Array;
  ids.dispose();
  logits.dispose();
  return values;
}

/** Logits of the last position of the window tokens[t0 .. t] of each row, without a cache. */
function windowLogits(model: GPT, seqs: number[][], t0: number, t: number): tf.Tensor2D {
  const B = seqs.length;
  const T = t - t0 + 1;
  const ids = new Int32Array(B * T);
  seqs.forEach((s, r) => ids.set(s.slice(t0, t + 1), r * T));
  return tf.tidy(() => {
    const logits = model.logits(tf.tensor2d(ids, [B, T], 'int32'));
    return tf.reshape(tf.slice(logits, [0, T - 1, 0], [B, 1, -1]), [B, -1]) as tf.Tensor2D;
  });
}

/** minGPT's loop, rows of equal length: crop to the last blockSize ids, run the model, append the argmax. */
function decodeUncached(model: GPT, seqs: number[][], steps: number, stopAt: number | undefined): void {
  const prompt = seqs.map((s) => s.length);
  const stopped = seqs.map(() => false);
  for (let s = 0; s < steps && !stopped.every(Boolean); s++) {
    const t = seqs[0].length - 1;
    const next = argmaxRows(windowLogits(model, seqs, Math.max(0, t + 1 - model.config.blockSize), t));
    seqs.forEach((seq, r) => {
      seq.push(next[r]);
      if (next[r] === stopAt) stopped[r] = true;
    });
  }
  // Rows that stopped early kept stepping with the others: cut each just after its first generated stop id.
  if (stopAt === undefined) return;
  seqs.forEach((seq, r) => {
    const at = seq.indexOf(stopAt, prompt[r]);
    if (at >= 0) seq.length = at + 1;
  });
}

function disposeCache(cache: KVCache | undefined): void {
  if (!cache) return;
  tf.dispose(cache.keys);
  tf.dispose(cache.values);
}

/**
 * Every question starts with "Where was ": when all rows share their first ids, run those once, for one row,
 * and copy its keys and values to every row. At most `limit` ids, so that the first step still has one to feed.
 */
function sharedPrefixCache(model: GPT, seqs: number[][], limit: number): KVCache | undefined {
  let n = 0;
  while (n < limit && seqs.every((s) => s[n] === seqs[0][n])) n++;
  if (n === 0 || seqs.length === 1) return undefined;
  const idx = tf.tensor2d([seqs[0].slice(0, n)], [1, n], 'int32');
  const one = model.forwardWithCache(idx, undefined);
  const B = seqs.length;
  const tile = (t: tf.Tensor4D) => tf.tile(t, [B, 1, 1, 1]) as tf.Tensor4D;
  const cache = { keys: one.cache.keys.map(tile), values: one.cache.values.map(tile), length: n };
  tf.dispose([idx, one.logits]);
  disposeCache(one.cache);
  return cache;
}

/** The cache of the given batch rows only (finished rows dropped), disposing the old one. */
function keepRows(cache: KVCache, rows: number[]): KVCache {
  const index = tf.tensor1d(rows, 'int32');
  const pick = (t: tf.Tensor4D) => tf.gather(t, index) as tf.Tensor4D;
  const kept = { keys: cache.keys.map(pick), values: cache.values.map(pick), length: cache.length };
  index.dispose();
  disposeCache(cache);
  return kept;
}

function decodeCached(model: GPT, seqs: number[][], steps: number, stopAt: number | undefined): void {
  const { blockSize } = model.config;
  const promptLen = seqs.map((s) => s.length);
  const target = promptLen.map((n) => n + steps);
  const stopped = seqs.map(() => steps === 0);
  const minLen = Math.min(...promptLen);
  // rows[i] = the sequence that batch row i (of the ids fed and of the cache) belongs to.
  let rows = seqs.map((_, r) => r);
  let cache: KVCache | undefined;
  try {
    if (minLen <= blockSize) cache = sharedPrefixCache(model, seqs, minLen - 1);
    // At step t we know ids 0..t of every row and want the logits at position t.
    for (let t = minLen - 1; !stopped.every(Boolean); t++) {
      // Once a quarter of the rows are done, drop them: each step then costs only the rows still writing.
      const live = rows.filter((r) => !stopped[r]);
      if (live.length <= 0.75 * rows.length) {
        if (cache) cache = keepRows(cache, rows.flatMap((r, i) => (stopped[r] ? [] : [i])));
        rows = live;
      }
      const B = rows.length;
      let logits: tf.Tensor2D;
      if (t + 1 <= blockSize) {
        const from = cache ? cache.length : 0; // the positions not in the cache yet: several at first, then one
        const T = t - from + 1;
        const ids = new Int32Array(B * T);
        // A row that already finished is fed 0: its outputs are ignored and never reach other rows.
        rows.forEach((r, i) => {
          for (let j = 0; j < T; j++) ids[i * T + j] = seqs[r][from + j] ?? 0;
        });
        ({ cache, logits } = extendCache(model, ids, [B, T], cache));
      } else {
        // The window slides: every position moves, so the cache is stale; recompute the last blockSize ids.
        disposeCache(cache);
        cache = undefined;
        const pad = rows.map((r) => (seqs[r].length > t ? seqs[r] : [...seqs[r], ...new Array<number>(t + 1 - seqs[r].length).fill(0)]));
        logits = windowLogits(model, pad, t + 1 - blockSize, t);
      }
      const next = argmaxRows(logits);
      rows.forEach((r, i) => {
        // Row r takes a prediction when position t + 1 is past its prompt and it is not done.
        const seq = seqs[r];
        if (stopped[r] || seq.length !== t + 1) return;
        seq.push(next[i]);
        if (seq.length >= target[r] || next[i] === stopAt) stopped[r] = true;
      });
    }
  } finally {
    disposeCache(cache);
  }
}

/**
 * Runs the positions not yet in `cache` (ids of shape [B, T]) and returns their last logits with the cache grown by
 * them; the cache passed in is disposed.
 */
function extendCache(model: GPT, ids: Int32Array, shape: [number, number], cache: KVCache | undefined): { cache: KVCache; logits: tf.Tensor2D } {
  const idx = tf.tensor2d(ids, shape, 'int32');
  const result = model.forwardWithCache(idx, cache);
  idx.dispose();
  disposeCache(cache);
  return { cache: result.cache, logits: result.logits };
}

/** One step of `greedySteps`: the id chosen and the distribution it was chosen from. */
export interface DecodeStep {
  /** The most likely next id (ties: the lowest id, as tf.argMax). */
  id: number;
  /** softmax of the logits at this step, vocabSize probabilities. */
  probs: Float32Array;
}

/**
 * Greedy decoding of one prompt, one step at a time, each step with its whole distribution: what an interactive
 * page shows while the answer appears. The ids are those of `greedyDecode` for the same prompt (the same cached
 * path, one row): the prompt runs once, then one position per step; past blockSize the window is recomputed.
 * Stops after `steps` ids, or after the first id equal to `stopAt`. Leaving the loop early disposes the cache.
 */
export function* greedySteps(model: GPT, prompt: readonly number[], steps: number, opts: { stopAt?: number } = {}): Generator<DecodeStep, void, void> {
  const { blockSize, vocabSize: V } = model.config;
  if (prompt.length === 0) throw new Error('greedySteps: the prompt is empty');
  const bad = prompt.findIndex((id) => !Number.isInteger(id) || id < 0 || id >= V);
  if (bad >= 0) throw new Error(`greedySteps: the prompt has id ${prompt[bad]} at position ${bad}, outside [0, ${V})`);
  const seq = prompt.slice();
  let cache: KVCache | undefined;
  try {
    for (let s = 0; s < steps; s++) {
      let logits: tf.Tensor2D;
      if (seq.length <= blockSize) {
        const from = cache ? cache.length : 0;
        ({ cache, logits } = extendCache(model, Int32Array.from(seq.slice(from)), [1, seq.length - from], cache));
      } else {
        disposeCache(cache);
        cache = undefined;
        logits = windowLogits(model, [seq], seq.length - blockSize, seq.length - 1);
      }
      const softmax = tf.softmax(logits);
      const probs = (softmax.dataSync() as Float32Array).slice();
      softmax.dispose();
      const id = argmaxRows(logits)[0]; // disposes logits
      seq.push(id);
      yield { id, probs };
      if (id === opts.stopAt) return;
    }
  } finally {
    disposeCache(cache);
  }
}
