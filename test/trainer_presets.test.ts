import * as assert from 'node:assert/strict';
import { SCALES, presetModelConfig, scalePreset, withOverrides } from '../lib/mingpt/presets';

describe('scale presets', () => {
  it('full is the course: 4 layers x 8 heads x 256 wide, block 128, dropout 0.1', () => {
    assert.deepEqual(presetModelConfig(SCALES.full, 256, 'rope'), {
      vocabSize: 256, variant: 'rope', blockSize: 128, nLayer: 4, nHead: 8, nEmbd: 256, dropout: 0.1,
    });
    assert.deepEqual(SCALES.full.pretrain, { epochs: 650, batchSize: 128, learningRate: 6e-3, decayEpochs: 650 });
    assert.deepEqual(SCALES.full.finetune, { epochsFromScratch: 75, epochsFromPretrained: 10, batchSize: 256, learningRate: 6e-4 });
    assert.equal(SCALES.full.warmupTokens, 10240);
    assert.equal(SCALES.full.finalTokensEpochs, 200);
    assert.deepEqual(SCALES.full.trainer, { shuffle: false, weightDecayOn: 'course-names' });
  });

  it("the smaller presets keep minGPT's trainer; cpu decays over a third of its pretraining, smoke once over all of it", () => {
    assert.deepEqual(SCALES.cpu.trainer, { shuffle: true, weightDecayOn: 'matmul-weights' });
    // smoke's batches of 16 go through in one pass.
    assert.deepEqual(SCALES.smoke.trainer, { shuffle: true, weightDecayOn: 'matmul-weights', microBatchSize: 16 });
    assert.equal(SCALES.smoke.trainer.microBatchSize, SCALES.smoke.pretrain.batchSize);
    assert.equal(SCALES.cpu.pretrain.decayEpochs * 3, SCALES.cpu.pretrain.epochs);
    assert.equal(SCALES.smoke.pretrain.decayEpochs, SCALES.smoke.pretrain.epochs);
  });

  it('every preset builds a valid model for both variants', () => {
    for (const p of Object.values(SCALES)) for (const v of ['vanilla', 'rope'] as const) presetModelConfig(p, 100, v);
  });

  it('overrides replace sizes for the stage being run and rename the preset', () => {
    const p = withOverrides(SCALES.smoke, { epochs: 3, nEmbd: 32 }, 'finetune');
    assert.equal(p.name, 'custom');
    assert.equal(p.model.nEmbd, 32);
    assert.equal(p.finetune.epochsFromScratch, 3);
    assert.equal(p.finetune.epochsFromPretrained, 3);
    assert.equal(p.pretrain.epochs, SCALES.smoke.pretrain.epochs);
    assert.equal(withOverrides(SCALES.cpu, {}, 'pretrain'), SCALES.cpu);
  });

  it('--decay-epochs moves final_tokens (a schedule fitted to the run) and nothing else', () => {
    const p = withOverrides(SCALES.full, { epochs: 30, decayEpochs: 30 }, 'pretrain');
    assert.equal(p.pretrain.decayEpochs, 30);
    assert.equal(p.finalTokensEpochs, 30);
    assert.deepEqual(p.trainer, SCALES.full.trainer);
    assert.equal(p.pretrain.epochs, 30);
    assert.equal(p.pretrain.learningRate, SCALES.full.pretrain.learningRate);
    assert.equal(p.warmupTokens, SCALES.full.warmupTokens);
    assert.equal(withOverrides(SCALES.full, { epochs: 30 }, 'pretrain').finalTokensEpochs, 200);
    assert.equal(withOverrides(SCALES.full, { epochs: 30 }, 'pretrain').pretrain.decayEpochs, 650);
  });

  it('names the valid scales when given a wrong one', () => {
    assert.throws(() => scalePreset('tiny'), /unknown scale "tiny": use one of smoke, cpu, full/);
  });
});
