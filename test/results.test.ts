/**
 * Notebook 8's picks from the records (lib/results): lineage by id, the table's choice per row, accuracy against
 * compute, the recall probe crossed with the answers, answer profiles, the finetuning sweep, and the sections'
 * tables, figures and sentences.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { RECORD_FORMAT, RunRecord, writeRunRecord } from '../lib/results/record';
import { Results, loadResults } from '../lib/results/load';
import { COURSE_ACCURACY, computeSeries, courseTokens, guessProfiles, isCourseRecipe, recallPoints, recordScore, tableOf } from '../lib/results/pick';
import { seOfDifference } from '../lib/eval/score';
import { bestTrial, heldOutTrials, overrideFlags, sweepOutcome } from '../lib/results/finetune_sweep';
import { computeSection, formatCount, gap, recallSection, resultsTable, sweepSection } from '../lib/results/format';
import type { QA } from '../lib/data/tsv';

const t = (minute: number): string => new Date(Date.UTC(2026, 0, 1, 10, minute)).toISOString();

/** Records written to a folder as the CLI writes them, each with an id and its parent's. */
class Lab {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mingpt-results-'));
  private n = 0;
  add(r: Partial<RunRecord> & Pick<RunRecord, 'verb'>, predictions?: string[]): RunRecord {
    const full: RunRecord = {
      format: RECORD_FORMAT, id: `r${String(++this.n).padStart(3, '0')}`, corpus: 'synthetic', seed: 0, backend: 'wasm', commit: 'abc',
      startedAt: t(this.n), wallSeconds: 1, files: {}, ...r,
    };
    writeRunRecord(path.join(this.dir, full.corpus), full);
    if (predictions) fs.mkdirSync(path.join(this.dir, full.corpus, 'predictions'), { recursive: true });
    if (predictions) fs.writeFileSync(path.join(this.dir, full.corpus, 'predictions', `${full.id}.txt`), predictions.map((p) => p + '\n').join(''));
    return full;
  }
  /** pretrain -> finetune -> evaluate; returns the three records. */
  chain(o: { variant: 'vanilla' | 'rope'; tokens: number; correct: number; total?: number; preset?: string; pretrainOverrides?: Record<string, number>;
    finetuneOverrides?: Record<string, number>; snapshot?: { epoch: number; ofEpochs: number }; run?: string; corpus?: 'real' | 'synthetic'; predictions?: string[] }): RunRecord[] {
    const base = o.preset ?? 'smoke';
    const corpus = o.corpus ?? 'synthetic';
    const epochs = o.snapshot?.epoch ?? 4;
    const pre = this.add({
      verb: 'pretrain', variant: o.variant, corpus, preset: { base, overrides: o.pretrainOverrides ?? {} }, tokens: o.tokens, ...(o.snapshot ? { snapshot: o.snapshot, completed: false } : { completed: true }),
      curve: Array.from({ length: epochs }, (_, i) => ({ epoch: i + 1, tokens: (o.tokens * (i + 1)) / epochs, loss: 3 - i / epochs, lr: 1e-3 })),
      ...(o.run ? { run: o.run } : {}),
    });
    const ft = this.add({ verb: 'finetune', variant: o.variant, corpus, parent: pre.id, preset: { base, overrides: o.finetuneOverrides ?? {} }, tokens: 5000 });
    const total = o.total ?? 40;
    const ev = this.add({
      verb: 'evaluate', row: o.variant === 'rope' ? 'rope-pretrain' : 'vanilla-pretrain', variant: o.variant, corpus, parent: ft.id,
      accuracy: o.correct / total, correct: o.correct, total,
    }, o.predictions);
    return [pre, ft, ev];
  }
  results(): Results {
    return loadResults(this.dir);
  }
}

