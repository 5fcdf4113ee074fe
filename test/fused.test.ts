import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/backend';
import { gelu, layerNorm } from '../lib/backend/ops';
import { geluFused, geluReference, layerNormFused, layerNormReference, setFusedKernels } from '../lib/backend/fused';
import { setFastWasmKernels } from '../lib/backend/wasm_fixes';
import { assembleKernels, kernelsSource, OUT_PATH } from '../scripts/build_simd';
import { Rng } from '../lib/util/random';
import { maxAbsDiff } from './numeric_helpers';

const SQRT_2PI = Math.sqrt(2 * Math.PI);
/** erf to double precision (Abramowitz & Stegun 7.1.28 is too coarse; this is the series / continued fraction). */
function erf(x: number): number {
  const z = Math.abs(x);
  let r: number;
  if (z < 3) {
    // Maclaurin series: erf(z) = 2/sqrt(pi) sum (-1)^n z^(2n+1) / (n! (2n+1))
    let term = z;
    let sum = z;
    for (let n = 1; n < 80; n++) {
      term *= (-z * z) / n;
      sum += term / (2 * n + 1);
    }
    r = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    // erfc continued fraction (Lentz), accurate for z >= 3
    let f = z;
    for (let k = 60; k >= 1; k--) f = z + k / 2 / f;
    r = 1 - Math.exp(-z * z) / (f * Math.sqrt(Math.PI));
  }
  return x < 0 ? -r : r;
}
const Phi = (x: number) => 0.5 * (1 + erf(x / Math.SQRT2));
const phi = (x: number) => Math.exp(-x * x / 2) / SQRT_2PI;

function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}

