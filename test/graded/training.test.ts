/**
 * Graded tests of the two training setups a student writes (lib/mingpt/setups.ts): the dataset and the
 * hyperparameters of pretraining and of finetuning, checked against the course's values, plus a tiny
 * finetuning run that must lower the loss.
 */
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
import { expectFields, expectThat, num } from './check';

const PEOPLE: [string, string][] = [
  ['Ada Brix', 'Paris'], ['Bo Chen', 'Lima'], ['Cy Dorn', 'Oslo'], ['Di Eck', 'Rome'], ['Ed Fay', 'Paris'],
  ['Flo Gin', 'Oslo'], ['Gus Hay', 'Lima'], ['Hal Ito', 'Rome'],
];
const TEXT = PEOPLE.map(([n, p]) => `${n}. Where was ${n} born? ${n} was born in ${p} and lived a quiet life there.`).join('\n');
const PAIRS: QA[] = PEOPLE.map(([n, p], i) => ({ question: `Where was ${n} born?`, answer: p, line: i + 1 }));
const vocab = Vocab.fromCorpus(TEXT);
const full = SCALES.full;

const fieldsOf = (trainer: object): Record<string, unknown> => ({ ...trainer });

describe('part: pretraining', () => {
  it('[2 pts] builds the course pretraining hyperparameters with the full preset', () => {
    const { dataset, trainer } = pretrainingSetup(full, vocab, TEXT, 3);
    expectFields(fieldsOf(trainer), {
      maxEpochs: 650, batchSize: 128, learningRate: 6e-3, decay: true, warmupTokens: 512 * 20, finalTokens: 650 * dataset.length * 128,
      betas: [0.9, 0.95], gradNormClip: 1.0, weightDecay: 0.1, shuffle: false, weightDecayOn: 'course-names', seed: 3,
    }, {
      call: `pretrainingSetup(SCALES.full, vocab, a text of ${dataset.length} documents, seed 3).trainer`,
      hint: 'take the numbers from the preset (preset.pretrain, preset.warmupTokens, preset.trainer) and final_tokens = decayEpochs * documents * block_size.',
    });
  });

  it('[1 pts] pretrains on span-corruption examples of the whole text, at the preset block size', () => {
    const { dataset } = pretrainingSetup(full, vocab, TEXT, 0);
    const call = `pretrainingSetup(SCALES.full, vocab, a text of ${PEOPLE.length} lines, 0).dataset`;
    expectThat(dataset instanceof CharCorruptionDataset, { call, expected: 'a CharCorruptionDataset', got: dataset.constructor.name });
    expectThat(dataset.length === PEOPLE.length, { call: `${call}.length`, expected: String(PEOPLE.length), got: String(dataset.length) });
    const ex = dataset.example(0, new Rng(1));
    expectThat(ex.x.length === 127, { call: `${call}.example(0).x.length`, expected: '127 (block size 128, minus one)', got: String(ex.x.length) });
    expectThat(ex.x.includes(vocab.maskId), { call: `${call}.example(0).x`, expected: 'a MASK in a corrupted example', got: vocab.decode(ex.x) });
  });

  it('[1 pts] gives the course learning rates along the way (hand-computed)', () => {
    const { trainer } = pretrainingSetup(full, vocab, TEXT, 0);
    // 8 documents: final_tokens = 650 * 8 * 128 = 665600; warm-up 10240.
    const at = [5120, 10240 + (665600 - 10240) / 2, 665600];
    const got = at.map((tokens) => learningRateAt(tokens, trainer));
    const expected = [3e-3, 3e-3, 6e-4];
    expectThat(got.every((v, i) => Math.abs(v - expected[i]) < 1e-12), {
      call: `learningRateAt(tokens, pretrainingSetup(SCALES.full, vocab, 8 documents, 0).trainer) at tokens = ${at.join(', ')}`,
      expected: `${expected.map(num).join(', ')} (half-way up the warm-up, cos(pi/2) of the decay, the 10% floor)`,
      got: got.map(num).join(', '),
      hint: 'the schedule reads warmupTokens and finalTokens from the trainer config: check those two.',
    });
  });
});

describe('part: finetuning', () => {
  it('[2 pts] finetunes from scratch with the course hyperparameters (75 epochs)', () => {
    const { dataset, trainer } = finetuningSetup(full, vocab, PAIRS, 2938, false, 1);
    const call = `finetuningSetup(SCALES.full, vocab, ${PAIRS.length} pairs, pretrainDatasetLength 2938, fromPretrained false, seed 1)`;
    expectThat(dataset instanceof NameDataset && dataset.length === PAIRS.length, { call: `${call}.dataset`, expected: `a NameDataset of the ${PAIRS.length} pairs`, got: `${dataset.constructor.name} of ${dataset.length}` });
    expectFields(fieldsOf(trainer), {
      maxEpochs: 75, batchSize: 256, learningRate: 6e-4, decay: true, warmupTokens: 10240, weightDecay: 0.1, shuffle: false, weightDecayOn: 'course-names', seed: 1,
    }, { call: `${call}.trainer`, hint: 'from scratch the course finetunes for preset.finetune.epochsFromScratch epochs.' });
  });

  it('[1 pts] finetunes a pretrained model for 10 epochs', () => {
    const { trainer } = finetuningSetup(full, vocab, PAIRS, 2938, true, 1);
    expectFields(fieldsOf(trainer), { maxEpochs: 10, batchSize: 256, learningRate: 6e-4 }, {
      call: 'finetuningSetup(SCALES.full, vocab, pairs, 2938, fromPretrained true, 1).trainer',
      mistakes: [{ value: { ...fieldsOf(trainer), maxEpochs: 75 }, hint: 'fromPretrained is true: a pretrained model is finetuned for preset.finetune.epochsFromPretrained epochs.' }],
    });
  });

  it('[1 pts] sizes the schedule by the pretraining dataset, as the course does', () => {
    const a = finetuningSetup(full, vocab, PAIRS, 2938, true, 1).trainer.finalTokens;
    const b = finetuningSetup(full, vocab, PAIRS, 100, false, 1).trainer.finalTokens;
    expectThat(a === 200 * 2938 * 128 && b === 200 * 100 * 128, {
      call: 'finetuningSetup(SCALES.full, ..., pretrainDatasetLength = 2938 / 100, ...).trainer.finalTokens',
      expected: `${200 * 2938 * 128} and ${200 * 100 * 128} (200 epochs x pretraining documents x 128)`,
      got: `${a} and ${b}`,
      hint: a === 200 * PAIRS.length * 128 ? 'final_tokens counts the pretraining documents (pretrainDatasetLength), not the finetuning pairs.' : undefined,
    });
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
    trainer.dispose();
    model.dispose();
    expectThat(last < 0.6 * first, {
      call: 'a 1-layer GPT finetuned with finetuningSetup(tiny preset: 40 epochs, batch 8, lr 3e-3) on 8 pairs, seed 5: mean loss of the last 3 steps against the first 3',
      expected: `below 0.6 x ${first.toFixed(3)} = ${(0.6 * first).toFixed(3)}`,
      got: last.toFixed(3),
    });
  });
});
