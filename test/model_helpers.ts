/** Small models for the model, decoding, checkpoint and evaluation tests. */
import * as tf from '@tensorflow/tfjs';
import { GPTConfig, Variant } from '../lib/mingpt/config';
import { GPT } from '../lib/mingpt/model';
import { Rng } from '../lib/util/random';

/** 2 layers, 2 heads of size 4, vocabulary 7, context 6: big enough to have every part, fast to run. */
export function tinyConfig(variant: Variant, over: Partial<GPTConfig> = {}): GPTConfig {
  return { vocabSize: 7, blockSize: 6, nLayer: 2, nHead: 2, nEmbd: 8, dropout: 0.1, variant, ...over };
}

/** Every parameter set to seeded N(0, 0.5) values, so that biases, LayerNorm gains and pos_emb all matter. */
export function randomizeParams(model: GPT, seed: number, std = 0.5): void {
  const rng = new Rng(seed);
  for (const v of model.params.values()) tf.tidy(() => v.assign(tf.tensor(rng.normals(v.size, 0, std), v.shape)));
}