describe('fused GELU and LayerNorm kernels (wasm SIMD)', () => {
  before(async function () {
    const info = await initBackend();
    if (info.name !== 'wasm') this.skip();
  });

  it('the committed binary is what kernels.wat assembles to', async () => {
    assert.equal(readFileSync(OUT_PATH, 'utf8'), kernelsSource(await assembleKernels()), 'run npx tsx scripts/build_simd.ts');
  });

  it('GELU matches x Phi(x) computed in double precision, from the far negative tail to large x', () => {
    const xs = [-12, -9, -6, -4, -3, -2, -1.5, -1, -0.5, -0.1, -1e-3, 0, 1e-3, 0.1, 0.5, 1, 1.5, 2, 3, 4, 6, 9, 12];
    const got = tf.tidy(() => values(geluFused(tf.tensor1d(xs))));
    xs.forEach((x, i) => {
      const want = x * Phi(x);
      // absolute 2e-7 (the A&S erf), or relative 2e-6 where GELU is tiny (the negative tail: no cancellation)
      assert.ok(Math.abs(got[i] - want) <= Math.max(2e-7 * Math.max(1, Math.abs(x)), 2e-6 * Math.abs(want)), `gelu(${x}) = ${got[i]}, want ${want}`);
    });
    assert.equal(got[xs.indexOf(0)], 0);
    // hand values: gelu(1) = Phi(1) = 0.841345, gelu(-1) = -(1 - Phi(1)) = -0.158655
    assert.ok(Math.abs(got[xs.indexOf(1)] - 0.8413447) < 1e-6);
    assert.ok(Math.abs(got[xs.indexOf(-1)] + 0.1586553) < 1e-6);
  });

  it('GELU gradient is Phi(x) + x phi(x) (1.0833155 at x = 1), and equals the tf-op gradient', () => {
    const xs = [-8, -3, -1, -0.25, 0, 0.25, 1, 3, 8];
    const g = tf.tidy(() => values(tf.grad((x: tf.Tensor) => tf.sum(geluFused(x)))(tf.tensor1d(xs))));
    xs.forEach((x, i) => assert.ok(Math.abs(g[i] - (Phi(x) + x * phi(x))) < 5e-7, `gelu'(${x}) = ${g[i]}`));
    assert.ok(Math.abs(g[xs.indexOf(1)] - 1.0833155) < 1e-6);
    // against the tf-op version with a non-uniform upstream gradient, on a shape whose size is not a multiple of 4
    const rng = new Rng(3);
    const x = tf.tensor3d(rng.normals(3 * 5 * 7, 0, 2), [3, 5, 7]);
    const w = tf.tensor3d(rng.normals(3 * 5 * 7, 0, 1), [3, 5, 7]);
    const grad = (f: (t: tf.Tensor) => tf.Tensor) => tf.tidy(() => values(tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), w)))(x)));
    assert.ok(maxAbsDiff(grad(geluFused), grad(geluReference)) < 2e-6);
    tf.dispose([x, w]);
  });

  it('GELU handles every tail length (sizes 0 to 9) and leaves no tensor behind', () => {
    const before = tf.memory().numTensors;
    for (let n = 0; n <= 9; n++) {
      const xs = Array.from({ length: n }, (_, i) => i - 4.5);
      const [fused, ref] = tf.tidy(() => [values(geluFused(tf.tensor1d(xs))), values(geluReference(tf.tensor1d(xs)))]);
      assert.equal(fused.length, n);
      assert.ok(maxAbsDiff(fused, ref) < 1e-6, `size ${n}`);
      const dx = tf.tidy(() => values(tf.grad((x: tf.Tensor) => tf.sum(geluFused(x)))(tf.tensor1d(xs))));
      assert.equal(dx.length, n);
    }
    assert.equal(tf.memory().numTensors, before);
  });

  it('LayerNorm of [1, 2, 3, 4] is (x - 2.5) / sqrt(1.25 + eps) * w + b', () => {
    const got = tf.tidy(() => values(layerNormFused(tf.tensor2d([[1, 2, 3, 4]]), tf.tensor1d([1, 2, 1, 1]), tf.tensor1d([0, 0, 0, 10]), 1e-5)));
    const s = Math.sqrt(1.25 + 1e-5);
    const want = [-1.5 / s, (2 * -0.5) / s, 0.5 / s, 1.5 / s + 10];
    assert.ok(maxAbsDiff(got, want) < 1e-6, `${got}`);
  });

  it('LayerNorm values and all three gradients equal the tf-op version, for widths that are and are not multiples of 4', () => {
    const rng = new Rng(5);
    for (const [rows, c] of [[1, 1], [3, 4], [2, 5], [6, 37], [4, 256]] as const) {
      const x = tf.tensor2d(rng.normals(rows * c, 0.5, 2), [rows, c]);
      const w = tf.tensor1d(rng.normals(c, 1, 0.3));
      const b = tf.tensor1d(rng.normals(c, 0, 0.3));
      const up = tf.tensor2d(rng.normals(rows * c, 0, 1), [rows, c]);
      const run = (f: typeof layerNormFused) =>
        tf.tidy(() => {
          const y = values(f(x, w, b, 1e-5));
          const grads = tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(f(xx, ww, bb, 1e-5), up)))([x, w, b]);
          return [y, ...grads.map(values)];
        });
      const fused = run(layerNormFused);
      const ref = run(layerNormReference);
      fused.forEach((v, i) => assert.ok(maxAbsDiff(v, ref[i]) < 3e-5, `rows ${rows} width ${c}: output ${i} differs by ${maxAbsDiff(v, ref[i])}`));
      if (c === 1) assert.deepEqual(fused[0], tf.tidy(() => values(b.tile([rows])))); // a single column normalises to 0: y = b
      tf.dispose([x, w, b, up]);
    }
  });

  it('LayerNorm gradient with respect to x alone leaves no tensor behind', () => {
    const x = tf.randomNormal([2, 3, 8], 0, 1, 'float32', 1);
    const w = tf.ones([8]);
    const b = tf.zeros([8]);
    const before = tf.memory().numTensors;
    const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.square(layerNormFused(t, w, b, 1e-5))))(x);
    dx.dispose();
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([x, w, b]);
  });

  it('ops.gelu and ops.layerNorm run the fused kernels on wasm, and the tf ops when switched off', async () => {
    const x = tf.randomNormal([2, 8], 0, 1, 'float32', 2);
    const w = tf.ones([8]);
    const b = tf.zeros([8]);
    const kernels = async () => (await tf.profile(() => [gelu(x), layerNorm(x, w, b)])).kernels.map((k) => k.name);
    const on = await kernels();
    assert.ok(on.includes('MingptGelu') && on.includes('MingptLayerNorm'), `${on}`);
    assert.ok(!on.includes('Erf'));
    const before = setFusedKernels(false);
    const off = await kernels();
    setFusedKernels(before);
    assert.ok(off.includes('Erf') && !off.includes('MingptGelu'), `${off}`);
    const fastBefore = setFastWasmKernels(false);
    const allOff = await kernels();
    setFastWasmKernels(fastBefore);
    assert.ok(!allOff.includes('MingptLayerNorm'), `${allOff}`);
    tf.dispose([x, w, b]);
  });

  it('layerNorm names a gamma or beta of the wrong shape', () => {
    const x = tf.zeros([2, 4]);
    assert.throws(() => layerNorm(x, tf.ones([3]), tf.zeros([4])), /layerNorm: gamma must have shape \[4\] \(x's last axis\), got \[3\]/);
    assert.throws(() => layerNorm(x, tf.ones([4]), tf.zeros([1, 4])), /layerNorm: beta must have shape \[4\]/);
    assert.throws(() => layerNormFused(x, tf.ones([5]), tf.zeros([4]), 1e-5), /MingptLayerNorm: gamma must have shape \[4\]/);
  });
});
