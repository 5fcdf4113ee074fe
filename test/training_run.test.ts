/**
 * TrainingRun (lib/mingpt/training_run.ts): a run resumes only a state of its own settings, writes its
 * snapshots, knows a snapshot it wrote in an earlier session from one another run left behind, and ends with
 * the final model written and the state gone. (The CLI's end-to-end behaviour is in cli, resume and snapshots.)
 */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initBackend } from '../lib/backend';
import { Vocab } from '../lib/data/vocab';
import type { Example } from '../lib/data/name_dataset';
import type { ExampleDataset } from '../lib/mingpt/batches';
import { GPT } from '../lib/mingpt/model';
import { readSafetensors } from '../lib/mingpt/safetensors';
import { MINGPT_TRAINER_DEFAULTS, TrainerConfig } from '../lib/mingpt/trainer';
import { RunSettingsError, Snapshot, TrainingRun, TrainingRunOptions, snapshotFile } from '../lib/mingpt/training_run';
import { Rng } from '../lib/util/random';

const vocab = Vocab.fromCorpus('abcdefgh\n');
const config = { vocabSize: vocab.size, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 8, dropout: 0.1, variant: 'vanilla' as const };

/** 12 rows of 8 ids counting up from a random start: 3 steps an epoch at batch 4. */
const counting: ExampleDataset = {
  length: 12,
  example(i: number, rng: Rng): Example {
    const start = (i + rng.int(0, 3)) % vocab.size;
    const ids = Int32Array.from({ length: 9 }, (_, t) => (start + t) % vocab.size);
    return { x: ids.subarray(0, 8), y: ids.subarray(1) };
  },
};

const trainerConfig = (over: Partial<TrainerConfig> = {}): TrainerConfig => ({
  ...MINGPT_TRAINER_DEFAULTS, maxEpochs: 4, batchSize: 4, learningRate: 1e-2, warmupTokens: 0, finalTokens: 1000, seed: 3, ...over,
});

describe('TrainingRun', function () {
  this.timeout(60000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mingpt-run-'));
  before(async () => {
    await initBackend();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** One session of a run writing `name`, stopped after `stopAfterStep` when given; returns its snapshots. */
  async function session(name: string, opts: Partial<TrainingRunOptions> = {}, trainer = trainerConfig()) {
    const model = new GPT(config, 1);
    const log: string[] = [];
    const snapshots: Snapshot[] = [];
    const run = await TrainingRun.create(model, counting, trainer, {
      writingParams: path.join(dir, `${name}.params`), identity: { verb: 'test' }, checkpointMeta: { stage: 'test' }, runId: (startedAt) => `${startedAt}-test`, vocab,
      threads: 1, snapshotEpochs: [2], checkpointEverySteps: 1, log: (m) => log.push(m), ...opts,
    });
    try {
      const result = await run.train({ onSnapshot: (s) => snapshots.push({ ...s }) });
      return { result, log, snapshots, run };
    } finally {
      await run.dispose();
      model.dispose();
    }
  }

  it('keeps the micro-batch size out of what a resumed state must match, and says what differs otherwise', async () => {
    const first = await session('a', { stopAfterStep: 2, microBatchSize: 2 });
    assert.equal(first.result.completed, false);
    assert.equal(first.run.config.microBatchSize, 2);
    await assert.rejects(session('a', {}, trainerConfig({ learningRate: 2e-2 })),
      (e: Error) => e instanceof RunSettingsError && /a\.params\.state holds the state of a different run \(trainer: saved .*learningRate\\":0\.01.*, now .*learningRate\\":0\.02/.test(e.message));
    const second = await session('a', { microBatchSize: 4 });
    assert.match(second.log.join('\n'), /resuming from .*a\.params\.state at step 2\/12/);
    assert.equal(second.result.completed, true);
    assert.ok(fs.existsSync(path.join(dir, 'a.params')) && !fs.existsSync(path.join(dir, 'a.params.state')));
  });

  it('takes the micro-batch size from the trainer settings (as a preset sets it), still out of the fingerprint', async () => {
    const first = await session('m', { stopAfterStep: 2 }, trainerConfig({ microBatchSize: 4 }));
    assert.equal(first.run.config.microBatchSize, 4);
    const second = await session('m', {}, trainerConfig({ microBatchSize: 2 }));
    assert.match(second.log.join('\n'), /resuming from .*m\.params\.state at step 2\/12/);
    assert.equal(second.run.config.microBatchSize, 2);
  });

  it('starts a helper thread only when a batch splits into more than one micro-batch', async () => {
    const whole = await session('w1', { threads: 2 }, trainerConfig({ microBatchSize: 4 }));
    assert.equal(whole.run.threads, 1, 'batch 4 in one pass of 4: the helper would have nothing to do');
    const split = await session('w2', { threads: 2 }, trainerConfig({ microBatchSize: 2 }));
    assert.equal(split.run.threads, 2);
  });

  it('tells a snapshot it wrote in an earlier session from one another run left', async () => {
    // Session 1 stops before epoch 2 ends (step 6); session 2 writes the snapshot, then dies before saving again.
    await session('b', { stopAfterStep: 5 });
    const state = fs.readFileSync(path.join(dir, 'b.params.state'));
    const second = await session('b', { stopAfterStep: 7 });
    assert.deepEqual(second.snapshots.map((s) => [s.epoch, s.ofEpochs, s.replayed]), [[2, 4, false]]);
    assert.equal(second.snapshots[0].file, snapshotFile(path.join(dir, 'b.params'), 2));
    const meta = readSafetensors(fs.readFileSync(second.snapshots[0].file)).metadata;
    assert.equal(meta.snapshotEpoch, '2');
    assert.equal(meta.runStartedAt, second.run.runStartedAt);
    // Every session names the run from its first start: the snapshot is `<run id>-e2`, the final model the run id.
    assert.equal(second.run.id, `${second.run.runStartedAt}-test`);
    assert.equal(meta.runId, `${second.run.id}-e2`);
    assert.equal(second.snapshots[0].id, meta.runId);
    fs.writeFileSync(path.join(dir, 'b.params.state'), state);
    const third = await session('b');
    assert.deepEqual(third.snapshots.map((s) => [s.epoch, s.replayed]), [[2, true]], 'the same run replayed epoch 2');
    assert.equal(third.run.id, second.run.id);
    assert.equal(readSafetensors(fs.readFileSync(path.join(dir, 'b.params'))).metadata.runId, third.run.id);
    // A new run (--fresh) over the same files: the old snapshot is not its own.
    const fresh = await session('b', { fresh: true });
    assert.deepEqual(fresh.snapshots.map((s) => [s.epoch, s.replayed]), [[2, false]]);
    assert.notEqual(fresh.run.runStartedAt, third.run.runStartedAt);
  });

  it('refuses snapshots at or after the last epoch', async () => {
    await assert.rejects(session('c', { snapshotEpochs: [2, 4] }), /snapshots after epochs 4: they must come before the run's last epoch \(4\)/);
  });
});
