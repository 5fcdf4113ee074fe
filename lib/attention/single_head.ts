/**
 * Single-head attention of one query over n keys and values:
 *   scores s_i = k_i . q,  weights alpha = softmax(s),  output c = sum_i alpha_i v_i.
 * (No 1/sqrt(d) scaling here: the derivations put all the scale into the query.)
 */
import { Vec, dot, softmax, weightedSum } from './vector';

export interface AttentionResult {
  /** k_i . q for each key. */
  scores: Vec;
  /** softmax of the scores: non-negative, summing to 1. */
  weights: Vec;
  /** c = sum_i weights_i v_i. */
  output: Vec;
}

/** Checks that keys and values pair up and that every key has the query's dimension. */
export function checkKeysValues(q: readonly number[], keys: readonly (readonly number[])[], values: readonly (readonly number[])[], where: string): void {
  if (keys.length === 0) throw new Error(`${where}: expected at least one key, got none`);
  if (keys.length !== values.length) throw new Error(`${where}: ${keys.length} keys but ${values.length} values (expected one value per key)`);
  keys.forEach((k, i) => {
    if (k.length !== q.length) throw new Error(`${where}: key ${i} has dimension ${k.length}, expected the query's dimension ${q.length}`);
  });
  values.forEach((v, i) => {
    if (v.length !== values[0].length) throw new Error(`${where}: value ${i} has dimension ${v.length}, value 0 has ${values[0].length}`);
  });
}

export function singleHeadAttention(q: readonly number[], keys: readonly (readonly number[])[], values: readonly (readonly number[])[]): AttentionResult {
  checkKeysValues(q, keys, values, 'singleHeadAttention');
  // BEGIN SOLUTION single-head attention
  const scores = keys.map((k) => dot(k, q));
  const weights = softmax(scores);
  return { scores, weights, output: weightedSum(weights, values) };
  // END SOLUTION
}
