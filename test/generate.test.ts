/**
 * Greedy decoding: the cached, batched path gives exactly the ids of the uncached reference (minGPT's loop),
 * for prompts of different lengths, past blockSize, with early stopping; and it leaks no tensors.
 */
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/backend';
import { GPT } from '../lib/mingpt/model';
import { greedyDecode, greedySteps } from '../lib/mingpt/generate';
import { Rng } from '../lib/util/random';
import { randomizeParams, tinyConfig } from './model_helpers';

/** minGPT's sample(..., sample=False), one prompt at a time, straight from model.logits. */
function naiveGreedy(model: GPT, prompt: number[], steps: number): number[] {
  const seq = prompt.slice();
  for (let s = 0; s < steps; s++) {
    const window = seq.slice(-model.config.blockSize);
    const next = tf.tidy(() => {
      const logits = model.logits(tf.tensor2d([window], [1, window.length], 'int32'));
      return tf.argMax(logits.slice([0, window.length - 1, 0], [1, 1, -1]).reshape([-1])).dataSync()[0];
    });
    seq.push(next);
  }
  return seq;
}

function randomPrompts(seed: number, count: number, minLen: number, maxLen: number, vocab: number): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => Array.from({ length: rng.int(minLen, maxLen) }, () => rng.int(2, vocab - 1)));
}

