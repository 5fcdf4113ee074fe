import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/backend';
import { GPT } from '../lib/mingpt/model';
import { Vocab } from '../lib/data/vocab';
import { personOf, recallItems, recallProbe, storedAndRetrieved, visibleChars } from '../lib/eval/recall';

const TEXT = [
  'Ada Lovel was a writer. She was born in Rome and lived in Oslo.',
  'Paris Kim, born in Paris, is a painter.',
  'Bo Chen is a long-winded person whose line talks and talks before it says born in Lima.',
  'Zed Ray was born in Quito.',
].join('\n');
const dev = [
  { question: 'Where was Ada Lovel born?', answer: 'Rome' },
  { question: 'Where was Paris Kim born?', answer: 'Paris' }, // the answer is also in the name: searched after it
  { question: 'Where was Bo Chen born?', answer: 'Lima' }, // ends at character 86
  { question: 'Where was Nobody born?', answer: 'Rome' }, // no line
  { question: 'Where was Zed Ray born?', answer: 'Lima' }, // line does not spell it
];

describe('recall probe (does the pretrained model hold the birthplace?)', () => {
  before(async () => {
    await initBackend();
  });

  it('personOf reads NAME from the question and names a malformed one', () => {
    assert.equal(personOf('Where was Ada Lovel born?'), 'Ada Lovel');
    assert.throws(() => personOf('Who is Ada?'), /question "Who is Ada\?" is not of the form "Where was NAME born\?"/);
  });

  it('visibleChars is the longest truncation of span corruption, floor(7B/8)', () => {
    assert.equal(visibleChars(128), 112);
    assert.equal(visibleChars(9), 7);
  });

  it('recallItems cuts each line before the answer, after the name, inside the window; counts the rest', () => {
    const wide = recallItems(TEXT, dev, 112);
    assert.deepEqual(wide.items.map((i) => [i.dev, i.prefix]), [
      [0, 'Ada Lovel was a writer. She was born in '],
      [1, 'Paris Kim, born in '],
      [2, 'Bo Chen is a long-winded person whose line talks and talks before it says born in '],
    ]);
    assert.equal(wide.notInText, 2);
    assert.equal(wide.outsideWindow, 0);
    // "Lima" ends at character 86 of its line: a window of 85 leaves it out, 86 keeps it.
    assert.equal(recallItems(TEXT, dev, 85).outsideWindow, 1);
    assert.equal(recallItems(TEXT, dev, 86).outsideWindow, 0);
    assert.throws(() => recallItems(TEXT, dev, 0), /window must be a positive integer, got 0/);
  });

  it('a model that memorised the lines recalls every birthplace; an untrained one gives answer-long continuations', () => {
    const lines = TEXT.split('\n').slice(0, 2);
    const vocab = Vocab.fromCorpus(TEXT);
    const model = new GPT({ vocabSize: vocab.size, blockSize: 64, nLayer: 1, nHead: 2, nEmbd: 32, dropout: 0, variant: 'rope' }, 3);
    const items = recallItems(lines.join('\n'), dev.slice(0, 2), 56).items;
    assert.equal(items.length, 2);
    const untrained = recallProbe(model, vocab, items);
    assert.deepEqual(untrained.continuations.map((c) => [...c].length), [4, 5]);
    assert.equal(untrained.correct, untrained.continuations.filter((c, i) => c.startsWith(items[i].answer)).length);

    // Memorise the two lines (next-character loss on each, Adam) until the loss is near zero.
    const width = Math.max(...lines.map((l) => l.length));
    const ids = lines.map((l) => [...vocab.encode(l), ...new Array(width - l.length).fill(0)]);
    const x = tf.tensor2d(ids.map((r) => r.slice(0, -1)), [2, width - 1], 'int32');
    const y = tf.tensor2d(ids.map((r) => r.slice(1)), [2, width - 1], 'int32');
    const opt = tf.train.adam(0.02);
    let loss = Infinity;
    for (let step = 0; step < 300 && loss > 0.01; step++) {
      const l = opt.minimize(() => model.loss(x, y), true) as tf.Scalar;
      loss = l.dataSync()[0];
      l.dispose();
    }
    assert.ok(loss < 0.05, `memorisation loss ${loss}`);
    const trained = recallProbe(model, vocab, items);
    assert.deepEqual(trained.continuations, ['Rome', 'Paris']);
    assert.equal(trained.correct, 2);
    assert.equal(trained.accuracy, 1);
    tf.dispose([x, y]);
    opt.dispose();
    model.dispose();
  });

  it('storedAndRetrieved splits the probed people by recall and counts the finetuned hits in each part', () => {
    const answers = [{ answer: 'Rome' }, { answer: 'Paris' }, { answer: 'Zürich' }, { answer: 'Lima' }, { answer: 'Oslo' }];
    const probed = [
      { dev: 0, answer: 'Rome', continuation: 'Rome' }, // recalled, answered
      { dev: 1, answer: 'Paris', continuation: 'Paris, ' }, // recalled (the continuation starts with it), missed after finetuning
      { dev: 2, answer: 'Zürich', continuation: 'Zagreb' }, // not recalled, answered (folded as evaluate folds it)
      { dev: 3, answer: 'Lima', continuation: 'Lyon' }, // neither
    ];
    // Dev line 4 is answered but was not probed: it counts nowhere.
    const predictions = ['Rome', 'London', 'Zurich', 'Lim', 'Oslo'];
    assert.deepEqual(storedAndRetrieved(probed, predictions, answers), { recalled: 2, recalledAnswered: 1, missed: 2, missedAnswered: 1 });
    assert.throws(() => storedAndRetrieved(probed, predictions.slice(1), answers), /storedAndRetrieved: 4 predictions for 5 dev questions/);
    assert.throws(() => storedAndRetrieved([{ dev: 5, answer: 'Rome', continuation: 'Rome' }], predictions, answers), /probed dev line 5 is outside the 5 dev questions/);
    assert.throws(() => storedAndRetrieved([{ dev: 1, answer: 'Rome', continuation: 'Rome' }], predictions, answers), /probed dev line 1 has answer "Rome", the dev set "Paris"/);
  });

  it('names a vocabulary that does not fit the model', () => {
    const model = new GPT({ vocabSize: 10, blockSize: 16, nLayer: 1, nHead: 1, nEmbd: 8, dropout: 0, variant: 'vanilla' }, 0);
    assert.throws(() => recallProbe(model, Vocab.fromCorpus(TEXT), []), /recallProbe: vocabulary has \d+ characters, the model 10/);
    model.dispose();
  });
});
