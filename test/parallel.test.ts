import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/backend';
import { nativeBlasStatus } from '../lib/backend/wasm_fixes';
import { GPT } from '../lib/mingpt/model';
import { GPTConfig } from '../lib/mingpt/config';
import { Batch, BatchSource, MINGPT_TRAINER_DEFAULTS, Trainer, TrainerConfig } from '../lib/mingpt/trainer';
import { GradientHelper, balanceParts, flattenParams, unflatten } from '../lib/mingpt/parallel';
import { Rng } from '../lib/util/random';

const CFG: GPTConfig = { vocabSize: 9, blockSize: 12, nLayer: 2, nHead: 2, nEmbd: 16, dropout: 0.1, variant: 'vanilla' };

/** Rows of different real lengths (PAD = 0 after), so micro-batches differ in width and weight. */
function raggedBatch(seed: number, rows: number, time: number): Batch {
  const rng = new Rng(seed);
  const x = new Int32Array(rows * time), y = new Int32Array(rows * time);
  let useful = 0;
  for (let r = 0; r < rows; r++) {
    const len = rng.int(1, time);
    for (let t = 0; t < len; t++) {
      x[r * time + t] = rng.int(1, CFG.vocabSize - 1);
      y[r * time + t] = rng.int(1, CFG.vocabSize - 1);
      useful++;
    }
  }
  return { x, y, batchSize: rows, time, usefulTokens: useful };
}

function trainerConfig(micro: number): TrainerConfig {
  return {
    ...MINGPT_TRAINER_DEFAULTS, maxEpochs: 1, batchSize: 10, microBatchSize: micro, learningRate: 3e-3,
    decay: false, warmupTokens: 0, finalTokens: 1, seed: 5,
  };
}

describe('data parallelism: a helper thread computes part of each batch', function () {
  this.timeout(120000);
  let helper: GradientHelper;
  let blasThreadsBefore: number | undefined;
  before(async () => {
    await initBackend();
    blasThreadsBefore = nativeBlasStatus().blas?.threads;
    helper = await GradientHelper.start(CFG);
  });
  after(async () => {
    await helper?.dispose();
  });

  it('balanceParts gives every part to exactly one side, the loads within one part of each other', () => {
    const parts = [40, 33, 31, 20, 18, 9, 7, 3, 2].map((time, i) => ({ batchSize: 4, time, id: i }));
    const { local, remote } = balanceParts(parts);
    assert.deepEqual([...local, ...remote].map((p) => p.id).sort((a, b) => a - b), parts.map((p) => p.id));
    const load = (ps: typeof parts) => ps.reduce((n, p) => n + p.batchSize * p.time, 0);
    assert.ok(Math.abs(load(local) - load(remote)) <= 4 * 40, `${load(local)} vs ${load(remote)}`);
    assert.equal(remote[0].id, 0, 'the largest part goes to the helper (the main thread also runs the optimizer)');
  });

  it('flattenParams / unflatten round-trip every parameter in order', () => {
    const model = new GPT(CFG, 1);
    const flat = flattenParams(model.params);
    assert.equal(flat.length, model.numParams());
    const back = unflatten(flat, model.params);
    for (const [name, v] of model.params) {
      assert.deepEqual(back.get(name)!.shape, v.shape, name);
      assert.deepEqual(Array.from(back.get(name)!.dataSync()), Array.from(v.dataSync()), name);
    }
    tf.dispose([...back.values()]);
    assert.throws(() => unflatten(flat.subarray(1), model.params), /unflatten: \d+ values for \d+ parameters/);
    // With values by name (a gradient): each at its parameter's offset, zeros for the names not given.
    const [lastName, last] = [...model.params].slice(-1)[0];
    const lastValue = tf.fill(last.shape, 3);
    const grads = flattenParams(model.params, { [lastName]: lastValue });
    assert.ok(grads.subarray(0, flat.length - last.size).every((v) => v === 0));
    assert.ok(grads.subarray(flat.length - last.size).every((v) => v === 3));
    lastValue.dispose();
    for (const v of model.params.values()) v.dispose();
  });

  it('two training steps with the helper give the loss and weights of the same steps on one thread', () => {
    const batches = [raggedBatch(1, 10, 12), raggedBatch(2, 10, 12)];
    const data: BatchSource = { length: 10, batch: () => batches[0] };
    const run = (withHelper: boolean) => {
      const model = new GPT(CFG, 7);
      const t = new Trainer(model, data, trainerConfig(3), withHelper ? { helper } : {});
      const losses = batches.map((b, s) => t.trainStep(b, 3e-3, 100 + s).loss);
      const weights = flattenParams(model.params);
      t.dispose();
      for (const v of model.params.values()) v.dispose();
      return { losses, weights };
    };
    const n0 = tf.memory().numTensors;
    const one = run(false);
    const n1 = tf.memory().numTensors;
    const asked = helper.requests;
    const two = run(true);
    assert.equal(helper.requests - asked, 2, 'one request to the helper per step');
    assert.equal(tf.memory().numTensors - n1, n1 - n0, 'the helper path leaves no tensor behind');
    one.losses.forEach((l, i) => assert.ok(Math.abs(l - two.losses[i]) < 1e-5, `step ${i}: loss ${l} vs ${two.losses[i]}`));
    let maxDiff = 0, changed = 0;
    const fresh = new GPT(CFG, 7);
    const start = flattenParams(fresh.params);
    for (const v of fresh.params.values()) v.dispose();
    one.weights.forEach((w, i) => {
      maxDiff = Math.max(maxDiff, Math.abs(w - two.weights[i]));
      if (Math.abs(w - start[i]) > 1e-4) changed++;
    });
    assert.ok(maxDiff < 1e-5, `weights differ by up to ${maxDiff}`);
    assert.ok(changed > one.weights.length / 2, `the steps moved ${changed} of ${one.weights.length} weights`);
  });

  it("reports the helper's own error, naming what was wrong", () => {
    helper.post(new Float32Array(5), []);
    assert.throws(() => helper.wait(), /gradient helper thread: helper: got 5 weights for a model of \d+/);
  });

  it('runs OpenBLAS on one thread per caller while a helper lives, and restores the count after', async function () {
    const blas = nativeBlasStatus().blas;
    if (!blas) this.skip(); // products on XNNPACK: no BLAS threads to manage
    assert.equal(blas!.threads, 1, 'the helper of this suite is alive');
    await helper.dispose();
    assert.equal(blas!.threads, blasThreadsBefore, 'restored');
    helper = await GradientHelper.start(CFG); // for the tests after this one
    assert.equal(blas!.threads, 1);
  });

  it('refuses a config it cannot build, with the reason', async () => {
    await assert.rejects(GradientHelper.start({ ...CFG, nHead: 3 }), /gradient helper thread failed to start: .*nHead/);
  });
});