describe('greedy decoding', () => {
  before(async () => {
    await initBackend();
  });

  for (const variant of ['vanilla', 'rope'] as const) {
    it(`${variant}: cached == uncached == one-at-a-time, prompts of mixed lengths, crossing blockSize`, () => {
      // blockSize 6: prompts of 1..8 ids plus 7 steps run well past the window.
      const model = new GPT(tinyConfig(variant, { vocabSize: 11, nEmbd: 16 }), 20);
      randomizeParams(model, 21, 1.5);
      const prompts = randomPrompts(22, 13, 1, 8, 11);
      const cached = greedyDecode(model, prompts, 7, { batchSize: 4 });
      const uncached = greedyDecode(model, prompts, 7, { useCache: false, batchSize: 3 });
      const single = prompts.map((p) => naiveGreedy(model, p, 7));
      assert.deepEqual(uncached, single);
      assert.deepEqual(cached, single);
      cached.forEach((seq, i) => {
        assert.equal(seq.length, prompts[i].length + 7);
        assert.deepEqual(seq.slice(0, prompts[i].length), prompts[i]);
      });
      // The outputs are not trivially constant, so equality above means something.
      assert.ok(new Set(cached.map((s) => s.slice(-7).join(','))).size > 3);
      model.dispose();
    });
  }

  for (const variant of ['vanilla', 'rope'] as const) {
    it(`${variant}: logits through the key/value cache equal the full forward pass, position by position`, () => {
      const model = new GPT(tinyConfig(variant, { vocabSize: 11, nEmbd: 16 }), 31);
      randomizeParams(model, 32, 1.5);
      const rows = [
        [3, 1, 4, 1, 5, 9],
        [2, 7, 1, 8, 2, 8],
      ];
      const full = tf.tidy(() => model.logits(tf.tensor2d(rows, [2, 6], 'int32')).arraySync());
      // Prefill 3 positions at once, then one at a time.
      let step = model.forwardWithCache(tf.tensor2d(rows.map((r) => r.slice(0, 3)), [2, 3], 'int32'), undefined);
      for (let t = 2; t < 6; t++) {
        if (t > 2) {
          const next = model.forwardWithCache(tf.tensor2d(rows.map((r) => [r[t]]), [2, 1], 'int32'), step.cache);
          tf.dispose([step.logits, ...step.cache.keys, ...step.cache.values]);
          step = next;
        }
        assert.equal(step.cache.length, t + 1);
        const got = step.logits.arraySync();
        // Equal to float32 rounding: the cached path multiplies other shapes (BLAS may sum in another order),
        // so the tolerance scales with the row's largest logit (about 15 with these large random weights).
        got.forEach((row, b) => {
          const tol = 1e-5 * Math.max(1, ...full[b][t].map(Math.abs));
          row.forEach((v, j) => assert.ok(Math.abs(v - full[b][t][j]) < tol, `t=${t} b=${b} j=${j}: ${v} vs ${full[b][t][j]}`));
        });
      }
      assert.throws(() => model.forwardWithCache(tf.tensor2d([[1], [2]], [2, 1], 'int32'), step.cache), /6 cached \+ 1 positions exceed blockSize 6/);
      tf.dispose([step.logits, ...step.cache.keys, ...step.cache.values]);
      // Several new positions after a cache (a causal mask inside the new block): 2 cached, then 4 at once.
      const first = model.forwardWithCache(tf.tensor2d(rows.map((r) => r.slice(0, 2)), [2, 2], 'int32'), undefined);
      const rest = model.forwardWithCache(tf.tensor2d(rows.map((r) => r.slice(2)), [2, 4], 'int32'), first.cache);
      rest.logits.arraySync().forEach((row, b) => {
        const tol = 1e-5 * Math.max(1, ...full[b][5].map(Math.abs)); // as above: float32 rounding, in the row's scale
        row.forEach((v, j) => assert.ok(Math.abs(v - full[b][5][j]) < tol, `block: b=${b} j=${j}: ${v} vs ${full[b][5][j]}`));
      });
      tf.dispose([first.logits, rest.logits, ...first.cache.keys, ...first.cache.values, ...rest.cache.keys, ...rest.cache.values]);
      model.dispose();
    });
  }

  for (const variant of ['vanilla', 'rope'] as const) {
    it(`${variant}: greedySteps gives greedyDecode's ids one at a time, each with its softmax, stops at stopAt, leaks nothing`, () => {
      const model = new GPT(tinyConfig(variant, { vocabSize: 11, nEmbd: 16 }), 40);
      randomizeParams(model, 41, 1.5);
      const before = tf.memory().numTensors;
      for (const prompt of randomPrompts(42, 6, 1, 8, 11)) {
        const steps = [...greedySteps(model, prompt, 7)];
        const ids = steps.map((s) => s.id);
        assert.deepEqual([...prompt, ...ids], naiveGreedy(model, prompt, 7));
        for (const s of steps) {
          assert.equal(s.probs.length, 11);
          assert.ok(Math.abs(s.probs.reduce((a, b) => a + b, 0) - 1) < 1e-5);
          assert.equal(s.probs.indexOf(Math.max(...s.probs)), s.id, 'the chosen id is the most probable');
        }
        // Stopping at the id that comes third: three steps, the last one that id.
        const stopped = [...greedySteps(model, prompt, 7, { stopAt: ids[2] })].map((s) => s.id);
        assert.deepEqual(stopped, ids.slice(0, ids.indexOf(ids[2]) + 1));
      }
      // Leaving early (the page asks a new question mid-answer) disposes the cache too.
      const gen = greedySteps(model, [1, 2, 3], 7);
      gen.next();
      gen.return();
      assert.equal(tf.memory().numTensors, before);
      assert.throws(() => [...greedySteps(model, [1, 11], 2)], /id 11 at position 1, outside \[0, 11\)/);
      model.dispose();
    });
  }

  it('prompts sharing their first ids (run once, copied to every row) decode as if alone', () => {
    const model = new GPT(tinyConfig('rope', { vocabSize: 11, nEmbd: 16, blockSize: 12 }), 33);
    randomizeParams(model, 34, 1.5);
    const prompts = [
      [5, 6, 7],
      [5, 6, 7, 8, 2],
      [5, 6, 7, 3],
      [5, 6, 7, 3, 3, 9, 4],
    ];
    const expected = prompts.map((p) => naiveGreedy(model, p, 8));
    assert.deepEqual(greedyDecode(model, prompts, 8), expected);
    assert.deepEqual(greedyDecode(model, prompts.slice(1), 8), expected.slice(1));
    model.dispose();
  });

  it('the batch size does not change the result', () => {
    const model = new GPT(tinyConfig('rope', { vocabSize: 11, blockSize: 16 }), 23);
    randomizeParams(model, 24);
    const prompts = randomPrompts(25, 9, 2, 9, 11);
    const one = greedyDecode(model, prompts, 6, { batchSize: 1 });
    assert.deepEqual(greedyDecode(model, prompts, 6, { batchSize: 9 }), one);
    assert.deepEqual(greedyDecode(model, prompts, 6, { batchSize: 2 }), one);
    model.dispose();
  });

  it('stopAt: rows end at their first generated stop id, the rest unchanged, both paths alike', () => {
    const model = new GPT(tinyConfig('vanilla', { vocabSize: 11, nEmbd: 16, blockSize: 16 }), 26);
    randomizeParams(model, 27, 1.5);
    const prompts = randomPrompts(28, 12, 1, 6, 11);
    const full = greedyDecode(model, prompts, 10);
    const stop = full[0][prompts[0].length + 1]; // row 0's second generated id: row 0 stops early
    const expected = full.map((seq, i) => {
      const at = seq.indexOf(stop, prompts[i].length);
      return at < 0 ? seq : seq.slice(0, at + 1);
    });
    assert.ok(expected.some((s, i) => s.length < full[i].length), 'some row should stop early in this setup');
    assert.deepEqual(greedyDecode(model, prompts, 10, { stopAt: stop, batchSize: 5 }), expected);
    assert.deepEqual(greedyDecode(model, prompts, 10, { stopAt: stop, useCache: false }), expected);
    model.dispose();
  });

  it('leaks no tensors, reports progress, handles steps = 0', () => {
    const model = new GPT(tinyConfig('rope'), 29);
    const before = tf.memory().numTensors;
    const seen: number[] = [];
    greedyDecode(model, [[1, 2], [3], [4, 5, 6]], 5, { batchSize: 2, onProgress: (d) => seen.push(d) });
    greedyDecode(model, [[1, 2], [3]], 5, { useCache: false });
    assert.equal(tf.memory().numTensors, before);
    assert.deepEqual(seen, [2, 3]);
    assert.deepEqual(greedyDecode(model, [[1, 2]], 0), [[1, 2]]);
    model.dispose();
  });

  it('bad prompts and settings are refused with the reason', () => {
    const model = new GPT(tinyConfig('rope'), 30);
    assert.throws(() => greedyDecode(model, [[1], []], 3), /prompt 1 is empty/);
    assert.throws(() => greedyDecode(model, [[1, 9]], 3), /prompt 0 has id 9 at position 1, outside \[0, 7\)/);
    assert.throws(() => greedyDecode(model, [[1]], -1), /steps must be a non-negative integer/);
    assert.throws(() => greedyDecode(model, [[1]], 2, { batchSize: 0 }), /batchSize/);
    model.dispose();
  });
});
