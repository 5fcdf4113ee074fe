/**
 * --snapshot-epochs: one long run also writes its model after chosen epochs, each with a record, so that
 * accuracy can be plotted against compute from a single schedule. A snapshot must be exactly the model a
 * shorter run on the same schedule ends with, and must survive an interruption between snapshots.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main, EXIT } from '../lib/cli/main';
import { snapshotFile } from '../lib/mingpt/training_run';
import { readRunRecords } from '../lib/results/record';
import { readSafetensors, toFloat32 } from '../lib/mingpt/safetensors';
import { generateWorld } from '../lib/data/synthetic_world';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** The weights of a checkpoint, by name, and its metadata. */
function weights(file: string): { tensors: Record<string, number[]>; meta: Record<string, string> } {
  const f = readSafetensors(fs.readFileSync(file), file);
  const tensors: Record<string, number[]> = {};
  for (const [name, t] of f.tensors) tensors[name] = Array.from(toFloat32(t, name));
  return { tensors, meta: f.metadata };
}

// A tiny model on the synthetic world, 4 epochs of PER_EPOCH steps (batch 32 over the world's lines, preamble
// included); the cosine is fitted to 4 epochs in every run, so that a 2-epoch run follows the same schedule as the
// first half of the 4-epoch one. HALF steps is mid-epoch.
const PER_EPOCH = Math.ceil(generateWorld().pretrainText.split('\n').length / 32);
const HALF = Math.floor(PER_EPOCH / 2);
const TINY = ['--corpus', 'synthetic', '--n-layer', '1', '--n-head', '2', '--n-embd', '32', '--block-size', '32',
  '--dropout', '0.1', '--batch-size', '32', '--decay-epochs', '4', '--seed', '5', '--quiet'];

