/**
 * Birthplace evaluation: the answer is read between the first and second MASK, early stopping changes no
 * prediction, scoring is exact match on folded answers, predictions are written one per line.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initBackend } from '../lib/backend';
import { GPT } from '../lib/mingpt/model';
import { greedyDecode } from '../lib/mingpt/generate';
import { GENERATED_CHARS, extractAnswer, firstAnsweredByAll, predictBirthplaces, scorePredictions } from '../lib/eval/evaluate';
import { readPredictions, writePredictions } from '../lib/eval/predictions_file';
import { londonBaseline } from '../lib/eval/london';
import { encodePrompt } from '../lib/data/name_dataset';
import { Vocab } from '../lib/data/vocab';
import { QA } from '../lib/data/tsv';
import { randomizeParams, tinyConfig } from './model_helpers';

const qa = (question: string, answer: string, line: number): QA => ({ question, answer, line });

describe('birthplace evaluation', () => {
  const vocab = Vocab.fromCorpus('Where was Ann Lee born? Paris London Zurich\n');
  const M = vocab.maskId;
  const enc = (s: string) => vocab.encode(s);

  before(async () => {
    await initBackend();
  });

  it('the prediction is the text between the first and the second MASK', () => {
    assert.equal(extractAnswer(vocab, [...enc('Ann'), M, ...enc('Paris'), M, ...enc('Lon')]), 'Paris');
    assert.equal(extractAnswer(vocab, [...enc('Ann'), M, ...enc('Lon')]), 'Lon', 'no second MASK: up to the end');
    assert.equal(extractAnswer(vocab, [...enc('Ann'), M, M, ...enc('a')]), '', 'MASK right away: empty');
    assert.equal(extractAnswer(vocab, enc('Ann')), '', 'no MASK at all: empty');
    assert.equal(extractAnswer(vocab, [M, ...enc('Lee'), 0, 0, M]), 'Lee\u25A1\u25A1', 'PAD is kept as its symbol, as the course does');
  });

  it('predictBirthplaces = the answer in 32 greedy characters; stopping at the MASK changes nothing', () => {
    const model = new GPT(tinyConfig('vanilla', { vocabSize: vocab.size, nEmbd: 16, blockSize: 64 }), 65);
    randomizeParams(model, 66, 1.5);
    const questions = ['Where was Ann born?', 'Where was Lee born?', 'Where was Ann Lee born?', 'Where  was Ann born? '];
    const full = greedyDecode(model, questions.map((q) => encodePrompt(vocab, q)), GENERATED_CHARS);
    const expected = full.map((ids) => extractAnswer(vocab, ids));
    assert.ok(full.some((ids) => ids.filter((id) => id === vocab.maskId).length >= 2), 'some row writes its closing MASK early');
    const seen: number[] = [];
    assert.deepEqual(predictBirthplaces(model, vocab, questions, { onProgress: (d) => seen.push(d) }), expected);
    assert.deepEqual(predictBirthplaces(model, vocab, questions, { useCache: false }), expected);
    assert.equal(seen[seen.length - 1], 4);
    assert.throws(() => predictBirthplaces(model, Vocab.fromCorpus('ab'), questions), /vocabulary has 4 characters, the model \d+/);
    model.dispose();
  });

  it('scoring: exact match against the folded, trimmed answer', () => {
    const pairs = [qa('Where was A born?', 'Paris', 1), qa('Where was B born?', 'Zürich', 2), qa('Where was C born?', 'London', 3), qa('Where was D born?', 'Rome', 4)];
    const r = scorePredictions(['Paris', 'Zurich', 'london', 'Rome '], pairs);
    assert.equal(r.correct, 2, 'Paris and Zurich (= folded Zürich); not "london" (case), not "Rome " (space)');
    assert.equal(r.total, 4);
    assert.equal(r.accuracy, 0.5);
    assert.throws(() => scorePredictions(['Paris'], pairs), /1 predictions for 4 question\/answer pairs/);
  });

  it('firstAnsweredByAll: the first question some models answer right and others wrong', () => {
    const pairs = [qa('q1', 'Paris', 1), qa('q2', 'Zürich', 2), qa('q3', 'Rome', 3), qa('q4', 'Oslo', 4)];
    const rope = ['Paris', 'Zurich', 'Rome', 'Oslo'];
    const vanilla = ['Paris', 'Bern', 'Rome', 'Oslo'];
    const scratch = ['Paris', 'Zurich', 'Milan', 'Oslo'];
    assert.equal(firstAnsweredByAll(pairs, [rope, vanilla]), 0);
    assert.equal(firstAnsweredByAll(pairs, [rope, vanilla], [scratch]), 2, 'q1 and q4: the scratch model is right too; q2: vanilla is wrong');
    assert.equal(firstAnsweredByAll(pairs, [rope], [vanilla]), 1, 'the folded Zürich');
    assert.equal(firstAnsweredByAll(pairs, [vanilla], [rope]), -1);
    assert.equal(firstAnsweredByAll(pairs, [rope, vanilla], [], new Set([1, 3])), 3, 'only among q2 and q4: vanilla misses q2');
    assert.equal(firstAnsweredByAll(pairs, [rope, vanilla], [scratch], new Set([0, 1, 3])), -1);
    assert.throws(() => firstAnsweredByAll(pairs, [rope], [['Paris']]), /1 predictions for 4 questions/);
  });

  it('the London baseline on a hand-made list', () => {
    const pairs = [qa('q1', 'London', 1), qa('q2', 'Paris', 2), qa('q3', 'London', 3), qa('q4', 'Londonderry', 4), qa('q5', 'Rome', 5)];
    const r = londonBaseline(pairs);
    assert.deepEqual(r.predictions, ['London', 'London', 'London', 'London', 'London']);
    assert.equal(r.correct, 2);
    assert.equal(r.accuracy, 0.4);
  });

  it('predictions are written one per line, a line break or backslash inside one escaped, and read back exactly', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'preds-'));
    const file = path.join(dir, 'sub', 'dev.predictions');
    writePredictions(file, ['Paris', '', 'London']);
    assert.equal(fs.readFileSync(file, 'utf8'), 'Paris\n\nLondon\n');
    const odd = ['a', 'b\nc', 'd\\n', 'e\r\n', 'Rome'];
    writePredictions(file, odd);
    assert.equal(fs.readFileSync(file, 'utf8'), 'a\nb\\nc\nd\\\\n\ne\\r\\n\nRome\n', 'five lines for five answers');
    assert.deepEqual(readPredictions(file), odd);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
