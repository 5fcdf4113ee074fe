/**
 * Pad-free computation is exact: dropping the trailing columns whose targets are PAD in every row (collate's
 * trimPad) leaves the loss and every parameter gradient of the real model unchanged, because attention is
 * causal (earlier positions never see later inputs) and PAD targets carry no loss.
 */
import * as assert from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/backend';
import { collate } from '../lib/data/batch';
import type { Example } from '../lib/data/name_dataset';
import { GPT } from '../lib/mingpt/model';
import { Variant } from '../lib/mingpt/config';
import { Rng } from '../lib/util/random';

const V = 20, BLOCK = 24;

/** Examples with `real` non-PAD targets each, then PAD (0) to the block size; inputs run one past the targets. */
function examples(rng: Rng, reals: number[]): Example[] {
  return reals.map((real) => {
    const x = new Int32Array(BLOCK), y = new Int32Array(BLOCK);
    for (let t = 0; t < BLOCK; t++) {
      x[t] = t <= real ? rng.int(1, V - 1) : 0;
      y[t] = t < real ? rng.int(1, V - 1) : 0;
    }
    return { x, y };
  });
}

function lossAndGrads(model: GPT, ex: Example[], trimPad: boolean): { time: number; loss: number; grads: Map<string, Float32Array> } {
  const b = collate(ex, { trimPad });
  const names = [...model.params.keys()];
  const byName = new Map<string, Float32Array>();
  let loss = NaN;
  tf.tidy(() => {
    const x = tf.tensor2d(b.x, [b.batchSize, b.time], 'int32');
    const y = tf.tensor2d(b.y, [b.batchSize, b.time], 'int32');
    const { value, grads } = tf.variableGrads(() => model.loss(x, y), names.map((n) => model.params.get(n) as tf.Variable));
    names.forEach((n) => byName.set(n, grads[(model.params.get(n) as tf.Variable).name].dataSync() as Float32Array));
    loss = value.dataSync()[0];
  });
  return { time: b.time, loss, grads: byName };
}

describe('pad-free training (trimPad) is exact', () => {
  before(async () => {
    await initBackend();
  });

  for (const variant of ['vanilla', 'rope'] as Variant[]) {
    it(`${variant}: same loss and gradients with and without the all-PAD columns`, () => {
      const model = new GPT({ vocabSize: V, blockSize: BLOCK, nLayer: 2, nHead: 2, nEmbd: 16, dropout: 0, variant }, 3);
      const ex = examples(new Rng(variant === 'vanilla' ? 1 : 2), [5, 11, 3, 8]);
      const padded = lossAndGrads(model, ex, false);
      const trimmed = lossAndGrads(model, ex, true);
      assert.strictEqual(padded.time, BLOCK);
      assert.strictEqual(trimmed.time, 11, 'the longest row has 11 real targets');
      assert.ok(Math.abs(padded.loss - trimmed.loss) < 1e-6, `loss ${padded.loss} vs ${trimmed.loss}`);
      let nonzero = 0;
      for (const [name, g] of padded.grads) {
        const h = trimmed.grads.get(name) as Float32Array;
        let worst = 0, scale = 0;
        for (let i = 0; i < g.length; i++) {
          worst = Math.max(worst, Math.abs(g[i] - h[i]));
          scale = Math.max(scale, Math.abs(g[i]));
        }
        assert.ok(worst <= 1e-5 * Math.max(1, scale), `${name}: gradients differ by ${worst}`);
        if (scale > 0) nonzero++;
      }
      assert.ok(nonzero > model.params.size / 2, 'most gradients should be nonzero, or the comparison proves little');
      model.dispose();
    });
  }

  it('the comparison can fail: a causal-breaking change (targets moved into the cut) changes the loss', () => {
    const model = new GPT({ vocabSize: V, blockSize: BLOCK, nLayer: 1, nHead: 2, nEmbd: 16, dropout: 0, variant: 'vanilla' }, 4);
    const ex = examples(new Rng(7), [4, 6]);
    const trimmed = lossAndGrads(model, ex, true);
    ex[0].y[15] = 5; // a real target beyond the old cut: now trimming must keep 16 columns and the loss moves
    const longer = lossAndGrads(model, ex, true);
    assert.strictEqual(longer.time, 16);
    assert.ok(Math.abs(longer.loss - trimmed.loss) > 1e-4);
    model.dispose();
  });
});
