/**
 * A training state saved by earlier code still resumes. Long runs (the course's 650 epochs take days here) go on
 * across sessions and code changes, so the state file's format, the settings fingerprint it holds and the way
 * a run continues from it must stay compatible. The fixture (test/fixtures/old_state) is a tiny run's state,
 * stopped after step 5 of 22 by the commit named in tiny.losses.json, with the losses of that commit's
 * uninterrupted run of the same command. That commit's default synthetic world is kept beside it (world/, written
 * by that code's writeWorld), so that the run resumes on its own data whatever the default world is now.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main, EXIT } from '../lib/cli/main';
import { readRunRecords } from '../lib/results/record';

const FIXTURE = path.join(__dirname, 'fixtures', 'old_state');
// The command that made the fixture (with --stop-after 5 --checkpoint-every 5) and the uninterrupted run, on its
// world read from files (it was `--corpus synthetic` then, the same text), and the smoke preset's decay and
// micro-batch size of that time spelled out (10 epochs, 8 rows; the preset has changed since: a batch summed in
// other pieces rounds differently).
const TINY = ['--corpus', 'auto', '--n-layer', '1', '--n-head', '2', '--n-embd', '16', '--block-size', '16',
  '--dropout', '0.1', '--epochs', '2', '--batch-size', '32', '--decay-epochs', '10', '--micro-batch', '8',
  '--seed', '7', '--quiet'];

describe('resuming a training state saved by earlier code', function () {
  this.timeout(120000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mingpt-old-state-'));
  const saved = process.env.MINGPT_DATA_DIR;
  before(() => {
    process.env.MINGPT_DATA_DIR = path.join(FIXTURE, 'world');
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    if (saved === undefined) delete process.env.MINGPT_DATA_DIR;
    else process.env.MINGPT_DATA_DIR = saved;
  });

  it('continues at step 5 of 22 and ends with the losses of the uninterrupted run', async () => {
    const params = path.join(dir, 'tiny.params');
    fs.copyFileSync(path.join(FIXTURE, 'tiny.params.state'), `${params}.state`);
    const { losses: want } = JSON.parse(fs.readFileSync(path.join(FIXTURE, 'tiny.losses.json'), 'utf8')) as { losses: number[] };
    const err: string[] = [];
    const code = await main(['pretrain', ...TINY, '--writing-params', params, '--results-dir', path.join(dir, 'r')],
      { out: () => undefined, err: (l) => err.push(l) });
    assert.equal(code, EXIT.ok, err.join('\n'));
    assert.match(err.join('\n'), /resuming from .*tiny\.params\.state at step 5\/22/);
    const [record] = readRunRecords(path.join(dir, 'r'));
    // Records keep one point per epoch (11 steps each): its mean loss, five of the first epoch's eleven from the
    // saved state and the rest computed now, and the last step's loss. They match the uninterrupted run's to
    // rounding on the machine that made the fixture; another CPU's matrix kernels round differently, hence the
    // tolerance, far below what a wrong resume moves (optimizer moments lost: 0.1 per step).
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const got = record.curve!.map((p) => p.loss);
    const wantEpochs = [mean(want.slice(0, 11)), mean(want.slice(11, 22))];
    assert.equal(record.steps, 22);
    assert.equal(got.length, 2);
    got.forEach((loss, i) => assert.ok(Math.abs(loss - wantEpochs[i]) < 2e-3, `epoch ${i + 1}: mean loss ${loss}, the uninterrupted run's ${wantEpochs[i]}`));
    assert.ok(Math.abs(record.finalLoss! - want[21]) < 2e-3, `last step's loss ${record.finalLoss}, the uninterrupted run's ${want[21]}`);
    assert.ok(fs.existsSync(params) && !fs.existsSync(`${params}.state`), 'the final model is written and the state removed');
  });
});