describe('mingpt --snapshot-epochs', function () {
  this.timeout(120000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mingpt-snap-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('names snapshot files after the epoch', () => {
    assert.equal(snapshotFile('tmp/rope.pretrain-full.params', 100), 'tmp/rope.pretrain-full.e100.params');
    assert.equal(snapshotFile('model.bin', 3), 'model.bin.e3');
  });

  it('writes after epochs 1 and 2 of 4 exactly the models of 1- and 2-epoch runs, through an interruption', async () => {
    const long = path.join(dir, 'long.params');
    const longArgs = ['pretrain', ...TINY, '--epochs', '4', '--snapshot-epochs', '1,2', '--writing-params', long, '--results-dir', path.join(dir, 'rl')];
    // Interrupted in the second epoch (after the first snapshot), then resumed with the same command.
    const first = await run([...longArgs, '--stop-after', String(PER_EPOCH + HALF), '--checkpoint-every', String(HALF)]);
    assert.equal(first.code, EXIT.interrupted, first.err);
    assert.match(first.err, /snapshot after epoch 1\/4: model written to .*long\.e1\.params/);
    assert.ok(!fs.existsSync(snapshotFile(long, 2)));
    const second = await run(longArgs);
    assert.equal(second.code, EXIT.ok, second.err);
    assert.match(second.err, /epoch 1 already done before this session, no snapshot/);
    assert.match(second.err, /snapshot after epoch 2\/4/);
    assert.match(second.err, /pretrain done in .* over 2 sessions/);

    for (const e of [1, 2]) {
      const short = path.join(dir, `short${e}.params`);
      const r = await run(['pretrain', ...TINY, '--epochs', String(e), '--writing-params', short, '--results-dir', path.join(dir, `rs${e}`)]);
      assert.equal(r.code, EXIT.ok, r.err);
      const snap = weights(snapshotFile(long, e));
      assert.deepEqual(snap.tensors, weights(short).tensors, `epoch ${e}: the snapshot's weights are the short run's`);
      assert.equal(snap.meta.snapshotEpoch, String(e));
      assert.equal(snap.meta.runId, `${readRunRecords(path.join(dir, 'rl')).find((x) => x.completed)?.id ?? ''}-e${e}`, 'the checkpoint carries its record\'s id');

      // Its record: a pretraining record of that many steps and tokens, marked as a snapshot, not completed.
      const rec = readRunRecords(path.join(dir, 'rl')).find((x) => x.snapshot?.epoch === e)!;
      const [shortRec] = readRunRecords(path.join(dir, `rs${e}`));
      assert.deepEqual(rec.snapshot, { epoch: e, ofEpochs: 4 });
      assert.equal(rec.completed, false);
      assert.equal(rec.verb, 'pretrain');
      assert.equal(rec.files.writingParams, path.resolve(snapshotFile(long, e)));
      assert.equal(rec.files.runWritingParams, path.resolve(long));
      assert.equal(rec.steps, shortRec.steps);
      assert.equal(rec.tokens, shortRec.tokens);
      assert.deepEqual(rec.curve, shortRec.curve);
      assert.equal(rec.finalLoss, shortRec.finalLoss);
    }
    // The final record counts both sessions' training time.
    const records = readRunRecords(path.join(dir, 'rl'));
    const final = records.find((x) => x.completed)!;
    const snap2 = records.find((x) => x.snapshot?.epoch === 2)!;
    assert.equal(records.length, 3);
    assert.equal(final.notes?.sessions, '2');
    // What ran the products, for the wall time's sake: the backend, and on wasm the BLAS or XNNPACK.
    const detail = String(final.notes?.backendDetail);
    assert.match(detail, /^tfjs \d+\.\d+\.\d+ on backend "\w+"/);
    if (final.backend === 'wasm') assert.match(detail, /matMul on (OpenBLAS|XNNPACK)/);
    assert.ok(final.wallSeconds >= snap2.wallSeconds && snap2.wallSeconds > 0);
    assert.equal(final.steps, 4 * PER_EPOCH);
  });

  it('records a snapshot once when a resume replays it, and saves the state right after each snapshot', async () => {
    const long = path.join(dir, 'replay.params');
    const results = path.join(dir, 'rr');
    const args = ['pretrain', ...TINY, '--epochs', '4', '--snapshot-epochs', '1', '--writing-params', long, '--results-dir', results];
    const state = `${long}.state`;
    const first = await run([...args, '--stop-after', String(HALF), '--checkpoint-every', String(HALF)]);
    assert.equal(first.code, EXIT.interrupted, first.err);
    const before = fs.readFileSync(state); // saved mid-epoch, before the snapshot (epoch 1 ends at step PER_EPOCH)
    const second = await run([...args, '--stop-after', String(PER_EPOCH + HALF), '--checkpoint-every', '100']);
    assert.equal(second.code, EXIT.interrupted, second.err);
    assert.match(second.err, /snapshot after epoch 1\/4: model written to .*replay\.e1\.params, record /);
    assert.match(second.err, new RegExp(`checkpoint: step ${PER_EPOCH}/${4 * PER_EPOCH} saved`), 'the state is saved right after the snapshot');
    const snapshotWeights = weights(snapshotFile(long, 1)).tensors;

    // As if the second session had died after writing the snapshot but before saving its state.
    fs.writeFileSync(state, before);
    const third = await run(args);
    assert.equal(third.code, EXIT.ok, third.err);
    assert.match(third.err, /snapshot after epoch 1\/4: model written again to .*replay\.e1\.params \(the state this session resumed from was saved before it\); its record from the earlier session stands \(\S+-e1\)/);
    assert.deepEqual(weights(snapshotFile(long, 1)).tensors, snapshotWeights, 'the replay gives the same snapshot');

    const records = readRunRecords(results);
    assert.equal(records.filter((r) => r.snapshot?.epoch === 1).length, 1, 'one record of the snapshot');
    assert.equal(records.length, 2);
    const [snap, final] = [records.find((r) => r.snapshot)!, records.find((r) => r.completed)!];
    // Every session's records and checkpoints name the run by the first session's start.
    assert.equal(snap.run, final.id);
    assert.equal(final.run, final.id);
    assert.equal(snap.id, `${final.id}-e1`);
    assert.equal(weights(long).meta.runId, final.id);
    assert.ok(final.id < `${snap.startedAt.replace(/[-:]/g, '')}` && snap.startedAt < final.startedAt, 'the id is older than the sessions after the first');
  });

  it('refuses a snapshot at or after the last epoch, before training', async () => {
    const r = await run(['pretrain', ...TINY, '--epochs', '2', '--snapshot-epochs', '1,2', '--writing-params', path.join(dir, 'x.params'),
      '--results-dir', path.join(dir, 'rx')]);
    assert.equal(r.code, EXIT.usage);
    assert.match(r.err, /--snapshot-epochs 2: snapshots must come before the run's last epoch \(2\)/);
    assert.ok(!fs.existsSync(path.join(dir, 'x.params.state')));
  });
});
