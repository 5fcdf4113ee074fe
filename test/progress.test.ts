/** Training progress in notebooks: one line that updates in place, or a few printed lines outside a kernel. */
import * as assert from 'node:assert/strict';
import { progressDisplay, progressLine } from '../lib/cli/progress';
import { formatDuration } from '../lib/util/format';
import type { StepInfo } from '../lib/mingpt/trainer'; // the trainer's own type: progressDisplay must accept it

/** `n` steps, one every `msPerStep` of a fake clock; returns what the callback showed or printed. */
function run(n: number, msPerStep: number, withDisplay: boolean): { shown: string[]; printed: string[] } {
  let clock = 0;
  const shown: string[] = [];
  const printed: string[] = [];
  const onStep = progressDisplay('pretrain', {
    now: () => clock,
    display: withDisplay ? { show: (d) => shown.push(d['text/plain']) } : undefined,
    print: (line) => printed.push(line),
  });
  for (let step = 1; step <= n; step++) {
    clock += msPerStep;
    const info: StepInfo = { step, epoch: Math.ceil(step / 10), loss: 3 - step / n, lr: 6e-4, tokens: step * 1000, totalSteps: n, tokensPerSec: 5000, etaSeconds: ((n - step) * msPerStep) / 1000 };
    onStep(info);
  }
  return { shown, printed };
}

describe('progress in notebooks', () => {
  it('in a kernel: one display, updated at most twice a second, first and last step always', () => {
    const { shown, printed } = run(600, 100, true); // 60 s of training
    assert.deepEqual(printed, [], 'nothing printed: the display is updated instead');
    // step 1, then every 5th step (0.5 s at 0.1 s a step), and step 600
    assert.equal(shown.length, 121);
    assert.match(shown[0], /^pretrain \[\.{24}\] 1\/600 epoch 1 loss 2\.9983 lr now 6\.00e-4 5000 tok\/s ETA 1m00s$/);
    assert.match(shown[shown.length - 1], /^pretrain \[#{24}\] 600\/600 epoch 60 loss 2\.0000 .* ETA 0s$/);
  });

  it('outside a kernel: a printed line at the first step, every 30 s, and the last step', () => {
    const { shown, printed } = run(600, 100, false);
    assert.deepEqual(shown, []);
    assert.deepEqual(printed.map((l) => /(\d+)\/600/.exec(l)?.[1]), ['1', '301', '600']);
  });

  it('a short run shows its first and last step only once each', () => {
    const { shown } = run(2, 10, true);
    assert.equal(shown.length, 2);
    assert.equal(progressLine('x', { step: 2, epoch: 1, loss: 1, lr: 1e-3, totalSteps: 2, tokensPerSec: 1, etaSeconds: 0 }, 4), 'x [####] 2/2 epoch 1 loss 1.0000 lr now 1.00e-3 1 tok/s ETA 0s');
    assert.equal(formatDuration(3725), '1h02m');
  });
});
