/**
 * Self-attention over a whole sequence X (T rows, one per token), as tensors:
 *   Q = X W_q,  K = X W_k,  V = X W_v,  Z = softmax(Q K^T / sqrt(d_k)) V.
 *
 * Nothing in this formula knows where a row sits in X. Reorder the rows with a permutation matrix P and every
 * score is reordered the same way, so Z(P X) = P Z(X): self-attention without positions is
 * permutation-equivariant, and "the cat sat on the mat" gives each word the same output as "on the mat sat the
 * cat". Adding a position vector to each row (X + E, E fixed by position) breaks this.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/random';
import { norm, sub } from './vector';

export interface SelfAttentionWeights {
  query: tf.Tensor2D; // (d, d_k)
  key: tf.Tensor2D; // (d, d_k)
  value: tf.Tensor2D; // (d, d_v)
}

/** Random projections, N(0, 1/d) entries, drawn from a seeded Rng. */
export function initSelfAttention(d: number, dk: number, seed: number, dv = dk): SelfAttentionWeights {
  for (const [name, v] of [['d', d], ['dk', dk], ['dv', dv]] as const) {
    if (!Number.isInteger(v) || v <= 0) throw new Error(`initSelfAttention: ${name} must be a positive integer, got ${v}`);
  }
  const rng = new Rng(seed);
  const std = 1 / Math.sqrt(d);
  return {
    query: tf.tensor2d(rng.normals(d * dk, 0, std), [d, dk]),
    key: tf.tensor2d(rng.normals(d * dk, 0, std), [d, dk]),
    value: tf.tensor2d(rng.normals(d * dv, 0, std), [d, dv]),
  };
}

export function disposeSelfAttention(w: SelfAttentionWeights): void {
  tf.dispose([w.query, w.key, w.value]);
}

function checkSequence(X: tf.Tensor, w: SelfAttentionWeights, where: string): void {
  if (X.rank !== 2) throw new Error(`${where}: expected X of shape (time, d), got shape [${X.shape.join(', ')}]`);
  if (X.shape[1] !== w.query.shape[0]) throw new Error(`${where}: X has d=${X.shape[1]} but the weights expect d=${w.query.shape[0]}`);
}

export function selfAttention(X: tf.Tensor2D, w: SelfAttentionWeights): tf.Tensor2D {
  checkSequence(X, w, 'selfAttention');
  // BEGIN SOLUTION permutation equivariance
  return tf.tidy(() => {
    const Q = X.matMul(w.query);
    const K = X.matMul(w.key);
    const V = X.matMul(w.value);
    const scores = Q.matMul(K.transpose()).div(Math.sqrt(w.key.shape[1]));
    return tf.softmax(scores).matMul(V) as tf.Tensor2D;
  });
  // END SOLUTION
}

/** Checks that perm is a permutation of 0..n-1, with an error that says what is wrong. */
export function checkPermutation(perm: readonly number[], n: number, where: string): void {
  if (perm.length !== n) throw new Error(`${where}: permutation has length ${perm.length}, expected ${n} (one entry per row)`);
  const seen = new Array<boolean>(n).fill(false);
  perm.forEach((p) => {
    if (!Number.isInteger(p) || p < 0 || p >= n) throw new Error(`${where}: permutation entry ${p} is not a row index in [0, ${n - 1}]`);
    if (seen[p]) throw new Error(`${where}: permutation repeats ${p}`);
    seen[p] = true;
  });
}

/** The permutation matrix P with (P X)[i] = X[perm[i]]: P[i][perm[i]] = 1. */
export function permutationMatrix(perm: readonly number[]): tf.Tensor2D {
  checkPermutation(perm, perm.length, 'permutationMatrix');
  const n = perm.length;
  const data = new Float32Array(n * n);
  perm.forEach((p, i) => (data[i * n + p] = 1));
  return tf.tensor2d(data, [n, n]);
}

export interface PermutationCheck {
  /** max |Z(P X + E) - P Z(X + E)| : 0 (to float precision) when self-attention is equivariant. */
  maxDifference: number;
}

/**
 * Compares attention on permuted input with the permuted attention output. With `positions` E (T, d), the
 * same E is added in both cases (position t gets E[t] whatever token sits there), which breaks the symmetry.
 */
