/**
 * Graded tests of the two training setups a student writes (lib/mingpt/setups.ts): the dataset and the
 * hyperparameters of pretraining and of finetuning, checked against the course's values, plus a tiny
 * finetuning run that must lower the loss.
 */
import * as assert from 'node:assert/strict';
import { initBackend } from '../../lib/backend';
import { finetuningSetup, pretrainingSetup } from '../../lib/mingpt/setups';
import { SCALES, presetModelConfig, withOverrides } from '../../lib/mingpt/presets';
import { learningRateAt } from '../../lib/mingpt/schedule';
import { Trainer } from '../../lib/mingpt/trainer';
import { datasetBatches } from '../../lib/mingpt/batches';
import { GPT } from '../../lib/mingpt/model';
import { CharCorruptionDataset } from '../../lib/data/char_corruption';
import { NameDataset } from '../../lib/data/name_dataset';
import { Vocab } from '../../lib/data/vocab';
import type { QA } from '../../lib/data/tsv';
import { Rng } from '../../lib/util/random';

const PEOPLE: [string, string][] = [
  ['Ada Brix', 'Paris'], ['Bo Chen', 'Lima'], ['Cy Dorn', 'Oslo'], ['Di Eck', 'Rome'], ['Ed Fay', 'Paris'],
  ['Flo Gin', 'Oslo'], ['Gus Hay', 'Lima'], ['Hal Ito', 'Rome'],
];
const TEXT = PEOPLE.map(([n, p]) => `${n}. Where was ${n} born? ${n} was born in ${p} and lived a quiet life there.`).join('\n');
const PAIRS: QA[] = PEOPLE.map(([n, p], i) => ({ question: `Where was ${n} born?`, answer: p, line: i + 1 }));
const vocab = Vocab.fromCorpus(TEXT);
const full = SCALES.full;

describe('part: pretraining', () => {
  it('[2 pts] builds the course pretraining hyperparameters with the full preset', () => {
    const { dataset, trainer } = pretrainingSetup(full, vocab, TEXT, 3);
    assert.equal(trainer.maxEpochs, 650);
    assert.equal(trainer.batchSize, 128);
    assert.equal(trainer.learningRate, 6e-3);
    assert.equal(trainer.decay, true);
    assert.equal(trainer.warmupTokens, 512 * 20);
    assert.equal(trainer.finalTokens, 650 * dataset.length * 128);
    assert.deepEqual(trainer.betas, [0.9, 0.95]);
    assert.equal(trainer.gradNormClip, 1.0);
    assert.equal(trainer.weightDecay, 0.1);
    assert.equal(trainer.shuffle, false);
    assert.equal(trainer.weightDecayOn, 'course-names');
    assert.equal(trainer.seed, 3);
  });

  it('[1 pts] pretrains on span-corruption examples of the whole text, at the preset block size', () => {
    const { dataset } = pretrainingSetup(full, vocab, TEXT, 0);
    assert.ok(dataset instanceof CharCorruptionDataset);
    assert.equal(dataset.length, PEOPLE.length);
    const ex = dataset.example(0, new Rng(1));
    assert.equal(ex.x.length, 127);
    assert.ok(ex.x.includes(vocab.maskId), 'a corrupted example contains MASK');
  });

  it('[1 pts] gives the course learning rates along the way (hand-computed)', () => {
    const { trainer } = pretrainingSetup(full, vocab, TEXT, 0);
    // 8 documents: final_tokens = 650 * 8 * 128 = 665600; warm-up 10240.
    assert.equal(learningRateAt(5120, trainer), 3e-3); // half way up the warm-up
    assert.ok(Math.abs(learningRateAt(10240 + (665600 - 10240) / 2, trainer) - 3e-3) < 1e-12); // cos(pi/2)
    assert.ok(Math.abs(learningRateAt(665600, trainer) - 6e-4) < 1e-12); // the 10% floor at final_tokens
  });
});

describe('part: finetuning', () => {
  it('[2 pts] finetunes from scratch with the course hyperparameters (75 epochs)', () => {
    const { dataset, trainer } = finetuningSetup(full, vocab, PAIRS, 2938, false, 1);
    assert.ok(dataset instanceof NameDataset);
    assert.equal(dataset.length, PAIRS.length);
    assert.equal(trainer.maxEpochs, 75);
    assert.equal(trainer.batchSize, 256);
    assert.equal(trainer.learningRate, 6e-4);
    assert.equal(trainer.decay, true);
    assert.equal(trainer.warmupTokens, 10240);
    assert.equal(trainer.weightDecay, 0.1);
    assert.equal(trainer.shuffle, false);
    assert.equal(trainer.weightDecayOn, 'course-names');
    assert.equal(trainer.seed, 1);
  });

  it('[1 pts] finetunes a pretrained model for 10 epochs', () => {
    const { trainer } = finetuningSetup(full, vocab, PAIRS, 2938, true, 1);
    assert.equal(trainer.maxEpochs, 10);
    assert.equal(trainer.batchSize, 256);
    assert.equal(trainer.learningRate, 6e-4);
  });

  it('[1 pts] sizes the schedule by the pretraining dataset, as the course does', () => {
    assert.equal(finetuningSetup(full, vocab, PAIRS, 2938, true, 1).trainer.finalTokens, 200 * 2938 * 128);
    assert.equal(finetuningSetup(full, vocab, PAIRS, 100, false, 1).trainer.finalTokens, 200 * 100 * 128);
  });

  it('[2 pts] a tiny finetuning run lowers the loss', async function () {
    this.timeout(60000);
    await initBackend();
    const tiny = withOverrides(SCALES.smoke, { nLayer: 1, nHead: 2, nEmbd: 32, blockSize: 32, epochs: 40, batchSize: 8, learningRate: 3e-3 }, 'finetune');
    const { dataset, trainer: config } = finetuningSetup(tiny, vocab, PAIRS, PEOPLE.length, false, 5);
    const model = new GPT(presetModelConfig(tiny, vocab.size, 'vanilla'), 5);
    const trainer = new Trainer(model, datasetBatches(dataset), config);
    const r = await trainer.train();
    const first = r.curve.slice(0, 3).reduce((a, p) => a + p.loss, 0) / 3;
    const last = r.curve.slice(-3).reduce((a, p) => a + p.loss, 0) / 3;
    assert.ok(last < 0.6 * first, `loss went from ${first.toFixed(3)} to ${last.toFixed(3)}`);
    trainer.dispose();
    model.dispose();
  });
});
