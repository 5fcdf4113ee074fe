import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/backend';
import { Batch, BatchSource, MINGPT_TRAINER_DEFAULTS, TrainableModel, Trainer, TrainerConfig, TrainingDivergedError } from '../lib/mingpt/trainer';
import { readTrainingState, restoreTrainingState, saveTrainingState } from '../lib/mingpt/run_state';
import { Rng } from '../lib/util/random';
import { GPT } from '../lib/mingpt/model';

/**
 * A bigram model small enough to train in milliseconds: logits = E[x] + b, with dropout on E[x] so that the
 * dropout seed matters. E is "a Linear weight" (decayed), b is a bias (not decayed).
 */
class Bigram implements TrainableModel {
  readonly params: Map<string, tf.Variable>;
  nanAtCall = -1;
  private calls = 0;
  constructor(readonly vocab: number, seed: number) {
    const rng = new Rng(seed);
    this.params = new Map([
      ['emb.weight', tf.variable(tf.tensor2d(rng.normals(vocab * vocab, 0, 0.02), [vocab, vocab]))],
      ['emb.bias', tf.variable(tf.zeros([vocab]))],
    ]);
  }
  decayParamNames(): string[] {
    return ['emb.weight'];
  }
  loss(idx: tf.Tensor2D, targets: tf.Tensor2D, opts: { training: boolean; seed: number }): tf.Scalar {
    this.calls++;
    return tf.tidy(() => {
      let h: tf.Tensor = tf.gather(this.params.get('emb.weight')!, idx.flatten());
      if (opts.training) h = tf.dropout(h, 0.1, undefined, opts.seed);
      const logits = h.add(this.params.get('emb.bias')!);
      const loss = tf.losses.softmaxCrossEntropy(tf.oneHot(targets.flatten(), this.vocab), logits) as tf.Scalar;
      return this.calls === this.nanAtCall ? loss.mul(NaN) as tf.Scalar : loss;
    });
  }
  weights(): number[][] {
    return [...this.params.values()].map((p) => Array.from(p.dataSync()));
  }
  dispose(): void {
    for (const p of this.params.values()) p.dispose();
  }
}

/** Sequences that count up modulo V (x -> x + 1), starting at a random offset drawn from the batch seed. */
class CountingData implements BatchSource {
  constructor(readonly length: number, readonly vocab: number, readonly time: number) {}
  batch(indices: readonly number[], seed: number): Batch {
    const rng = new Rng(seed);
    const x = new Int32Array(indices.length * this.time);
    const y = new Int32Array(indices.length * this.time);
    indices.forEach((ex, r) => {
      const start = (ex + rng.int(0, 1)) % this.vocab;
      for (let t = 0; t < this.time; t++) {
        x[r * this.time + t] = (start + t) % this.vocab;
        y[r * this.time + t] = (start + t + 1) % this.vocab;
      }
    });
    return { x, y, batchSize: indices.length, time: this.time, usefulTokens: indices.length * this.time };
  }
}

function config(over: Partial<TrainerConfig> = {}): TrainerConfig {
  return {
    ...MINGPT_TRAINER_DEFAULTS, maxEpochs: 4, batchSize: 4, learningRate: 0.05, warmupTokens: 64,
    finalTokens: 2000, seed: 7, ...over,
  };
}

