/**
 * Resuming a real run: the CLI is started as a child process, interrupted with Ctrl-C (SIGINT), resumed,
 * killed outright (SIGKILL) after a checkpoint, and resumed again. Its final weights, loss curve and
 * predictions must be bit-identical to those of a run that was never stopped.
 */
import * as assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readRunRecords } from '../lib/results/record';
import { readTrainingState } from '../lib/mingpt/run_state';
import { readSafetensors } from '../lib/mingpt/safetensors';

/** A checkpoint's tensors and metadata, without the id of the run that wrote it (each run has its own). */
function content(file: string): { tensors: [string, number[], Buffer][]; meta: Record<string, string> } {
  const st = readSafetensors(fs.readFileSync(file), file);
  const { runId, ...meta } = st.metadata;
  assert.ok(runId, `${file} carries its run's id`);
  return { tensors: [...st.tensors].map(([name, t]) => [name, t.shape, Buffer.from(t.data)]), meta };
}

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'mingpt.js');
// A tiny model on the synthetic world: 6 epochs of about a dozen steps, a checkpoint every 4 steps.
const TINY = ['--corpus', 'synthetic', '--n-layer', '1', '--n-head', '2', '--n-embd', '32', '--block-size', '32',
  '--dropout', '0.1', '--epochs', '6', '--batch-size', '32', '--checkpoint-every', '4', '--seed', '9', '--quiet'];

interface Finished { code: number | null; signal: NodeJS.Signals | null; stderr: string; stdout: string }

/** Starts the CLI; `onLine` sees each stderr line and may signal the child. */
function start(args: string[], onLine?: (line: string, child: ChildProcess) => void): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    let partial = '';
    child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      partial += d.toString();
      const lines = partial.split('\n');
      partial = lines.pop()!;
      for (const l of lines) onLine?.(l, child);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr, stdout }));
  });
}

describe('resuming an interrupted training run (real processes)', function () {
  this.timeout(240000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mingpt-resume-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('ends with the same weights, loss curve and predictions as a run never stopped', async () => {
    const a = path.join(dir, 'a.params');
    const b = path.join(dir, 'b.params');
    const runA = await start(['pretrain', ...TINY, '--writing-params', a, '--results-dir', path.join(dir, 'ra')]);
    assert.equal(runA.code, 0, runA.stderr);
    const [recA] = readRunRecords(path.join(dir, 'ra'));
    const total = recA.steps!;
    assert.ok(total >= 30, `a run long enough to be interrupted twice (${total} steps)`);

    const argsB = ['pretrain', ...TINY, '--writing-params', b, '--results-dir', path.join(dir, 'rb')];
    // 1. Ctrl-C after the first checkpoint: the run saves its state and says how to resume.
    let sent = false;
    const int = await start(argsB, (line, child) => {
      if (!sent && /^checkpoint: step \d+\//.test(line)) { sent = true; child.kill('SIGINT'); }
    });
    assert.equal(int.code, 130, int.stderr);
    assert.match(int.stderr, new RegExp(`stopped at step \\d+/${total}; the training state is in .*b\\.params\\.state`));
    assert.match(int.stderr, /Resume with the same command: mingpt pretrain/);
    const stoppedAt = readTrainingState(`${b}.state`).trainer.step;
    assert.ok(stoppedAt > 0 && stoppedAt < total);
    assert.ok(!fs.existsSync(b), 'no final model yet');

    // 2. Resume, then SIGKILL (no chance to clean up) right after a later checkpoint.
    let killedAfter = -1;
    const killed = await start(argsB, (line, child) => {
      const m = /^checkpoint: step (\d+)\//.exec(line);
      if (m && killedAfter < 0 && Number(m[1]) > stoppedAt) { killedAfter = Number(m[1]); child.kill('SIGKILL'); }
    });
    assert.equal(killed.signal, 'SIGKILL', killed.stderr);
    assert.match(killed.stderr, new RegExp(`resuming from .*b\\.params\\.state at step ${stoppedAt}/${total}`));
    const state = readTrainingState(`${b}.state`); // intact and readable after the kill
    assert.ok(state.trainer.step >= killedAfter);

    // 3. Resume to the end.
    const done = await start(argsB);
    assert.equal(done.code, 0, done.stderr);
    assert.ok(!fs.existsSync(`${b}.state`), 'the state file is removed once the model is written');
    assert.deepEqual(content(b), content(a), 'the same weights, byte for byte, and the same metadata but the run id');
    const [recB] = readRunRecords(path.join(dir, 'rb'));
    assert.equal(recB.curve!.length, 6, 'one point per epoch');
    assert.deepEqual(recB.curve, recA.curve);
    assert.ok(recA.curve![5].loss < recA.curve![0].loss);

    // Same weights, same predictions and accuracy.
    const evalArgs = (params: string, out: string): string[] => ['evaluate', '--corpus', 'synthetic', '--reading-params', params,
      '--outputs', out, '--results-dir', path.join(dir, 're'), '--quiet', '--json'];
    const [ea, eb] = await Promise.all([start(evalArgs(a, path.join(dir, 'a.txt'))), start(evalArgs(b, path.join(dir, 'b.txt')))]);
    assert.equal(ea.code, 0, ea.stderr);
    assert.equal(eb.code, 0, eb.stderr);
    assert.equal(readRunRecords(path.join(dir, 're')).length, 2, 'two evaluations side by side keep a record each');
    assert.equal(fs.readFileSync(path.join(dir, 'a.txt'), 'utf8'), fs.readFileSync(path.join(dir, 'b.txt'), 'utf8'));
    assert.equal(JSON.parse(ea.stdout).accuracy, JSON.parse(eb.stdout).accuracy);
  });

  it('refuses to resume a state saved by different settings', async () => {
    const c = path.join(dir, 'c.params');
    const args = ['pretrain', ...TINY, '--writing-params', c, '--results-dir', path.join(dir, 'rc')];
    const first = await start([...args, '--stop-after', '2']);
    assert.equal(first.code, 130, first.stderr);
    const other = await start([...args.map((x) => (x === '9' ? '10' : x))]);
    assert.equal(other.code, 2);
    assert.match(other.stderr, /c\.params\.state holds the state of a different run .*--fresh to start over/);
  });
});
