/**
 * answerProfile: accuracy beside what the same answers would score if dealt to the questions at random,
 * derived by hand on small cases.
 */
import * as assert from 'node:assert/strict';
import { answerProfile, chanceOfDoingAsWell } from '../lib/eval/answers';
import { QA } from '../lib/data/tsv';

const pairs = (...answers: string[]): QA[] => answers.map((answer, i) => ({ question: `Where was P${i} born?`, answer, line: i + 1 }));

describe('answerProfile', () => {
  it('counts correct answers and the expected count of a random deal, by hand', () => {
    // gold A A B C, predicted A B B A: right at 0 and 2. Dealt at random: A is given 2 times and is the gold of 2
    // questions, B 2 times and gold of 1: (2*2 + 2*1) / 4 = 1.5 expected.
    const p = answerProfile(['A', 'B', 'B', 'A'], pairs('A', 'A', 'B', 'C'));
    assert.equal(p.total, 4);
    assert.equal(p.correct, 2);
    assert.equal(p.byChance, 1.5);
    assert.equal(p.distinct, 2);
    assert.deepEqual(p.top, [{ answer: 'A', count: 2, correct: 1 }, { answer: 'B', count: 2, correct: 1 }]);
  });

  it('puts a one-answer baseline exactly on chance, and a perfect model far above it', () => {
    const gold = pairs('London', 'Paris', 'London', 'Rome', 'Oslo');
    const london = answerProfile(['London', 'London', 'London', 'London', 'London'], gold);
    assert.equal(london.correct, 2);
    assert.equal(london.byChance, 2);
    const perfect = answerProfile(['London', 'Paris', 'London', 'Rome', 'Oslo'], gold, 2);
    assert.equal(perfect.correct, 5);
    assert.equal(perfect.byChance, (2 * 2 + 1 + 1 + 1) / 5);
    assert.deepEqual(perfect.top.map((t) => t.answer), ['London', 'Paris'], 'most frequent first, ties in order of appearance');
  });

  it('compares with the folded gold answer, as the scoring does', () => {
    const p = answerProfile(['Sao Paulo', 'Zurich'], pairs('São Paulo', ' Zürich '));
    assert.equal(p.correct, 2);
    assert.equal(p.byChance, 1);
  });

  it('names the mismatch when the lengths differ', () => {
    assert.throws(() => answerProfile(['A'], pairs('A', 'B')), /answerProfile: 1 predictions for 2 question\/answer pairs/);
    assert.throws(() => chanceOfDoingAsWell(['A'], pairs('A', 'B')), /chanceOfDoingAsWell: 1 predictions for 2 question\/answer pairs/);
  });

  it('chanceOfDoingAsWell: 1 for a one-answer baseline, tiny for answers that follow the question, seeded', () => {
    const gold = pairs(...Array.from({ length: 40 }, (_, i) => `Town${i % 8}`));
    const london = gold.map(() => 'Town0');
    // Every deal of one answer scores the same, so every round does as well: (2000 + 1) / (2000 + 1).
    assert.equal(chanceOfDoingAsWell(london, gold), 1);
    // All 40 right: a random deal of 8 answers x 5 gets all 40 with probability (5!^8)/40!, i.e. never here.
    const perfect = gold.map((p) => p.answer);
    assert.equal(chanceOfDoingAsWell(perfect, gold, { rounds: 999 }), 1 / 1000);
    // Town0 everywhere but two right answers (Town1, Town2): a deal does as well only when both land on one of
    // their 5 questions, probability 5/40 * 5/39 = 0.0160.
    const two = gold.map((p, i) => (i === 1 || i === 2 ? p.answer : 'Town0'));
    const p1 = chanceOfDoingAsWell(two, gold, { rounds: 20000, seed: 3 });
    assert.ok(Math.abs(p1 - 25 / 1560) < 0.003, `p = ${p1}, expected about ${25 / 1560}`);
    assert.equal(chanceOfDoingAsWell(two, gold, { rounds: 20000, seed: 3 }), p1, 'the same seed gives the same value');
    assert.notEqual(chanceOfDoingAsWell(two, gold, { rounds: 20000, seed: 4 }), p1);
    assert.throws(() => chanceOfDoingAsWell(two, gold, { rounds: 0 }), /rounds must be a positive integer, got 0/);
  });
});