describe('Trainer', () => {
  before(async () => { await initBackend(); });

  it('visits every example once per epoch, keeping the short last batch, in a new order each epoch', () => {
    const model = new Bigram(6, 1);
    const t = new Trainer(model, new CountingData(10, 6, 8), config());
    assert.equal(t.stepsPerEpoch, 3);
    assert.equal(t.totalSteps, 12);
    const epochs = [0, 1].map((e) => [0, 1, 2].map((i) => t.batchIndices(e * 3 + i)));
    for (const batches of epochs) {
      assert.deepEqual(batches.map((b) => b.length), [4, 4, 2]);
      assert.deepEqual(batches.flat().sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }
    assert.notDeepEqual(epochs[0].flat(), epochs[1].flat());
    t.dispose();
    model.dispose();
  });

  it("with shuffle off (the course's trainer.py), takes the examples in file order every epoch", () => {
    const model = new Bigram(6, 1);
    const t = new Trainer(model, new CountingData(10, 6, 8), config({ shuffle: false }));
    for (const e of [0, 1]) assert.deepEqual([0, 1, 2].map((i) => t.batchIndices(e * 3 + i)), [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    t.dispose();
    model.dispose();
  });

  it('runs step 0 at the base rate, then at the schedule of the tokens seen (batch * block each)', async () => {
    const model = new Bigram(6, 1);
    const t = new Trainer(model, new CountingData(10, 6, 8), config({ maxEpochs: 1 }));
    const r = await t.train();
    // 10 examples in batches of 4, 4, 2; block 8: each batch adds rows * 8 tokens.
    assert.deepEqual(r.curve.map((p) => p.tokens), [32, 64, 80]);
    // warm-up 64 tokens: step 0 at the base 0.05, step 1 after 32 tokens at 0.05 * 32/64, step 2 at the peak.
    assert.deepEqual(r.curve.map((p) => p.lr), [0.05, 0.025, 0.05]);
    t.dispose();
    model.dispose();
  });

  it('lowers the loss and leaks no tensors: the count after 1 step equals the count after 100', async () => {
    const model = new Bigram(6, 2);
    const t = new Trainer(model, new CountingData(12, 6, 8), config({ maxEpochs: 40 }));
    await t.train({ stopAfterStep: 1 });
    const after1 = tf.memory().numTensors;
    const r = await t.train({ stopAfterStep: 100 });
    assert.equal(tf.memory().numTensors, after1);
    assert.equal(r.steps, 100);
    assert.ok(r.curve[99].loss < 0.5 * r.curve[0].loss, `loss ${r.curve[0].loss} -> ${r.curve[99].loss}`);
    t.dispose();
    model.dispose();
  });

  it('gives bit-identical losses and weights for the same seed, different ones for another', async () => {
    const run = async (seed: number): Promise<{ losses: number[]; weights: number[][] }> => {
      const model = new Bigram(6, 3);
      const t = new Trainer(model, new CountingData(10, 6, 8), config({ seed }));
      const r = await t.train();
      const out = { losses: r.curve.map((p) => p.loss), weights: model.weights() };
      t.dispose();
      model.dispose();
      return out;
    };
    const a = await run(11);
    const b = await run(11);
    const c = await run(12);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.losses, c.losses);
  });

  it('resumes from a saved state exactly as if never stopped', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trainer-test-'));
    const file = path.join(dir, 'state.safetensors');
    const full = new Bigram(6, 4);
    const tFull = new Trainer(full, new CountingData(10, 6, 8), config());
    const rFull = await tFull.train();

    const first = new Bigram(6, 4);
    const t1 = new Trainer(first, new CountingData(10, 6, 8), config());
    await t1.train({ stopAfterStep: 5, onCheckpoint: (t) => saveTrainingState(file, t, { seed: 7 }) });
    const second = new Bigram(6, 99); // different initial weights: all must come from the file
    const t2 = new Trainer(second, new CountingData(10, 6, 8), config());
    const saved = readTrainingState(file);
    assert.deepEqual(saved.fingerprint, { seed: 7 });
    restoreTrainingState(t2, saved, file);
    assert.equal(t2.stepsDone, 5);
    // Time keeping survives the file: the first session's seconds count in the run's total.
    assert.equal(saved.trainer.sessions, 1);
    assert.ok(saved.trainer.seconds > 0);
    const r2 = await t2.train();
    assert.equal(r2.sessions, 2);
    assert.ok(Math.abs(r2.totalSeconds - (saved.trainer.seconds + r2.seconds)) < 0.05, `${r2.totalSeconds} vs ${saved.trainer.seconds} + ${r2.seconds}`);
    assert.equal(rFull.sessions, 1);
    assert.equal(rFull.totalSeconds, rFull.seconds);
    assert.deepEqual(r2.curve, rFull.curve);
    assert.deepEqual(second.weights(), full.weights());
    // Earlier sessions' time is added, not replaced: a state that says 100 s over 3 sessions.
    const third = new Bigram(6, 4);
    const t3 = new Trainer(third, new CountingData(10, 6, 8), config());
    t3.setState({ ...t1.getState(), seconds: 100, sessions: 3 });
    const r3 = await t3.train();
    assert.equal(r3.sessions, 4);
    assert.ok(r3.totalSeconds >= 100 && r3.totalSeconds <= 100 + r3.seconds + 0.05, `${r3.totalSeconds} vs 100 + ${r3.seconds}`);
    for (const t of [tFull, t1, t2, t3]) t.dispose();
    for (const m of [full, first, second, third]) m.dispose();
    fs.rmSync(dir, { recursive: true });
  });

  it('calls onEpochEnd after the last step of each epoch, with the 1-based epoch, also across a resume', async () => {
    const model = new Bigram(6, 6);
    const t = new Trainer(model, new CountingData(10, 6, 8), config({ maxEpochs: 3 })); // 3 steps an epoch
    const seen: [number, number][] = [];
    const onEpochEnd = (epoch: number, tr: Trainer): void => { seen.push([epoch, tr.stepsDone]); };
    await t.train({ stopAfterStep: 4, onEpochEnd });
    assert.deepEqual(seen, [[1, 3]]);
    await t.train({ onEpochEnd });
    assert.deepEqual(seen, [[1, 3], [2, 6], [3, 9]]);
    assert.equal(t.tokensSeen, t.lossCurve()[8].tokens);
    t.dispose();
    model.dispose();
  });

  it('stops on a NaN loss with a clear error, without applying the bad update', async () => {
    const model = new Bigram(6, 5);
    model.nanAtCall = 3;
    const t = new Trainer(model, new CountingData(10, 6, 8), config());
    let checkpoints = 0;
    let weightsAfter2: number[][] = [];
    const p = t.train({
      onStep: (s) => { if (s.step === 2) weightsAfter2 = model.weights(); },
      onCheckpoint: () => { checkpoints++; },
    });
    await assert.rejects(p, (e: unknown) => {
      assert.ok(e instanceof TrainingDivergedError);
      assert.match(e.message, /training diverged at step 3: loss NaN/);
      assert.match(e.message, /last good checkpoint was kept/);
      return true;
    });
    assert.equal(t.stepsDone, 2);
    assert.deepEqual(model.weights(), weightsAfter2);
    assert.equal(checkpoints, 0);
    t.dispose();
    model.dispose();
  });

  it('rejects bad settings naming the field', () => {
    const model = new Bigram(6, 1);
    assert.throws(() => new Trainer(model, new CountingData(10, 6, 8), config({ batchSize: 0 })), /batchSize must be a positive integer, got 0/);
    assert.throws(() => new Trainer(model, new CountingData(0, 6, 8), config()), /training dataset is empty/);
    model.dispose();
  });

  it('with the GPT: decays exactly the Linear weights, and leaks nothing over 100 steps', async function () {
    this.timeout(60000);
    const model = new GPT({ vocabSize: 6, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 8, dropout: 0.1, variant: 'vanilla' }, 1);
    const t = new Trainer(model, new CountingData(8, 6, 8), config({ maxEpochs: 50 }));
    const linear = [0, 1].flatMap((l) => ['attn.qkv', 'attn.proj', 'mlp.0', 'mlp.2'].map((m) => `blocks.${l}.${m}.weight`));
    assert.deepEqual(t.decayParamNames().sort(), [...linear, 'head.weight'].sort());
    for (const name of model.params.keys()) {
      if (/^(pos_emb|tok_emb\.weight)$|\.ln\d?_?f?\.|ln_f|\.bias$/.test(name)) assert.ok(!t.decayParamNames().includes(name), name);
    }
    // The course's trainer.py rule: every name without "bias", so the embeddings and LayerNorm gains too.
    const course = new Trainer(model, new CountingData(8, 6, 8), config({ weightDecayOn: 'course-names' }));
    const gains = [0, 1].flatMap((l) => [`blocks.${l}.ln1.weight`, `blocks.${l}.ln2.weight`]);
    assert.deepEqual(course.decayParamNames().sort(), [...linear, ...gains, 'head.weight', 'ln_f.weight', 'pos_emb', 'tok_emb.weight'].sort());
    course.dispose();
    assert.throws(() => new Trainer(model, new CountingData(8, 6, 8), config({ weightDecayOn: 'all' as never })),
      /weightDecayOn must be one of matmul-weights, course-names, got "all"/);
    await t.train({ stopAfterStep: 1 });
    const after1 = tf.memory().numTensors;
    const r = await t.train({ stopAfterStep: 100 });
    assert.equal(tf.memory().numTensors, after1);
    assert.ok(r.curve[99].loss < r.curve[0].loss);
    t.dispose();
    model.dispose();
  });

  it('micro-batching gives the same update as the whole batch (gradients weighted by real targets)', async () => {
    const cfg = { vocabSize: 6, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 8, dropout: 0, variant: 'vanilla' as const };
    // Rows with different numbers of PAD (0) targets, so that slices weigh differently.
    const y = new Int32Array([1, 2, 3, 4, 0, 0, 0, 0, 2, 3, 4, 5, 1, 2, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 4, 5, 1, 2, 3, 4, 5, 1, 5, 1, 0, 0, 0, 0, 0, 0]);
    const x = y.map((v, i) => (i % 8 === 0 ? 1 : y[i - 1] || 1));
    const batch: Batch = { x, y, batchSize: 5, time: 8, usefulTokens: Array.from(y).filter((v) => v !== 0).length };
    const data: BatchSource = { length: 5, batch: () => batch };
    const run = (micro?: number): { loss: number; weights: number[][] } => {
      const model = new GPT(cfg, 3);
      const t = new Trainer(model, data, config({ batchSize: 5, microBatchSize: micro }));
      const { loss } = t.trainStep(batch, 0.01, 1);
      const weights = [...model.params.values()].map((p) => Array.from(p.dataSync()));
      t.dispose();
      model.dispose();
      return { loss, weights };
    };
    // Tensors left behind by building and disposing a model and a trainer (none, or the GPT's own) must not
    // grow with micro-batching: each run leaves the same count.
    const n0 = tf.memory().numTensors;
    const whole = run();
    const n1 = tf.memory().numTensors;
    const sliced = run(2);
    assert.equal(tf.memory().numTensors - n1, n1 - n0);
    assert.ok(Math.abs(whole.loss - sliced.loss) < 1e-5, `${whole.loss} vs ${sliced.loss}`);
    whole.weights.forEach((w, i) => w.forEach((v, j) => assert.ok(Math.abs(v - sliced.weights[i][j]) < 1e-5, `param ${i}[${j}]: ${v} vs ${sliced.weights[i][j]}`)));
  });
});
