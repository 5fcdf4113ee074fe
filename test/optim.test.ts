import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/backend';
import { AdamW, clipByGlobalNorm } from '../lib/mingpt/optim';

function close(actual: ArrayLike<number>, expected: number[], tol = 1e-6): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `index ${i}: ${actual[i]} vs ${expected[i]}`);
  }
}

describe('AdamW', () => {
  before(async () => { await initBackend(); });

  it('matches two hand-computed torch.optim.AdamW steps', () => {
    const w = tf.variable(tf.tensor1d([1, -2]));
    const params = new Map([['w', w]]);
    const opt = new AdamW(params, ['w'], { betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.1 });
    // Step 1, lr 0.1: m_hat = g and v_hat = g^2, so the Adam step is lr * sign(g);
    // decay first multiplies by 1 - 0.1 * 0.1 = 0.99.  w0: 0.99 - 0.1 = 0.89;  w1: -1.98 - 0.1 = -2.08.
    opt.apply({ w: tf.tensor1d([0.5, 0.1]) }, 0.1);
    close(w.dataSync(), [0.89, -2.08]);
    // Step 2, g = (0.25, -0.3):  for w0: m = 0.9*0.05 + 0.1*0.25 = 0.07, v = 0.95*0.0125 + 0.05*0.0625 = 0.015,
    // bias corrections 1 - 0.9^2 = 0.19 and 1 - 0.95^2 = 0.0975, step = 0.1 * (0.07/0.19) / sqrt(0.015/0.0975)
    // = 0.0939300; w0 = 0.89*0.99 - 0.0939300 = 0.7871700.
    // For w1: m = 0.9*0.01 - 0.03 = -0.021, v = 0.95*0.0005 + 0.05*0.09 = 0.004975,
    // step = 0.1 * (-0.021/0.19) / sqrt(0.004975/0.0975) = -0.0489306; w1 = -2.08*0.99 + 0.0489306 = -2.0102694.
    opt.apply({ w: tf.tensor1d([0.25, -0.3]) }, 0.1);
    close(w.dataSync(), [0.78717, -2.0102694], 2e-6);
    assert.equal(opt.step, 2);
    opt.dispose();
    w.dispose();
  });

  it('decays exactly the parameters it is told to, and only those', () => {
    const a = tf.variable(tf.tensor1d([2, 4]));
    const b = tf.variable(tf.tensor1d([2, 4]));
    const opt = new AdamW(new Map([['a', a], ['b', b]]), ['a'], { betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.5 });
    // Zero gradients: the Adam term is 0 / (0 + eps) = 0, leaving only the decay p * (1 - lr * wd) = p * 0.9.
    opt.apply({ a: tf.zeros([2]), b: tf.zeros([2]) }, 0.2);
    close(a.dataSync(), [1.8, 3.6]);
    close(b.dataSync(), [2, 4]);
    assert.deepEqual(opt.decayNames(), ['a']);
    assert.throws(() => new AdamW(new Map([['a', a]]), ['nope']), /decay parameter "nope" is not a parameter/);
    opt.dispose();
    a.dispose();
    b.dispose();
  });

  it('frees everything it made on dispose', () => {
    const w = tf.variable(tf.tensor1d([1, 2, 3]));
    const before = tf.memory().numTensors;
    const opt = new AdamW(new Map([['w', w]]), ['w']);
    opt.apply({ w: tf.tensor1d([0.3, -0.2, 0.1]) }, 0.01);
    opt.dispose();
    assert.equal(tf.memory().numTensors, before + 1); // + the gradient tensor made above
    w.dispose();
  });

  it('saves and restores its moments exactly', () => {
    const w = tf.variable(tf.tensor1d([1, 2, 3]));
    const opt = new AdamW(new Map([['w', w]]), []);
    opt.apply({ w: tf.tensor1d([0.3, -0.2, 0.1]) }, 0.01);
    const state = opt.getState();
    const w2 = tf.variable(tf.tensor1d([1, 2, 3]));
    const opt2 = new AdamW(new Map([['w', w2]]), []);
    opt2.setState(state);
    w2.assign(w);
    opt.apply({ w: tf.tensor1d([0.1, 0.1, -0.4]) }, 0.01);
    opt2.apply({ w: tf.tensor1d([0.1, 0.1, -0.4]) }, 0.01);
    assert.deepEqual(Array.from(w2.dataSync()), Array.from(w.dataSync()));
    assert.equal(opt2.step, 2);
    assert.throws(() => opt2.setState({ step: 1, m: new Map(), v: new Map() }), /no m for parameter "w"/);
    for (const t of [w, w2]) t.dispose();
    opt.dispose();
    opt2.dispose();
  });
});

describe('clipByGlobalNorm', () => {
  before(async () => { await initBackend(); });

  it('scales gradients whose global norm exceeds the limit down to it', () => {
    const before = tf.memory().numTensors;
    const g = { a: tf.tensor1d([3, 0]), b: tf.tensor2d([[4]]) };
    const { grads, norm } = clipByGlobalNorm(g, 1);
    // Global norm sqrt(9 + 16) = 5; coefficient 1 / (5 + 1e-6).
    close(norm.dataSync(), [5], 1e-5);
    close(grads.a.dataSync(), [0.6, 0], 1e-6);
    close(grads.b.dataSync(), [0.8], 1e-6);
    for (const t of [g.a, g.b, grads.a, grads.b, norm]) t.dispose();
    assert.equal(tf.memory().numTensors, before);
  });

  it('leaves gradients under the limit unchanged', () => {
    const g = { a: tf.tensor1d([0.3, 0.4]) };
    const { grads, norm } = clipByGlobalNorm(g, 1);
    close(norm.dataSync(), [0.5], 1e-6);
    assert.deepEqual(Array.from(grads.a.dataSync()), Array.from(g.a.dataSync()));
    assert.throws(() => clipByGlobalNorm(g, 0), /maxNorm must be positive/);
    for (const t of [g.a, grads.a, norm]) t.dispose();
  });
});
