import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { RunRecord, writeRunRecord } from '../lib/results/record';
import {
  COURSE_ACCURACY, accuracyVsPretraining, computeSeries, lastEpochLoss, scheduleOf, formatCount, formatDuration, formatResultsTable, loadProjections, loadRecalls, loadRecords, localResultFile, pretrainOfRecall, epochCurve, pretrainingRuns, resultRow, resultsTable, resultsTableHtml, trainingChain, decayEpochsOf, earlierRecipeNote, trainerHabits, recipeComparison, isCourseRecipe, finetuneNoteOf,
} from '../lib/results/table';
import { bestTrial, heldOutTrials, overrideFlags, sweepOutcome } from '../lib/results/finetune_sweep';
import type { RecallRecord } from '../lib/eval/recall';

/** A record with the fields every record has, plus `extra`. */
function rec(extra: Partial<RunRecord> & Pick<RunRecord, 'verb' | 'startedAt'>): RunRecord {
  return {
    format: 'mingpt-run/1', corpus: 'synthetic', scale: 'smoke', seed: 0, backend: 'wasm', commit: 'abc',
    wallSeconds: 1, files: {}, ...extra,
  };
}

const t = (minute: number): string => new Date(Date.UTC(2026, 0, 1, 10, minute)).toISOString();

/** pretrain -> finetune -> evaluate for one variant, writing files under `tag`. */
function chain(tag: string, variant: 'vanilla' | 'rope', start: number, o: { pretrainTokens: number; accuracy: number; correct: number }): RunRecord[] {
  const curve = [{ step: 1, epoch: 1, tokens: o.pretrainTokens / 2, loss: 3, lr: 1e-3 }, { step: 2, epoch: 4, tokens: o.pretrainTokens, loss: 2.5, lr: 1e-3 }];
  return [
    rec({ verb: 'pretrain', variant, startedAt: t(start), wallSeconds: 100, tokens: o.pretrainTokens, finalLoss: 2.5, curve, files: { writingParams: `runs/${tag}.pre` } }),
    rec({ verb: 'finetune', variant, startedAt: t(start + 2), wallSeconds: 20, tokens: 5000, finalLoss: 0.5, files: { readingParams: `runs/${tag}.pre`, writingParams: `runs/${tag}.ft` } }),
    rec({
      verb: 'evaluate', row: variant === 'rope' ? 'rope-pretrain' : 'vanilla-pretrain', variant, startedAt: t(start + 3), wallSeconds: 3,
      accuracy: o.accuracy, correct: o.correct, total: 40, files: { readingParams: `runs/${tag}.ft`, outputs: `runs/${tag}.txt` },
    }),
  ];
}

