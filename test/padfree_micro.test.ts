/**
 * Micro-batches sorted by length, each cut after its own last real target, give the loss and gradients of
 * the whole padded batch (lib/mingpt/micro_batches.ts).
 */
import * as assert from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/backend';
import { splitByLength, sumWeightedGrads } from '../lib/mingpt/micro_batches';
import type { Batch } from '../lib/data/batch';
import { GPT } from '../lib/mingpt/model';
import { Rng } from '../lib/util/random';

const V = 20, T = 24;

function paddedBatch(rng: Rng, reals: number[]): Batch {
  const B = reals.length;
  const x = new Int32Array(B * T), y = new Int32Array(B * T);
  let useful = 0;
  reals.forEach((real, b) => {
    for (let t = 0; t < T; t++) {
      x[b * T + t] = t <= real ? rng.int(1, V - 1) : 0;
      y[b * T + t] = t < real ? rng.int(1, V - 1) : 0;
      if (t < real) useful++;
    }
  });
  return { x, y, batchSize: B, time: T, usefulTokens: useful };
}

/**
 * What the trainer does with the parts (lib/mingpt/trainer.ts): each weighted by its share of the real
 * targets, summed by sumWeightedGrads (lib/mingpt/micro_batches.ts). The model has no dropout, so seeds do not matter.
 */
function accumulate(model: GPT, parts: Batch[]): { loss: number; grads: Record<string, tf.Tensor> } {
  const total = parts.reduce((n, p) => n + p.usefulTokens, 0);
  const weighted = parts.filter((p) => p.usefulTokens > 0).map((p, k) => ({ ...p, weight: p.usefulTokens / total, seed: k }));
  const { loss, grads } = sumWeightedGrads(model, weighted);
  const value = loss.dataSync()[0];
  loss.dispose();
  return { loss: value, grads };
}

describe('micro-batches sorted by length (exact)', () => {
  before(async () => {
    await initBackend();
  });

  it('splitByLength: every row once, longest first, each part cut after its own last real target', () => {
    const batch = paddedBatch(new Rng(1), [3, 17, 0, 9, 12]);
    const parts = splitByLength(batch, 2);
    assert.deepStrictEqual(parts.map((p) => [p.batchSize, p.time]), [[2, 17], [2, 9], [1, 1]]);
    assert.strictEqual(parts.reduce((s, p) => s + p.usefulTokens, 0), batch.usefulTokens);
    assert.deepStrictEqual(Array.from(parts[0].y.subarray(0, 17)), Array.from(batch.y.subarray(1 * T, 1 * T + 17)));
    assert.throws(() => splitByLength(batch, 0), /microSize must be a positive integer, got 0/);
  });

  for (const variant of ['vanilla', 'rope'] as const) {
    it(`${variant}: accumulated loss and gradients equal the padded full batch's`, () => {
      const model = new GPT({ vocabSize: V, blockSize: T, nLayer: 2, nHead: 2, nEmbd: 16, dropout: 0, variant }, 5);
      const batch = paddedBatch(new Rng(variant === 'rope' ? 3 : 2), [5, 23, 2, 11, 8, 16, 1]);
      const vars = [...model.params.values()];
      const full = tf.tidy(() => {
        const x = tf.tensor2d(batch.x, [batch.batchSize, T], 'int32'), y = tf.tensor2d(batch.y, [batch.batchSize, T], 'int32');
        const { value, grads } = tf.variableGrads(() => model.loss(x, y), vars);
        return [value, ...vars.map((v) => grads[v.name])];
      });
      const parts = splitByLength(batch, 3);
      assert.ok(parts.reduce((s, p) => s + p.batchSize * p.time, 0) < batch.batchSize * T * 0.7, 'bucketing should save work here');
      const acc = accumulate(model, parts);
      assert.ok(Math.abs(acc.loss - (full[0] as tf.Scalar).dataSync()[0]) < 1e-5);
      [...model.params.keys()].forEach((name, i) => {
        const want = full[i + 1].dataSync(), got = acc.grads[name].dataSync();
        let worst = 0;
        for (let j = 0; j < want.length; j++) worst = Math.max(worst, Math.abs(want[j] - got[j]));
        assert.ok(worst < 1e-5, `gradient of parameter ${i} differs by ${worst}`);
      });
      tf.dispose([...full, ...Object.values(acc.grads)]);
      model.dispose();
    });
  }

  it('leaks no tensors', () => {
    const model = new GPT({ vocabSize: V, blockSize: T, nLayer: 1, nHead: 2, nEmbd: 8, dropout: 0, variant: 'vanilla' }, 6);
    const parts = splitByLength(paddedBatch(new Rng(9), [4, 9, 6]), 2);
    const before = tf.memory().numTensors;
    const acc = accumulate(model, parts);
    assert.strictEqual(tf.memory().numTensors, before + Object.keys(acc.grads).length);
    tf.dispose(Object.values(acc.grads));
    model.dispose();
  });
});
