/**
 * Learned position encodings (as in GPT): a trainable table with one row per position, up to a maximum length,
 * added to the token embeddings. Nothing says that positions 4 and 5 are neighbours; training has to find out,
 * and a position beyond the table's length has no encoding at all.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/random';

export class LearnedPositionalEncoding {
  /** (maxLen, d), trainable. */
  readonly table: tf.Variable<tf.Rank.R2>;

  constructor(readonly maxLen: number, readonly dim: number, seed: number, std = 0.02, name?: string) {
    if (!Number.isInteger(maxLen) || maxLen <= 0) throw new Error(`LearnedPositionalEncoding: maxLen must be a positive integer, got ${maxLen}`);
    if (!Number.isInteger(dim) || dim <= 0) throw new Error(`LearnedPositionalEncoding: dim must be a positive integer, got ${dim}`);
    const init = tf.tensor2d(new Rng(seed).normals(maxLen * dim, 0, std), [maxLen, dim]);
    this.table = tf.variable(init, true, name);
    init.dispose();
  }

  /** The encodings of positions 0 .. T-1, shape (T, d). */
  encodings(T: number): tf.Tensor2D {
    if (!Number.isInteger(T) || T <= 0 || T > this.maxLen) {
      throw new Error(`LearnedPositionalEncoding: sequence length ${T} is outside 1..${this.maxLen} (the table has ${this.maxLen} positions)`);
    }
    // BEGIN SOLUTION learned encoding
    return this.table.slice([0, 0], [T, this.dim]);
    // END SOLUTION
  }

  /** x + encodings, for x of shape (T, d) or (batch, T, d). */
  apply<X extends tf.Tensor2D | tf.Tensor3D>(x: X): X {
    if (x.rank !== 2 && x.rank !== 3) throw new Error(`LearnedPositionalEncoding.apply: expected (T, d) or (batch, T, d), got shape [${x.shape.join(', ')}]`);
    const d = x.shape[x.rank - 1];
    if (d !== this.dim) throw new Error(`LearnedPositionalEncoding.apply: input has d=${d}, the table has d=${this.dim}`);
    // BEGIN SOLUTION learned encoding
    const T = x.shape[x.rank - 2];
    return tf.tidy(() => x.add(this.encodings(T))) as X;
    // END SOLUTION
  }

  dispose(): void {
    this.table.dispose();
  }
}
