/**
 * Multi-head attention for one query, two ways.
 *
 * `multiHeadAttention`: the usual split. The query, every key and every value of dimension d are cut into h
 * consecutive pieces of d/h; head j attends with the j-th piece of the query over the j-th pieces of the keys
 * and values, and the head outputs are concatenated back to dimension d. (A real layer also projects each piece
 * with learned matrices; here the projections are the identity so that the arithmetic stays visible.)
 *
 * `averagedHeads`: the construction of the derivations. Each head has its own query over the same keys and
 * values, and the output is the average of the head outputs, c = (1/h) sum_j c_j.
 */
import { AttentionResult, checkKeysValues, singleHeadAttention } from './single_head';
import { Vec, scale, weightedSum } from './vector';

export interface MultiHeadResult {
  heads: AttentionResult[];
  output: Vec;
}

/** Cuts v into numHeads consecutive pieces of equal length. */
export function splitHeads(v: readonly number[], numHeads: number): Vec[] {
  if (!Number.isInteger(numHeads) || numHeads <= 0) throw new Error(`splitHeads: numHeads must be a positive integer, got ${numHeads}`);
  if (v.length % numHeads !== 0) throw new Error(`splitHeads: dimension ${v.length} is not divisible by numHeads=${numHeads}`);
  const size = v.length / numHeads;
  return Array.from({ length: numHeads }, (_, j) => v.slice(j * size, (j + 1) * size));
}

export function multiHeadAttention(q: readonly number[], keys: readonly (readonly number[])[], values: readonly (readonly number[])[], numHeads: number): MultiHeadResult {
  checkKeysValues(q, keys, values, 'multiHeadAttention');
  if (values[0].length % numHeads !== 0) throw new Error(`multiHeadAttention: value dimension ${values[0].length} is not divisible by numHeads=${numHeads}`);
  const qHeads = splitHeads(q, numHeads);
  const kHeads = keys.map((k) => splitHeads(k, numHeads));
  const vHeads = values.map((v) => splitHeads(v, numHeads));
  // BEGIN SOLUTION multi-head attention
  const heads = qHeads.map((qj, j) =>
    singleHeadAttention(
      qj,
      kHeads.map((k) => k[j]),
      vHeads.map((v) => v[j]),
    ),
  );
  return { heads, output: heads.flatMap((h) => h.output) };
  // END SOLUTION
}

export function averagedHeads(queries: readonly (readonly number[])[], keys: readonly (readonly number[])[], values: readonly (readonly number[])[]): MultiHeadResult {
  if (queries.length === 0) throw new Error('averagedHeads: expected at least one query (one per head), got none');
  queries.forEach((q, j) => checkKeysValues(q, keys, values, `averagedHeads (head ${j})`));
  // BEGIN SOLUTION multi-head attention
  const heads = queries.map((q) => singleHeadAttention(q, keys, values));
  const ones = heads.map(() => 1);
  return { heads, output: scale(weightedSum(ones, heads.map((h) => h.output)), 1 / heads.length) };
  // END SOLUTION
}
