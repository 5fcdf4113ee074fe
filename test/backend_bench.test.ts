import * as assert from 'node:assert';
import { fullPretrainPositions, median, parseBenchArgs } from '../bench/bench';

describe('bench options and arithmetic', () => {
  it('defaults: batch 128 in micro-batches of 8, threads by the machine, 2 warm-up and 5 measured steps, evaluation on', () => {
    const o = parseBenchArgs([]);
    assert.deepStrictEqual([o.batch, o.micro, o.threads, o.warmup, o.steps, o.evaluate, o.trim, o.json, o.vsPytorch], [128, 8, 0, 2, 5, true, true, false, false]);
  });

  it('reads every option, and names the bad one', () => {
    const o = parseBenchArgs(['--json', '--steps', '3', '--warmup', '0', '--batch', '64', '--micro', '0', '--variant', 'rope', '--no-trim', '--no-eval', '--leak-steps', '100', '--vs-pytorch']);
    assert.deepStrictEqual([o.json, o.steps, o.warmup, o.batch, o.micro, o.variant, o.trim, o.evaluate, o.leakSteps, o.vsPytorch], [true, 3, 0, 64, 0, 'rope', false, false, 100, true]);
    assert.throws(() => parseBenchArgs(['--steps', '0']), /--steps needs an integer >= 1, got "0"/);
    assert.throws(() => parseBenchArgs(['--batch']), /--batch needs an integer >= 1, got nothing/);
    assert.throws(() => parseBenchArgs(['--variant', 'gpt2']), /--variant must be vanilla or rope, got "gpt2"/);
    assert.throws(() => parseBenchArgs(['--fast']), /unknown option "--fast"/);
    assert.strictEqual(parseBenchArgs(['--threads', '2']).threads, 2);
    assert.throws(() => parseBenchArgs(['--threads', '3']), /--threads must be 1 or 2, got 3/);
  });

  it('median of odd and even counts', () => {
    assert.strictEqual(median([5, 1, 3]), 3);
    assert.strictEqual(median([4, 1, 3, 2]), 2.5);
    assert.throws(() => median([]), /no values/);
  });

  it('the full pretraining is 650 epochs x documents x 128 positions', () => {
    assert.strictEqual(fullPretrainPositions(2937), 650 * 2937 * 128);
  });
});
