import * as assert from 'node:assert/strict';
import { learningRateAt, lrMultiplier, tokensInBatch, validateSchedule } from '../lib/mingpt/schedule';

// The course's finetuning schedule shape: warmup 512 * 20 = 10240 tokens; final chosen so final - warmup = 90000.
const s = { learningRate: 6e-4, decay: true, warmupTokens: 10240, finalTokens: 100240 };

describe('learning-rate schedule', () => {
  it('warms up linearly from zero', () => {
    assert.equal(lrMultiplier(0, s), 0);
    assert.equal(lrMultiplier(2560, s), 0.25);
    assert.equal(learningRateAt(5120, s), 3e-4);
  });

  it('follows a half cosine after the warm-up', () => {
    assert.equal(lrMultiplier(10240, s), 1); // cos(0) = 1
    // a third of the way: (1 + cos(pi/3)) / 2 = 0.75; half way: (1 + cos(pi/2)) / 2 = 0.5
    assert.ok(Math.abs(lrMultiplier(10240 + 30000, s) - 0.75) < 1e-12);
    assert.ok(Math.abs(learningRateAt(10240 + 45000, s) - 3e-4) < 1e-15);
    // 80%: (1 + cos(0.8 pi)) / 2 = (1 - 0.809017) / 2 = 0.0954915 < 0.1, so the floor applies
    assert.equal(lrMultiplier(10240 + 72000, s), 0.1);
    // 70%: (1 + cos(0.7 pi)) / 2 = (1 - 0.587785) / 2 = 0.2061074
    assert.ok(Math.abs(lrMultiplier(10240 + 63000, s) - 0.2061074) < 1e-7);
  });

  it('holds the 10% floor around final_tokens, then climbs the cosine again as minGPT does', () => {
    assert.equal(lrMultiplier(100240, s), 0.1); // progress 1: cos(pi) = -1
    assert.equal(lrMultiplier(10240 + 1.2 * 90000, s), 0.1); // (1 + cos(1.2 pi)) / 2 = 0.0955 < 0.1
    // progress 1.5: (1 + cos(1.5 pi)) / 2 = 0.5; progress 2: back at the peak
    assert.ok(Math.abs(lrMultiplier(10240 + 1.5 * 90000, s) - 0.5) < 1e-12);
    assert.ok(Math.abs(learningRateAt(10240 + 2 * 90000, s) - 6e-4) < 1e-15);
  });

  it('stays at 10% after final_tokens when clamped', () => {
    const clamped = { ...s, clampProgress: true };
    assert.equal(lrMultiplier(10240 + 1.5 * 90000, clamped), 0.1);
    assert.ok(Math.abs(learningRateAt(1e9, clamped) - 6e-5) < 1e-18);
    assert.ok(Math.abs(lrMultiplier(10240 + 30000, clamped) - 0.75) < 1e-12); // unchanged before final
  });

  it('is constant without decay', () => {
    assert.equal(learningRateAt(0, { ...s, decay: false }), 6e-4);
    assert.equal(learningRateAt(1e9, { ...s, decay: false }), 6e-4);
  });

  it('counts every target position of the padded rows, as the course does, or only real ones', () => {
    // course rows are block_size - 1 = 127 wide; a batch trimmed to 40 columns still counts 256 * 127
    assert.equal(tokensInBatch('block', { batchSize: 256, time: 40, paddedTime: 127, usefulTokens: 1000 }), 32512);
    assert.equal(tokensInBatch('block', { batchSize: 2, time: 8, usefulTokens: 9 }), 16);
    assert.equal(tokensInBatch('useful', { batchSize: 256, time: 40, paddedTime: 127, usefulTokens: 1000 }), 1000);
  });

  it('rejects a schedule that ends before its warm-up', () => {
    assert.throws(() => validateSchedule({ ...s, finalTokens: 100 }), /finalTokens \(100\) must exceed warmupTokens \(10240\)/);
    assert.throws(() => validateSchedule({ ...s, learningRate: -1 }), /learningRate must be a positive number/);
  });
});