describe('results (lib/results)', () => {
  const labs: Lab[] = [];
  const lab = (): Lab => {
    const l = new Lab();
    labs.push(l);
    return l;
  };
  after(() => labs.forEach((l) => fs.rmSync(l.dir, { recursive: true, force: true })));

  it('follows an evaluation to its finetuning and pretraining by parent ids, across subfolders', () => {
    const l = lab();
    const [pre, ft, ev] = l.chain({ variant: 'vanilla', tokens: 1e6, correct: 20 });
    const scratch = l.add({ verb: 'finetune', variant: 'vanilla', corpus: 'real', preset: { base: 'full', overrides: {} } });
    const results = l.results();
    assert.deepEqual(results.chainOf(results.get(ev.id)!), { finetune: results.get(ft.id), pretrain: results.get(pre.id) });
    assert.deepEqual(results.chainOf(results.get(scratch.id)!), { finetune: results.get(scratch.id) });
    assert.deepEqual(results.childrenOf(pre).map((r) => r.id), [ft.id]);
    assert.equal(results.fileOf(ev), path.join(l.dir, 'synthetic', `${ev.id}.json`));
    assert.deepEqual(results.records.map((r) => r.id), [pre.id, ft.id, ev.id, scratch.id], 'oldest first');
  });

  it('picks per row the course recipe first, then the most pretraining, then the latest, and keeps corpora apart', () => {
    const l = lab();
    l.add({ verb: 'london', row: 'london', corpus: 'real', accuracy: 0.05, correct: 25, total: 500 });
    const london = l.add({ verb: 'london', row: 'london', corpus: 'real', accuracy: 0.05, correct: 25, total: 500 });
    // RoPE: a long smoke run, a short course-recipe run cut at 30 epochs, a whole course run with a tuned finetuning.
    l.chain({ variant: 'rope', corpus: 'real', tokens: 9e6, correct: 30, total: 500 });
    const [, , cut] = l.chain({ variant: 'rope', corpus: 'real', preset: 'full', pretrainOverrides: { epochs: 30 }, tokens: 1e6, correct: 10, total: 500 });
    l.chain({ variant: 'rope', corpus: 'real', preset: 'full', tokens: 8e6, correct: 200, total: 500, finetuneOverrides: { epochs: 20 } });
    // Vanilla: the earlier recipe of the full preset (its differences are overrides), and a snapshot of the course's.
    l.chain({ variant: 'vanilla', corpus: 'real', preset: 'full', pretrainOverrides: { shuffle: 1 }, tokens: 8e6, correct: 20, total: 500 });
    const [, , snap] = l.chain({ variant: 'vanilla', corpus: 'real', preset: 'full', tokens: 2e6, correct: 7, total: 500, snapshot: { epoch: 100, ofEpochs: 650 }, run: 'V' });
    l.chain({ variant: 'vanilla', tokens: 1e6, correct: 30 }); // another corpus
    const table = tableOf(l.results(), 'real');
    assert.deepEqual(table.map((e) => [e.row, e.evaluation.id]), [['london', london.id], ['vanilla-pretrain', snap.id], ['rope-pretrain', cut.id]]);
    assert.deepEqual(table[1].incomplete, { epoch: 100, ofEpochs: 650 });
    assert.equal(table[2].incomplete, undefined);
    assert.deepEqual(table.map((e) => e.courseRecipe), [true, true, true]);
    assert.equal(table[2].label, 'RoPE (pretraining)');
    assert.equal(tableOf(l.results(), 'synthetic')[0].score.correct, 30);
  });

  it('tells the course recipe by the preset as data: full, and for pretraining only its length changed', () => {
    const r = (verb: 'pretrain' | 'finetune', base: string, overrides: Record<string, number | string | boolean>): RunRecord =>
      ({ format: RECORD_FORMAT, id: 'x', verb, corpus: 'real', seed: 0, backend: 'wasm', commit: null, startedAt: t(0), wallSeconds: 1, files: {}, preset: { base, overrides } });
    assert.ok(isCourseRecipe(r('pretrain', 'full', {})));
    assert.ok(isCourseRecipe(r('pretrain', 'full', { epochs: 30, decayEpochs: 30 })));
    assert.ok(!isCourseRecipe(r('pretrain', 'full', { shuffle: true, weightDecayOn: 'matmul-weights' })));
    assert.ok(!isCourseRecipe(r('pretrain', 'cpu', {})));
    assert.ok(isCourseRecipe(r('finetune', 'full', {})));
    assert.ok(!isCourseRecipe(r('finetune', 'full', { epochs: 20 })));
  });

  it('keeps held-out scores out of the table and the compute curves, and a tuned finetuning out of the curves', () => {
    const l = lab();
    const [pre, , dev] = l.chain({ variant: 'rope', tokens: 1e6, correct: 10 });
    const ft = l.add({ verb: 'finetune', variant: 'rope', parent: pre.id, preset: { base: 'smoke', overrides: {} }, files: { finetuneCorpus: 'h/train.tsv' } });
    l.add({ verb: 'evaluate', row: 'rope-pretrain', variant: 'rope', parent: ft.id, accuracy: 0.9, correct: 36, total: 40, files: { evalCorpus: 'h/heldout.tsv' } });
    l.add({ verb: 'evaluate', row: 'rope-pretrain', variant: 'rope', parent: ft.id, accuracy: 0.8, correct: 32, total: 40 });
    l.chain({ variant: 'rope', preset: 'full', tokens: 5e5, correct: 30, finetuneOverrides: { learningRate: 1e-4 } });
    const results = l.results();
    assert.deepEqual(tableOf(results, 'synthetic').map((e) => e.evaluation.id), [dev.id]);
    assert.deepEqual(computeSeries(results, 'synthetic').flatMap((s) => s.points.map((p) => p.evaluation.id)), [dev.id]);
  });

  it('draws the furthest run of the course recipe as one series through its snapshots, the other runs apart', () => {
    const l = lab();
    const a50 = l.chain({ variant: 'rope', corpus: 'real', preset: 'full', tokens: 2e6, correct: 5, total: 500, snapshot: { epoch: 50, ofEpochs: 650 }, run: 'A' })[2];
    l.chain({ variant: 'rope', corpus: 'real', preset: 'full', tokens: 4e6, correct: 20, total: 500, snapshot: { epoch: 100, ofEpochs: 650 }, run: 'A' });
    // The epoch-100 snapshot evaluated again later: one point, the later evaluation.
    const a100again = l.chain({ variant: 'rope', corpus: 'real', preset: 'full', tokens: 4e6, correct: 21, total: 500, snapshot: { epoch: 100, ofEpochs: 650 }, run: 'A' })[2];
    const b50 = l.chain({ variant: 'rope', corpus: 'real', preset: 'full', tokens: 2e6, correct: 6, total: 500, snapshot: { epoch: 50, ofEpochs: 650 }, run: 'B' })[2];
    const short = l.chain({ variant: 'rope', corpus: 'real', tokens: 1e6, correct: 1, total: 500 })[2];
    const v = l.chain({ variant: 'vanilla', corpus: 'real', preset: 'full', tokens: 4e6, correct: 9, total: 500, run: 'C' })[2];
    const series = computeSeries(l.results(), 'real');
    assert.deepEqual(series.map((s) => [s.row, s.run, s.points.map((p) => p.evaluation.id)]), [
      ['vanilla-pretrain', 'C', [v.id]],
      ['rope-pretrain', 'A', [a50.id, a100again.id]],
      ['rope-pretrain', undefined, [short.id, b50.id]],
    ]);
    assert.deepEqual(series[1].points.map((p) => p.epochs), [50, 100]);
    assert.equal(courseTokens(l.results(), 'real'), (2e6 / 50) * 650, 'the first epoch\'s tokens times the course\'s 650 epochs');
    const section = computeSection(l.results(), 'real');
    assert.match(section.findings.join('\n'), /RoPE \(pretraining\), one run of the course's recipe: 1\.0% after 50, 4\.2% after 100 of 650 epochs; the run is incomplete/);
    assert.equal(section.figure!.data.filter((d) => d.name === 'London baseline').length, 0, 'no London line without a London record');
  });

  it('crosses a recall probe with the answers of the model finetuned from the same checkpoint', () => {
    const l = lab();
    // Five dev questions; the probe asks about 0, 1, 2 and recalls 0 and 1; the finetuned model answers 0 and 3.
    const [pre, , ev] = l.chain({ variant: 'rope', corpus: 'real', preset: 'full', tokens: 4e6, correct: 2, total: 5, snapshot: { epoch: 100, ofEpochs: 650 }, run: 'A',
      predictions: ['Paris', 'Rome', 'Oslo', 'Lima', 'Bonn'] });
    l.add({
      verb: 'recall', parent: pre.id, corpus: 'real', variant: 'rope', accuracy: 2 / 3, correct: 2, total: 3,
      recall: { window: 112, devQuestions: 5, notInText: 2, outsideWindow: 0, continuations: [
        { dev: 0, answer: 'Paris', continuation: 'Paris, France' }, { dev: 1, answer: 'Berlin', continuation: 'Berlin' }, { dev: 2, answer: 'Madrid', continuation: 'Mad' },
      ] },
    });
    const [p] = recallPoints(l.results(), 'real');
    assert.deepEqual({ epoch: p.epoch, probed: p.probed, recalled: p.recalled, answered: p.answered, recalledAnswered: p.recalledAnswered, evaluation: p.evaluation.id },
      { epoch: 100, probed: 3, recalled: 2, answered: 1, recalledAnswered: 1, evaluation: ev.id });
    assert.match(recallSection(l.results(), 'real').findings[0], /epoch 100: the pretrained model completes 2 of the 3 probed birthplaces \(66\.7%\); finetuned, it answers 1 of those 2 \(50\.0%\) and 0 of the 1 it does not complete/);
  });

  it('profiles the answers of each table row against the same answers dealt at random', () => {
    const l = lab();
    const pairs: QA[] = ['London', 'London', 'Paris', 'Rome'].map((answer, i) => ({ question: `Where was P${i} born?`, answer, line: i + 1 }));
    l.add({ verb: 'london', row: 'london', accuracy: 0.5, correct: 2, total: 4 }, ['London', 'London', 'London', 'London']);
    const [profile] = guessProfiles(l.results(), 'synthetic', pairs);
    assert.equal(profile.correct, 2);
    assert.equal(profile.byChance, 2, 'London is dealt exactly its own score');
    assert.equal(profile.p, 1);
    assert.deepEqual(profile.top, [{ answer: 'London', count: 4 }]);
  });

  it('lists the held-out trials of one pretrained run, picks the best (ties: the earlier) and finds both dev scores', () => {
    const l = lab();
    const [pre] = l.chain({ variant: 'rope', corpus: 'real', preset: 'full', tokens: 8e6, correct: 169, total: 500 });
    const trial = (overrides: Record<string, number>, correct: number, heldOut = 'results/tmp/real/h/heldout.tsv'): void => {
      const ft = l.add({ verb: 'finetune', variant: 'rope', corpus: 'real', parent: pre.id, preset: { base: 'full', overrides }, files: { finetuneCorpus: 'results/tmp/real/h/train.tsv' } });
      l.add({ verb: 'evaluate', row: 'rope-pretrain', variant: 'rope', corpus: 'real', parent: ft.id, accuracy: correct / 500, correct, total: 500, files: { evalCorpus: heldOut } });
    };
    trial({ epochs: 10, learningRate: 6e-4 }, 170);
    trial({ epochs: 20, learningRate: 1.5e-4 }, 215);
    trial({ epochs: 3, learningRate: 6e-4 }, 215);
    trial({ epochs: 5 }, 300, 'results/tmp/real/other/heldout.tsv');
    const ft = l.add({ verb: 'finetune', variant: 'rope', corpus: 'real', parent: pre.id, preset: { base: 'full', overrides: { epochs: 20, learningRate: 1.5e-4 } } });
    const chosen = l.add({ verb: 'evaluate', row: 'rope-pretrain', variant: 'rope', corpus: 'real', parent: ft.id, accuracy: 0.446, correct: 223, total: 500 });
    const results = l.results();
    const trials = heldOutTrials(results, path.join('results', 'tmp', 'real', 'h', 'heldout.tsv'), pre.id);
    assert.deepEqual(trials.map((x) => x.flags), ['--epochs 10 --learning-rate 0.0006', '--epochs 20 --learning-rate 0.00015', '--epochs 3 --learning-rate 0.0006']);
    assert.equal(bestTrial(trials)!.flags, '--epochs 20 --learning-rate 0.00015');
    assert.equal(heldOutTrials(results, undefined, 'another run').length, 0);
    const outcome = sweepOutcome(results, trials)!;
    assert.equal(outcome.chosen!.id, chosen.id);
    assert.equal(outcome.preset!.correct, 169);
    assert.equal(overrideFlags({ batchSize: 8 }), '--batch-size 8');
    const section = sweepSection(results);
    assert.match(section.findings.join(' '), /Best on the 500 held-out pairs: 20 epochs, learning rate 0\.00015, 43\.0% \(215\/500\)/);
    assert.match(section.findings.join(' '), /answers 44\.6% ± 2\.2 against 33\.8% ± 2\.1 with the course's finetuning: 10\.8 points above, 3\.5 standard errors of the difference; the course reports 38\.6%/);
  });

  it('shows the table with standard errors, a link to each record, the incomplete mark and sentences computed from it', () => {
    const l = lab();
    l.add({ verb: 'london', row: 'london', corpus: 'real', accuracy: 0.05, correct: 25, total: 500 });
    l.add({ verb: 'finetune', variant: 'vanilla', corpus: 'real', preset: { base: 'full', overrides: {} }, id: 'scratch' });
    l.add({ verb: 'evaluate', row: 'vanilla-nopretrain', variant: 'vanilla', corpus: 'real', parent: 'scratch', accuracy: 0.018, correct: 9, total: 500 });
    l.chain({ variant: 'vanilla', corpus: 'real', preset: 'full', tokens: 2e6, correct: 7, total: 500, snapshot: { epoch: 100, ofEpochs: 650 }, run: 'V' });
    const [, , rope] = l.chain({ variant: 'rope', corpus: 'real', preset: 'full', tokens: 9e6, correct: 169, total: 500, run: 'R' });
    l.add({ verb: 'evaluate', row: 'vanilla-pretrain', variant: 'vanilla', corpus: 'real', parent: 'scratch', accuracy: 0, correct: 0, total: 500, notes: { x: '<b>' } });
    const section = resultsTable(l.results());
    assert.match(section.html!, new RegExp(`<a href="\\.\\./[^"]*${rope.id}\\.json" title="record ${rope.id}">33\\.8% ± 2\\.1</a> <small>\\(169/500\\)</small>`));
    assert.match(section.html!, /incomplete: epoch 100 of 650/);
    assert.equal((section.html!.match(/<tr>/g) ?? []).length, 5, 'a header and the four rows');
    const text = section.findings.join('\n');
    assert.match(text, /Real corpus: RoPE answers 33\.8% ± 2\.1 against vanilla's 1\.4% ± 0\.5 \(its pretraining stopped at epoch 100 of 650\), both with the course's recipe: 32\.4 points above, 14\.9 standard errors of the difference; the course reports 38\.6% against 23\.2%\./);
    assert.match(text, /Vanilla \(pretraining\) needs above 15% and has 1\.4%: does not pass \(its run is incomplete\); RoPE \(pretraining\) needs above 30% and has 33\.8%: passes/);
    const ticks = section.figure!.layout!.xaxis!.ticktext!;
    assert.match(ticks[2], /real run: epoch 100 of 650/);
    assert.equal(COURSE_ACCURACY['rope-pretrain'], 0.386);
  });

  it('computes standard errors, gaps in standard errors of the difference, and counts for people', () => {
    const a = recordScore({ correct: 169, total: 500 });
    const b = recordScore({ correct: 7, total: 500 });
    assert.ok(Math.abs(a.se - Math.sqrt(0.338 * 0.662 / 500)) < 1e-12);
    assert.ok(Math.abs(seOfDifference(a, b) - Math.sqrt(a.se ** 2 + b.se ** 2)) < 1e-12);
    assert.equal(gap(a, b), '32.4 points above, 14.9 standard errors of the difference');
    assert.equal(gap(b, a), '32.4 points below, 14.9 standard errors of the difference');
    assert.equal(gap(recordScore({ correct: 0, total: 9 }), recordScore({ correct: 0, total: 9 })), '0.0 points above, with no spread to measure it against');
    assert.deepEqual([formatCount(789), formatCount(45_600), formatCount(1_234_000), formatCount(2.5e9)], ['789', '45.6k', '1.23M', '2.50G']);
  });
});