export function permutationCheck(X: tf.Tensor2D, w: SelfAttentionWeights, perm: readonly number[], positions?: tf.Tensor2D): PermutationCheck {
  checkSequence(X, w, 'permutationCheck');
  checkPermutation(perm, X.shape[0], 'permutationCheck');
  if (positions && (positions.shape[0] !== X.shape[0] || positions.shape[1] !== X.shape[1])) {
    throw new Error(`permutationCheck: positions have shape [${positions.shape.join(', ')}], expected [${X.shape.join(', ')}] like X`);
  }
  const diff = tf.tidy(() => {
    const P = permutationMatrix(perm);
    const withPositions = (A: tf.Tensor2D): tf.Tensor2D => (positions ? A.add(positions) : A);
    const zOfPermuted = selfAttention(withPositions(P.matMul(X) as tf.Tensor2D), w);
    const permutedZ = P.matMul(selfAttention(withPositions(X), w));
    return zOfPermuted.sub(permutedZ).abs().max();
  });
  const maxDifference = diff.dataSync()[0];
  diff.dispose();
  return { maxDifference };
}

/** Toy word embeddings: one seeded N(0, 1) vector per distinct word (lower-cased). */
export function toyWordEmbeddings(words: readonly string[], d: number, seed: number): Map<string, number[]> {
  const rng = new Rng(seed);
  const table = new Map<string, number[]>();
  for (const w of words.map((x) => x.toLowerCase())) if (!table.has(w)) table.set(w, Array.from(rng.normals(d)));
  return table;
}

/** The rows of X for a sentence: the embedding of each word, in order. */
export function embedSentence(words: readonly string[], table: ReadonlyMap<string, number[]>): tf.Tensor2D {
  const rows = words.map((w) => {
    const e = table.get(w.toLowerCase());
    if (!e) throw new Error(`embedSentence: no embedding for the word "${w}"`);
    return e;
  });
  return tf.tensor2d(rows);
}

/**
 * A fixed input that looks random, for checks that need no seed: entry i of the (rows, cols) matrix, counted row by
 * row, is sin(1.7 i + 0.3).
 */
export function sineInput(rows: number, cols: number): tf.Tensor2D {
  if (!Number.isInteger(rows) || rows <= 0 || !Number.isInteger(cols) || cols <= 0) {
    throw new Error(`sineInput: rows and cols must be positive integers, got ${rows} and ${cols}`);
  }
  return tf.tensor2d(Array.from({ length: rows * cols }, (_, i) => Math.sin(1.7 * i + 0.3)), [rows, cols]);
}

/**
 * The output row Z[t] of each word of `sentence`, keyed by the (lower-cased) word; a word that occurs twice keeps
 * the row of its last occurrence. With `positions` E (T, d) the layer reads X + E instead of X.
 */
export function outputsByWord(sentence: readonly string[], table: ReadonlyMap<string, number[]>, w: SelfAttentionWeights, positions?: tf.Tensor2D): Map<string, number[]> {
  const Z = tf.tidy(() => {
    const X = embedSentence(sentence, table);
    if (positions && (positions.shape[0] !== X.shape[0] || positions.shape[1] !== X.shape[1])) {
      throw new Error(`outputsByWord: positions have shape [${positions.shape.join(', ')}], expected [${X.shape.join(', ')}] (one row per word)`);
    }
    return selfAttention(positions ? X.add(positions) : X, w).arraySync();
  });
  return new Map(sentence.map((word, i) => [word.toLowerCase(), Z[i]]));
}

/**
 * The same words in two orders: for each distinct word of `a` (in order of first appearance), the distance
 * |z_a(word) - z_b(word)| between its outputs in the two sentences. Without positions self-attention is
 * permutation-equivariant, so every distance is 0 up to float rounding; positions E make them differ.
 */
export function wordOrderGap(a: readonly string[], b: readonly string[], table: ReadonlyMap<string, number[]>, w: SelfAttentionWeights, positions?: tf.Tensor2D): { words: string[]; distances: number[] } {
  const za = outputsByWord(a, table, w, positions);
  const zb = outputsByWord(b, table, w, positions);
  const words = [...za.keys()];
  const distances = words.map((word) => {
    const other = zb.get(word);
    if (!other) throw new Error(`wordOrderGap: "${word}" is in the first sentence but not in the second`);
    return norm(sub(za.get(word)!, other));
  });
  return { words, distances };
}