describe('results table (lib/results/table.ts)', () => {
  const london = rec({ verb: 'london', row: 'london', scale: 'none', startedAt: t(0), wallSeconds: 0.01, accuracy: 0.025, correct: 1, total: 40 });
  const scratch = [
    rec({ verb: 'finetune', variant: 'vanilla', startedAt: t(1), wallSeconds: 50, tokens: 9000, finalLoss: 0.3, files: { writingParams: 'runs/nopre.ft' } }),
    rec({ verb: 'evaluate', row: 'vanilla-nopretrain', variant: 'vanilla', startedAt: t(2), wallSeconds: 2, accuracy: 0, correct: 0, total: 40, files: { readingParams: 'runs/nopre.ft' } }),
  ];

  it('joins each evaluation to the finetuning and pretraining runs behind it and adds up tokens and time', () => {
    const records = [london, ...scratch, ...chain('v', 'vanilla', 10, { pretrainTokens: 1e6, accuracy: 0.5, correct: 20 })];
    const rows = resultsTable(records, 'synthetic');
    assert.deepEqual(rows.map((r) => r.row), ['london', 'vanilla-nopretrain', 'vanilla-pretrain']);
    const [l, n, v] = rows;
    assert.equal(l.pretrainTokens + l.finetuneTokens, 0);
    assert.equal(l.wallSeconds, 0.01);
    assert.equal(l.courseAccuracy, 0.05);
    assert.equal(n.finetuneTokens, 9000);
    assert.equal(n.pretrainTokens, 0);
    assert.equal(n.wallSeconds, 52);
    assert.equal(v.pretrainTokens, 1e6);
    assert.equal(v.finetuneTokens, 5000);
    assert.equal(v.pretrainEpochs, 4);
    assert.equal(v.pretrainFinalLoss, 2.5);
    assert.equal(v.wallSeconds, 100 + 20 + 3);
    assert.equal(v.courseAccuracy, COURSE_ACCURACY['vanilla-pretrain']);
    assert.equal(v.courseAccuracy, 0.232);
    assert.equal(l.settings, 'none');
    assert.equal(v.settings, 'pretrain: smoke; finetune: smoke');
  });

  it('names the flags that changed a preset, per stage', () => {
    const [pre, ft, ev] = chain('c', 'rope', 10, { pretrainTokens: 1e5, accuracy: 0.1, correct: 4 });
    const records = [
      { ...pre, scale: 'custom', notes: { preset: 'cpu with {"epochs":4,"batchSize":8}' } },
      { ...ft, scale: 'custom', notes: { preset: 'cpu with {"epochs":2}' } },
      { ...ev, scale: 'custom' },
    ];
    assert.equal(resultsTable(records, 'synthetic')[0].settings, 'pretrain: cpu, epochs 4, batchSize 8; finetune: cpu, epochs 2');
  });

  it('takes the latest evaluation of a row, and the latest writer of a file that started before its reader', () => {
    const first = chain('same', 'rope', 10, { pretrainTokens: 1e5, accuracy: 0.1, correct: 4 });
    const second = chain('same', 'rope', 20, { pretrainTokens: 4e5, accuracy: 0.3, correct: 12 });
    const records = [...first, ...second];
    const [row] = resultsTable(records, 'synthetic');
    assert.equal(row.accuracy, 0.3);
    assert.equal(row.pretrainTokens, 4e5);
    // The first evaluation read the first finetuned model, although a later run overwrote the same file.
    assert.equal(trainingChain(records, first[2]).pretrain?.tokens, 1e5);
  });

  it('can pick the row with the most pretraining instead of the latest (ties: the latest)', () => {
    const long = chain('long', 'rope', 10, { pretrainTokens: 4e5, accuracy: 0.3, correct: 12 });
    const short = chain('short', 'rope', 20, { pretrainTokens: 1e5, accuracy: 0.1, correct: 4 });
    const again = chain('again', 'rope', 30, { pretrainTokens: 4e5, accuracy: 0.2, correct: 8 });
    assert.equal(resultsTable([...long, ...short], 'synthetic')[0].pretrainTokens, 1e5);
    assert.equal(resultsTable([...long, ...short], 'synthetic', undefined, 'most-pretraining')[0].pretrainTokens, 4e5);
    assert.equal(resultsTable([...long, ...short, ...again], 'synthetic', undefined, 'most-pretraining')[0].accuracy, 0.2);
  });

  it('keeps corpora apart and can filter by scale', () => {
    const real = rec({ ...london, corpus: 'real', startedAt: t(5), accuracy: 0.05, correct: 25, total: 500 });
    const records = [london, real, ...scratch];
    assert.deepEqual(resultsTable(records, 'real').map((r) => [r.row, r.correct]), [['london', 25]]);
    assert.deepEqual(resultsTable(records, 'synthetic', (r) => r.scale === 'smoke').map((r) => r.row), ['vanilla-nopretrain']);
  });

  it('gives accuracy against pretraining tokens per variant, sorted by tokens', () => {
    const records = [
      ...chain('v4', 'vanilla', 30, { pretrainTokens: 4e5, accuracy: 0.2, correct: 8 }),
      ...chain('v1', 'vanilla', 10, { pretrainTokens: 1e5, accuracy: 0.05, correct: 2 }),
      ...chain('r1', 'rope', 20, { pretrainTokens: 1e5, accuracy: 0.1, correct: 4 }),
      ...scratch,
    ];
    const series = accuracyVsPretraining(records, 'synthetic');
    assert.deepEqual(series['vanilla-pretrain']!.map((p) => [p.pretrainTokens, p.accuracy]), [[1e5, 0.05], [4e5, 0.2]]);
    assert.deepEqual(series['rope-pretrain']!.map((p) => p.pretrainTokens), [1e5]);
    assert.equal(series['vanilla-nopretrain'], undefined);
    assert.deepEqual(accuracyVsPretraining(records, 'real'), {});
  });

  it('splits the compute curve by model size and by where each run stopped on its schedule', () => {
    const model = (nLayer: number, nEmbd: number) => ({ vocabSize: 9, blockSize: 16, nLayer, nHead: 2, nEmbd, dropout: 0, variant: 'rope' as const });
    const trainer = (finalTokens: number) => ({
      maxEpochs: 1, batchSize: 4, betas: [0.9, 0.95] as [number, number], gradNormClip: 1, weightDecay: 0.1,
      tokenCounting: 'block' as const, shuffle: true, seed: 0, learningRate: 1e-3, decay: true, warmupTokens: 10, finalTokens,
    });
    const withRun = (rs: RunRecord[], m: ReturnType<typeof model>, finalTokens: number): RunRecord[] =>
      rs.map((r) => (r.verb === 'pretrain' ? { ...r, model: m, trainer: trainer(finalTokens) } : r));
    const records = [
      ...withRun(chain('small-a', 'rope', 0, { pretrainTokens: 1e5, accuracy: 0.05, correct: 2 }), model(2, 64), 1e5), // fitted
      ...withRun(chain('small-b', 'rope', 10, { pretrainTokens: 3e5, accuracy: 0.1, correct: 4 }), model(2, 64), 1e5), // past its decay
      ...withRun(chain('big-a', 'rope', 20, { pretrainTokens: 2e5, accuracy: 0.1, correct: 4 }), model(4, 256), 2e6), // cut
      ...withRun(chain('big-b', 'rope', 30, { pretrainTokens: 4e5, accuracy: 0.2, correct: 8 }), model(4, 256), 4e6), // cut
    ];
    const series = computeSeries(records, 'synthetic');
    assert.deepEqual(series.map((x) => [x.label, x.points.map((p) => p.pretrainTokens)]), [
      ['RoPE (pretraining): 2 layers x 64, decay fitted to the run', [1e5]],
      ['RoPE (pretraining): 2 layers x 64, run past its decay', [3e5]],
      ['RoPE (pretraining): 4 layers x 256, cut from a longer schedule', [2e5, 4e5]],
    ]);
    assert.equal(scheduleOf({ ...records[0], trainer: { ...trainer(1), decay: false } }), 'constant');
    // chain()'s curve: one point in epoch 1 (loss 3), one in epoch 4 (loss 2.5): the last epoch's mean is 2.5.
    assert.equal(series[0].points[0].pretrainLastEpochLoss, 2.5);
    const curve = [1, 1, 2, 2, 2].map((epoch, i) => ({ step: i + 1, epoch, tokens: i, loss: [9, 9, 1, 2, 3][i], lr: 1 }));
    assert.equal(lastEpochLoss({ ...records[0], curve }), 2);
    assert.equal(lastEpochLoss({ ...records[0], curve: [] }), undefined);
    assert.equal(scheduleOf({ ...records[0], trainer: undefined }), undefined);
  });

  it('joins the snapshots of one run and its final model into one curve, and says where each snapshot was taken', () => {
    const trainer = {
      maxEpochs: 8, batchSize: 4, betas: [0.9, 0.95] as [number, number], gradNormClip: 1, weightDecay: 0.1,
      tokenCounting: 'block' as const, shuffle: true, seed: 0, learningRate: 1e-3, decay: true, warmupTokens: 10, finalTokens: 4e5,
    };
    const model = { vocabSize: 9, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 64, dropout: 0, variant: 'rope' as const };
    // One 8-epoch run (1e5 tokens an epoch) with snapshots after epochs 2 and 4, each finetuned and evaluated.
    const snap = (e: number, start: number): RunRecord[] => chain(`long.e${e}`, 'rope', start, { pretrainTokens: e * 1e5, accuracy: e / 100, correct: e })
      .map((r) => (r.verb === 'pretrain'
        ? { ...r, model, trainer, completed: false, snapshot: { epoch: e, ofEpochs: 8 }, files: { ...r.files, runWritingParams: 'runs/long.pre' } }
        : r));
    const final = chain('long', 'rope', 40, { pretrainTokens: 8e5, accuracy: 0.2, correct: 8 })
      .map((r) => (r.verb === 'pretrain' ? { ...r, model, trainer, completed: true } : r));
    const other = chain('other', 'rope', 50, { pretrainTokens: 4e5, accuracy: 0.1, correct: 4 })
      .map((r) => (r.verb === 'pretrain' ? { ...r, model, trainer } : r)); // a separate run: not on the curve
    const records = [...snap(2, 0), ...snap(4, 10), ...final, ...other];
    const series = computeSeries(records, 'synthetic');
    assert.deepEqual(series.map((x) => [x.label, x.points.map((p) => p.pretrainTokens)]), [
      ['RoPE (pretraining): 2 layers x 64, decay fitted to the run', [4e5]],
      ['RoPE (pretraining): 2 layers x 64, one 8-epoch run, its snapshots', [2e5, 4e5, 8e5]],
    ]);
    // Each point keeps its own place on the cosine (final_tokens 4e5): before, at and past the end of the decay.
    assert.deepEqual(series[1].points.map((p) => p.schedule), ['cut', 'fitted', 'past']);
    // chain()'s curves end at lr 1e-3, the trainer's peak: a share of 1.
    assert.deepEqual(series[1].points.map((p) => [p.pretrainLastLr, p.pretrainLastLrShare]), [[1e-3, 1], [1e-3, 1], [1e-3, 1]]);
    assert.equal(series[1].points[0].run!.file, path.resolve('runs/long.pre'));
    const rows = records.filter((r) => r.verb === 'evaluate').map((r) => resultRow(records, r));
    assert.equal(rows[0].settings, 'pretrain: smoke, after epoch 2 of 8; finetune: smoke');
    assert.equal(rows[2].settings, 'pretrain: smoke; finetune: smoke');
  });

  it("tells the course's recipe from the one the full preset had before its correction, in rows and curves", () => {
    // 10 documents, block 16: an epoch counts 10 x 15 tokens; the course's final_tokens is 650 x 10 x 16.
    const model = { vocabSize: 9, blockSize: 16, nLayer: 4, nHead: 2, nEmbd: 256, dropout: 0, variant: 'rope' as const };
    const base = {
      maxEpochs: 650, batchSize: 4, betas: [0.9, 0.95] as [number, number], gradNormClip: 1, weightDecay: 0.1,
      tokenCounting: 'block' as const, seed: 0, learningRate: 1e-3, decay: true, warmupTokens: 10,
    };
    const earlier = { ...base, shuffle: true, finalTokens: 200 * 10 * 16 }; // records made before: no weightDecayOn
    const course = { ...base, shuffle: false, weightDecayOn: 'course-names' as const, finalTokens: 650 * 10 * 16 };
    const curve = [1, 1, 2].map((epoch, i) => ({ step: i + 1, epoch, tokens: [80, 150, 300][i], loss: 2, lr: 1e-3 }));
    const full = (tag: string, start: number, trainer: typeof earlier | typeof course): RunRecord[] =>
      chain(tag, 'rope', start, { pretrainTokens: 300, accuracy: 0.1, correct: 4 })
        .map((r) => ({ ...r, scale: 'full', ...(r.verb === 'evaluate' ? {} : { model, trainer }), ...(r.verb === 'pretrain' ? { curve } : {}) }));
    const records = [...full('old', 0, earlier), ...full('new', 10, course)];
    const [oldPre, oldFt] = records;
    const [newPre, newFt] = records.slice(3);
    assert.equal(decayEpochsOf(oldPre), 200);
    assert.equal(decayEpochsOf(newPre), 650);
    assert.equal(decayEpochsOf({ ...newPre, curve: curve.slice(2) }), undefined); // no end of epoch 1 to count documents by
    assert.deepEqual([oldPre, newPre, { ...newPre, trainer: { ...course, shuffle: true } }, { ...newPre, trainer: undefined }].map(trainerHabits),
      ['minGPT', 'course', 'mixed', undefined]);
    assert.equal(earlierRecipeNote(oldPre), " (earlier recipe: cosine over 200 epochs, minGPT's trainer)");
    assert.equal(earlierRecipeNote(oldFt), " (earlier recipe: minGPT's trainer)");
    assert.equal(earlierRecipeNote(newPre), '');
    assert.equal(earlierRecipeNote(newFt), '');
    assert.equal(earlierRecipeNote({ ...oldPre, scale: 'cpu' }), ''); // the smaller presets were never the course's
    // `full` with flags: the cosine it asked for (--decay-epochs) is no difference; the trainer still is.
    const custom = (preset: string): RunRecord => ({ ...oldPre, scale: 'custom', notes: { preset } });
    assert.equal(earlierRecipeNote(custom('full with {"epochs":30}')), " (earlier recipe: cosine over 200 epochs, minGPT's trainer)");
    assert.equal(earlierRecipeNote(custom('full with {"epochs":30,"decayEpochs":200}')), " (earlier recipe: minGPT's trainer)");
    assert.equal(earlierRecipeNote(custom('cpu with {"epochs":30}')), '');
    const rows = records.filter((r) => r.verb === 'evaluate').map((r) => resultRow(records, r));
    assert.deepEqual(rows.map((r) => r.settings), [
      "pretrain: full (earlier recipe: cosine over 200 epochs, minGPT's trainer); finetune: full (earlier recipe: minGPT's trainer)",
      'pretrain: full; finetune: full',
    ]);
    assert.deepEqual(computeSeries(records, 'synthetic').map((x) => x.label), [
      'RoPE (pretraining): 4 layers x 256, cut from a longer schedule',
      "RoPE (pretraining): 4 layers x 256, cut from a longer schedule (earlier recipe: cosine over 200 epochs, minGPT's trainer)",
    ]);
    // Each point keeps its pretraining record, whose trainer's habits tell pairs differing in the schedule alone.
    assert.deepEqual(computeSeries(records, 'synthetic').map((x) => trainerHabits(x.points[0].pretrain)), ['course', 'minGPT']);
    // Picking the table's row: a longer, later run of the earlier recipe wins on tokens, but not over the course's
    // recipe when the row has a run of it; without one it stands in.
    const longer = full('longer', 20, earlier).map((r) => (r.verb === 'pretrain' ? { ...r, tokens: 900 } : r));
    const pick = (rs: RunRecord[], how: 'most-pretraining' | 'course-recipe') => resultsTable(rs, 'synthetic', undefined, how)[0].pretrainTokens;
    assert.equal(pick([...records, ...longer], 'most-pretraining'), 900);
    assert.equal(pick([...records, ...longer], 'course-recipe'), 300);
    assert.equal(pick([...records.slice(0, 3), ...longer], 'course-recipe'), 900);
    const smaller = chain('smaller', 'rope', 40, { pretrainTokens: 1000, accuracy: 0.2, correct: 8 }); // smoke: not the course's recipe
    assert.equal(pick([...records, ...smaller], 'course-recipe'), 300);
    assert.deepEqual([...records, ...smaller].filter((r) => r.verb !== 'evaluate').map(isCourseRecipe), [false, false, true, true, false, false]);
  });

  it('averages a loss curve per epoch, and shows a run with snapshots as one line (its longest record)', () => {
    const curve = [1, 1, 2, 2, 2].map((epoch, i) => ({ step: i + 1, epoch, tokens: 10 * (i + 1), loss: [4, 2, 3, 2, 1][i], lr: [1, 0.9, 0.8, 0.7, 0.6][i] }));
    const r = rec({ verb: 'pretrain', startedAt: t(0), curve, corpus: 'real', files: { writingParams: 'runs/a.params' } });
    assert.deepEqual(epochCurve(r), { epochs: [1, 2], tokens: [20, 50], loss: [3, 2], lr: [0.9, 0.6] });
    assert.deepEqual(epochCurve({ ...r, curve: undefined }), { epochs: [], tokens: [], loss: [], lr: [] });
    const snap = (steps: number): RunRecord => ({ ...r, startedAt: t(1), steps, snapshot: { epoch: steps, ofEpochs: 9 },
      files: { writingParams: `runs/long.e${steps}.params`, runWritingParams: 'runs/long.params' } });
    const finalOfLong = { ...r, startedAt: t(2), steps: 9, files: { writingParams: 'runs/long.params' } };
    const again = { ...r, startedAt: t(3), steps: 2 }; // a second run that wrote a.params: its own line
    const runs = pretrainingRuns([r, snap(2), snap(4), finalOfLong, again, { ...r, corpus: 'synthetic', startedAt: t(4) }], 'real');
    assert.deepEqual(runs.map((x) => [x.startedAt, x.files.writingParams]), [
      [t(0), 'runs/a.params'], [t(2), 'runs/long.params'], [t(3), 'runs/a.params'],
    ]);
    assert.deepEqual(pretrainingRuns([r, snap(2), snap(4)], 'real').map((x) => x.files.writingParams), ['runs/a.params', 'runs/long.e4.params']);
  });

  it('reads records written by writeRunRecord from a folder and its subfolders', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'results-table-'));
    try {
      writeRunRecord(path.join(dir, 'synthetic'), london);
      writeRunRecord(path.join(dir, 'real'), { ...london, corpus: 'real', startedAt: t(3) });
      fs.writeFileSync(path.join(dir, 'notes.json'), '{"not": "a record"}');
      const records = loadRecords(dir);
      assert.deepEqual(records.map((r) => r.corpus), ['synthetic', 'real']);
      assert.deepEqual(loadRecords(path.join(dir, 'missing')), []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects a record without a row or an accuracy, naming it', () => {
    const bad = rec({ verb: 'evaluate', row: 'rope-pretrain', startedAt: t(9) });
    assert.deepEqual(resultsTable([bad], 'synthetic'), []); // unscored records are not rows
    assert.throws(() => resultRow([bad], bad), /evaluate record of 2026-01-01T10:09:00.000Z has no accuracy/);
    assert.throws(() => resultRow([], { ...bad, row: undefined, accuracy: 0.1 }), /has no table row/);
  });

  it('formats counts, durations and the text table', () => {
    assert.equal(formatCount(999), '999');
    assert.equal(formatCount(12_345), '12.3k');
    assert.equal(formatCount(12_900_000), '12.90M');
    assert.equal(formatDuration(59.6), '1m00s');
    assert.equal(formatDuration(3725), '1h02m');
    const text = formatResultsTable(resultsTable([london, ...scratch], 'synthetic'));
    const lines = text.split('\n');
    assert.equal(lines.length, 4);
    assert.match(lines[2], /^Baseline \("London"\)\s+2\.50%\s+1\/40\s+5\.00%\s+none/);
    assert.match(lines[3], /Vanilla \(no pretraining\)\s+0\.00%\s+0\/40\s+1\.40%\s+smoke\s+-\s+9\.0k\s+52s\s+wasm$/);
  });

  it('renders an HTML table with one row per result, escaping text', () => {
    const rows = resultsTable([london, ...scratch], 'synthetic');
    const html = resultsTableHtml(rows, 'a <b> caption');
    assert.equal((html.match(/<tr>/g) ?? []).length, 3); // header + 2 rows
    assert.match(html, /<caption>a &lt;b&gt; caption<\/caption>/);
    assert.match(html, /Baseline \("London"\)<\/td><td[^>]*>2\.50% \(1\/40\)<\/td><td[^>]*>5\.00%<\/td>/);
    assert.match(html, /9\.0k tokens, loss 0\.30/);
  });

  it('reads projections and rejects a file of another format, naming it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'results-projection-'));
    try {
      const stage = { epochs: 1, steps: 10, measuredSteps: 2, secondsPerStep: 3, tokensPerSecond: 100, projectedSeconds: 30 };
      const p = { format: 'mingpt-projection/1', scale: 'full', corpus: 'real', pretrain: stage, pretrainRope: stage, finetune: stage, finetuneRope: stage, finetuneFromScratch: stage, tableSeconds: 150 };
      fs.mkdirSync(path.join(dir, 'real'));
      fs.writeFileSync(path.join(dir, 'real', 'projection-full-real.json'), JSON.stringify(p));
      assert.deepEqual(loadProjections(dir).map((x) => [x.scale, x.tableSeconds]), [['full', 150]]);
      fs.writeFileSync(path.join(dir, 'projection-bad.json'), JSON.stringify({ ...p, format: 'other' }));
      assert.throws(() => loadProjections(dir), /projection-bad\.json: format "other", expected "mingpt-projection\/1"/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads recall probes from the folder and its subfolders, by pretraining tokens, and names a bad file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'results-recall-'));
    try {
      const probe = (checkpoint: string, pretrainTokens: number) => ({ format: 'mingpt-recall/1', checkpoint, pretrainTokens, total: 10, correct: 1 });
      fs.mkdirSync(path.join(dir, 'real'));
      fs.writeFileSync(path.join(dir, 'real', 'recall-b.json'), JSON.stringify(probe('b.params', 200)));
      fs.writeFileSync(path.join(dir, 'recall-a.json'), JSON.stringify(probe('a.params', 100)));
      fs.writeFileSync(path.join(dir, 'real', 'other.json'), '{"format": "mingpt-run/1"}'); // not a recall file: ignored
      assert.deepEqual(loadRecalls(dir).map((r) => r.checkpoint), ['a.params', 'b.params']);
      fs.writeFileSync(path.join(dir, 'real', 'recall-c.json'), JSON.stringify({ ...probe('c', 1), format: 'x' }));
      assert.throws(() => loadRecalls(dir), /recall-c\.json: format "x", expected "mingpt-recall\/1"/);
      fs.writeFileSync(path.join(dir, 'real', 'recall-c.json'), '{');
      assert.throws(() => loadRecalls(dir), /recall-c\.json: not JSON/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("compares the course's recipe with the earlier one at the epochs both whole-length runs reached", () => {
    // As in the recipe test: 10 documents, block 16; whole runs of 650 epochs with snapshots, one per recipe.
    const model = { vocabSize: 9, blockSize: 16, nLayer: 4, nHead: 2, nEmbd: 256, dropout: 0, variant: 'rope' as const };
    const base = {
      maxEpochs: 650, batchSize: 4, betas: [0.9, 0.95] as [number, number], gradNormClip: 1, weightDecay: 0.1,
      tokenCounting: 'block' as const, seed: 0, learningRate: 1e-3, decay: true, warmupTokens: 10,
    };
    const earlier = { ...base, shuffle: true, finalTokens: 200 * 10 * 16 };
    const course = { ...base, shuffle: false, weightDecayOn: 'course-names' as const, finalTokens: 650 * 10 * 16 };
    const run = (tag: string, start: number, trainer: typeof earlier | typeof course, epoch: number, loss: number, correct: number): RunRecord[] => {
      const curve = [[1, 80], [1, 150], [epoch, 150 * epoch]].map(([e, tokens], i) => ({ step: i + 1, epoch: e, tokens, loss, lr: 1e-3 }));
      const snapshot = epoch < 650 ? { completed: false, snapshot: { epoch, ofEpochs: 650 } } : { completed: true };
      return chain(`${tag}.e${epoch}`, 'rope', start, { pretrainTokens: 150 * epoch, accuracy: correct / 40, correct })
        .map((r) => ({ ...r, scale: 'full', ...(r.verb === 'evaluate' ? {} : { model, trainer }) }))
        .map((r) => (r.verb === 'pretrain'
          ? { ...r, curve, ...snapshot, startedAt: t(start), files: { writingParams: `runs/${tag}.e${epoch}.pre`, runWritingParams: `runs/${tag}.e650.pre` } }
          : r));
    };
    const records = [
      ...run('old', 0, earlier, 50, 2.5, 0), ...run('old', 4, earlier, 100, 2.0, 1), ...run('old', 8, earlier, 650, 0.5, 8),
      ...run('new', 20, course, 50, 2.1, 1), ...run('new', 24, course, 100, 1.5, 3),
      // A smaller preset run as long: neither recipe, on neither side.
      ...run('small', 30, course, 100, 1.0, 9).map((r) => ({ ...r, scale: 'smoke' })),
    ];
    const pre = records.find((r) => r.verb === 'pretrain' && r.files.writingParams === 'runs/new.e100.pre')!;
    const recall: RecallRecord = {
      format: 'mingpt-recall/1', checkpoint: 'new.e100.pre', pretrainStartedAt: pre.startedAt, pretrainParams: path.resolve('runs/new.e100.pre'),
      corpus: 'synthetic', variant: 'rope', model: {}, window: 14, commit: null, backend: 'wasm', measuredAt: t(40), wallSeconds: 1,
      devQuestions: 40, notInText: 2, outsideWindow: 3, total: 35, correct: 12, accuracy: 12 / 35, continuations: [],
    };
    // A later finetuning of the same snapshot with other settings: not the course's finetuning, not compared.
    const tuned = [
      rec({ verb: 'finetune', variant: 'rope', scale: 'custom', notes: { preset: 'full with {"epochs":20}' }, startedAt: t(35), files: { readingParams: 'runs/new.e100.pre', writingParams: 'runs/tuned.ft' } }),
      rec({ verb: 'evaluate', row: 'rope-pretrain', variant: 'rope', scale: 'custom', startedAt: t(36), accuracy: 30 / 40, correct: 30, total: 40, files: { readingParams: 'runs/tuned.ft' } }),
    ];
    const pairs = recipeComparison([...records, ...tuned], [recall], 'synthetic');
    assert.deepEqual(pairs.map((p) => [p.row, p.epoch]), [['rope-pretrain', 50], ['rope-pretrain', 100]]); // 650: only the earlier recipe
    assert.deepEqual(pairs[1].course, { lastEpochLoss: 1.5, correct: 3, total: 40, recalled: 12, probed: 35 });
    assert.deepEqual(pairs[1].earlier, { lastEpochLoss: 2.0, correct: 1, total: 40 }); // not probed
    assert.deepEqual(recipeComparison(records.slice(0, 9), [recall], 'synthetic'), []); // one recipe only: nothing to compare
  });

  it('finds the pretraining record of a recall probe by start time and file (snapshots share a start time)', () => {
    const pre = (file: string): RunRecord => rec({ verb: 'pretrain', startedAt: t(5), files: { writingParams: path.resolve(file) } });
    const records = [pre('runs/x.e1.params'), pre('runs/x.e2.params'), rec({ verb: 'pretrain', startedAt: t(9), files: { writingParams: 'runs/y.params' } })];
    const probe = (over: Partial<RecallRecord>): RecallRecord => ({
      format: 'mingpt-recall/1', checkpoint: 'x', corpus: 'real', variant: 'rope', model: {}, window: 10, commit: null, backend: 'wasm',
      measuredAt: t(20), wallSeconds: 1, devQuestions: 1, notInText: 0, outsideWindow: 0, total: 1, correct: 0, accuracy: 0, continuations: [], ...over,
    });
    assert.equal(pretrainOfRecall(records, probe({ pretrainStartedAt: t(5), pretrainParams: path.resolve('runs/x.e2.params') })), records[1]);
    assert.equal(pretrainOfRecall(records, probe({ pretrainStartedAt: t(5) })), records[0]); // an older probe: the first of that start
    assert.equal(pretrainOfRecall(records, probe({ pretrainStartedAt: t(7) })), undefined);
  });

  it('localResultFile finds a recorded file under another clone\'s results folder', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'results-local-'));
    try {
      const results = path.join(root, 'clone', 'results');
      fs.mkdirSync(path.join(results, 'real', 'predictions'), { recursive: true });
      fs.writeFileSync(path.join(results, 'real', 'predictions', 'x.txt'), 'Paris\n');
      fs.mkdirSync(path.join(results, 'predictions'));
      fs.writeFileSync(path.join(results, 'predictions', 'x.txt'), 'a shorter tail must not win\n');
      assert.equal(localResultFile(results, '/elsewhere/main/results/real/predictions/x.txt'), path.join(results, 'real', 'predictions', 'x.txt'));
      assert.equal(localResultFile(results, '/elsewhere/main/results/real/predictions/gone.txt'), undefined);
      // A file outside any results folder is found where the record says, when it is there.
      const outside = path.join(root, 'outside.txt');
      fs.writeFileSync(outside, 'Rome\n');
      assert.equal(localResultFile(results, outside), outside);
      assert.equal(localResultFile(results, path.join(results, 'real')), undefined, 'a folder is not a file');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('choosing the finetuning on held-out pairs (lib/results/finetune_sweep.ts)', () => {
  const trainer = {
    maxEpochs: 10, batchSize: 4, betas: [0.9, 0.95] as [number, number], gradNormClip: 1, weightDecay: 0.1, tokenCounting: 'block' as const,
    seed: 0, learningRate: 6e-4, decay: true, warmupTokens: 10, finalTokens: 1e9, shuffle: false, weightDecayOn: 'course-names' as const,
  };
  const pre = rec({ verb: 'pretrain', variant: 'rope', scale: 'full', trainer, startedAt: t(0), tokens: 300, files: { writingParams: 'runs/p.pre' },
    curve: [{ step: 1, epoch: 1, tokens: 300, loss: 1, lr: 1e-3 }] });
  /** A finetuning of runs/p.pre with `changes` (none: the full preset), on `train` when given, and its evaluation. */
  const run = (tag: string, start: number, changes: Record<string, number> | undefined, accuracy: number, heldOut?: boolean): RunRecord[] => [
    rec({
      verb: 'finetune', variant: 'rope', trainer, startedAt: t(start), tokens: 10, ...(changes ? { scale: 'custom', notes: { preset: `full with ${JSON.stringify(changes)}` } } : { scale: 'full' }),
      files: { readingParams: 'runs/p.pre', writingParams: `runs/${tag}.ft`, ...(heldOut ? { finetuneCorpus: 'h/train.tsv' } : {}) },
    }),
    rec({
      verb: 'evaluate', row: 'rope-pretrain', variant: 'rope', scale: changes ? 'custom' : 'full', startedAt: t(start + 1), accuracy, correct: accuracy * 100, total: 100,
      files: { readingParams: `runs/${tag}.ft`, ...(heldOut ? { evalCorpus: 'h/heldout.tsv' } : {}) },
    }),
  ];
  const trials = [
    ...run('a', 10, { epochs: 10, learningRate: 0.0006 }, 0.3, true),
    ...run('b', 20, { epochs: 20, learningRate: 0.0006 }, 0.4, true),
    ...run('c', 30, { epochs: 5, learningRate: 0.0003 }, 0.4, true), // a tie: the earlier trial stays the best
  ];
  const coursesOwn = run('course', 40, undefined, 0.338);
  const chosen = run('chosen', 50, { epochs: 20, learningRate: 0.0006 }, 0.42);
  const records = [pre, ...trials, ...coursesOwn, ...chosen];

  it('lists the trials on the held-out file, picks the best (ties: the earlier) and finds both dev scores', () => {
    const found = heldOutTrials(records, 'h/heldout.tsv');
    assert.deepEqual(found.map((x) => [x.flags, x.accuracy]), [
      ['--epochs 10 --learning-rate 0.0006', 0.3], ['--epochs 20 --learning-rate 0.0006', 0.4], ['--epochs 5 --learning-rate 0.0003', 0.4],
    ]);
    assert.equal(found[0].pretrain, pre);
    assert.deepEqual(heldOutTrials(records, 'h/other.tsv'), []);
    // Trials from another pretrained model on the same held-out pairs are another sweep.
    assert.equal(heldOutTrials(records, 'h/heldout.tsv', 'runs/p.pre').length, 3);
    assert.deepEqual(heldOutTrials(records, 'h/heldout.tsv', 'runs/vanilla.pre'), []);
    assert.equal(bestTrial(found)?.flags, '--epochs 20 --learning-rate 0.0006');
    assert.equal(bestTrial([]), undefined);
    const outcome = sweepOutcome(records, found)!;
    assert.equal(outcome.chosen?.accuracy, 0.42);
    assert.equal(outcome.preset?.accuracy, 0.338);
    // Neither a later dev run with other flags, nor one with the same flags from a later model written to the
    // same file, is the trials' outcome.
    const otherFlags = run('other', 60, { epochs: 5, learningRate: 0.0006 }, 0.5);
    const repretrained = [{ ...pre, startedAt: t(70) }, ...run('again', 80, { epochs: 20, learningRate: 0.0006 }, 0.6)];
    assert.equal(sweepOutcome([...records, ...otherFlags, ...repretrained], found)!.chosen?.accuracy, 0.42);
    // Without the dev runs there is only the choice.
    assert.deepEqual(Object.keys(sweepOutcome([pre, ...trials], found)!), ['best']);
    assert.equal(overrideFlags({ decayEpochs: 7, nEmbd: 64 }), '--decay-epochs 7 --n-embd 64');
  });

  it('keeps held-out scores out of the table and the compute curves, and the tuned finetuning out of the course row', () => {
    // The latest dev evaluation is the tuned one; the held-out trials are later still but are not dev scores.
    // Also the course-finetuned model scored on the held-out pairs (a model of the training pairs, another file).
    const onHeldOut = rec({ ...coursesOwn[1], startedAt: t(70), accuracy: 0.95, files: { ...coursesOwn[1].files, evalCorpus: 'h/heldout.tsv' } });
    // And a trial's model (finetuned on part of the training pairs) scored on the dev set: not a point of the curves.
    const trialOnDev = rec({ ...trials[3], startedAt: t(80), accuracy: 0.85, files: { readingParams: 'runs/b.ft' } });
    const late = [...records, ...run('d', 60, { epochs: 40, learningRate: 0.0006 }, 0.9, true), onHeldOut, trialOnDev];
    assert.equal(resultsTable(late.slice(0, -1), 'synthetic')[0].accuracy, 0.42);
    assert.equal(resultsTable(late, 'synthetic', undefined, 'most-pretraining')[0].accuracy, 0.42); // the trial's model on dev: skipped
    assert.equal(resultsTable(late, 'synthetic', undefined, 'course-recipe')[0].accuracy, 0.338);
    const series = computeSeries(late, 'synthetic');
    assert.deepEqual(series.map((x) => [x.label, x.points.map((p) => p.accuracy)]), [
      ['RoPE (pretraining): model unknown, cut from a longer schedule', [0.338]],
      ['RoPE (pretraining): model unknown, cut from a longer schedule (finetuned with epochs 20, learningRate 0.0006)', [0.42]],
    ]);
    assert.equal(finetuneNoteOf(chosen[0]), ' (finetuned with epochs 20, learningRate 0.0006)');
    assert.equal(finetuneNoteOf({ ...chosen[0], notes: { preset: 'smoke with {"epochs":5}' } }), ''); // the course's finetuning is full's
  });
});
