import * as assert from 'node:assert';
import { spawnSync } from 'child_process';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initBackend, wasmThreadsWanted } from '../lib/backend';
import { setFastWasmKernels } from '../lib/backend/wasm_fixes';
import { MIN_SLICE_WORK, simplify } from '../lib/backend/wasm_kernels';
import { Rng } from '../lib/util/random';
import { maxAbsDiff } from './numeric_helpers';

/** Runs f with the fast kernels off, then on, and returns both results' values. */
function bothWays(f: () => tf.Tensor): [Float32Array | Int32Array | Uint8Array, Float32Array | Int32Array | Uint8Array, number[]] {
  const before = setFastWasmKernels(false);
  const slow = tf.tidy(f);
  setFastWasmKernels(true);
  const fast = tf.tidy(f);
  setFastWasmKernels(before);
  assert.deepStrictEqual(fast.shape, slow.shape);
  const r: [Float32Array | Int32Array | Uint8Array, Float32Array | Int32Array | Uint8Array, number[]] = [slow.dataSync() as Float32Array, fast.dataSync() as Float32Array, fast.shape];
  tf.dispose([slow, fast]);
  return r;
}

describe('fast wasm kernels', () => {
  before(async function () {
    const info = await initBackend();
    if (info.name !== 'wasm') this.skip();
  });

  it('simplify drops size-1 axes and merges axes that stay neighbours', () => {
    assert.deepStrictEqual(simplify([2, 3, 4], [0, 1, 2]), { shape: [24], order: [0] });
    // (B, T, H, D) -> (B, H, T, D): nothing merges, 4 axes.
    assert.deepStrictEqual(simplify([2, 5, 3, 4], [0, 2, 1, 3]), { shape: [2, 5, 3, 4], order: [0, 2, 1, 3] });
    // (B, T, 3, H, D) -> (3, B, H, T, D) with B = 1: B drops out, and (3, H) stay adjacent and merge:
    // a (T, 3H, D) -> (3H, T, D) transpose.
    assert.deepStrictEqual(simplify([1, 5, 3, 2, 4], [2, 0, 3, 1, 4]), { shape: [5, 6, 4], order: [1, 0, 2] });
    // (a, b, c) -> (c, a, b): a and b stay adjacent and merge.
    assert.deepStrictEqual(simplify([2, 3, 4], [2, 0, 1]), { shape: [6, 4], order: [1, 0] });
  });

  it('row gather equals the original kernel for float32 and int32 tables and any index shape, and keeps its gradient', () => {
    const rng = new Rng(8);
    for (const [shape, idxShape] of [[[7, 5], [4]], [[10, 3, 2], [2, 3]], [[6], [5]], [[4, 257], [3, 2, 2]]] as const) {
      const size = (shape as readonly number[]).reduce((a, b) => a * b, 1);
      const n = (idxShape as readonly number[]).reduce((a, b) => a * b, 1);
      const ids = tf.tensor(Array.from({ length: n }, () => rng.int(0, shape[0] - 1)), [...idxShape], 'int32');
      for (const dtype of ['float32', 'int32'] as const) {
        const table = tf.tensor(Array.from({ length: size }, (_, i) => (dtype === 'int32' ? i * 3 - 7 : rng.normal())), [...shape], dtype);
        const [slow, fast, outShape] = bothWays(() => tf.gather(table, ids));
        assert.deepStrictEqual(outShape, [...idxShape, ...shape.slice(1)]);
        assert.deepStrictEqual(Array.from(fast), Array.from(slow), `table [${shape}] ids [${idxShape}] ${dtype}`);
        table.dispose();
      }
      ids.dispose();
    }
    // gradient through the fast gather: row i of d(sum(w * gather(T, ids)))/dT sums w over the positions of i
    const table = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
    const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, tf.tensor1d([2, 0, 2], 'int32')), tf.tensor2d([[1, 1], [2, 2], [3, 4]]))))(table);
    assert.deepStrictEqual(Array.from(grad.dataSync()), [2, 2, 0, 0, 4, 5]);
    tf.dispose([table, grad]);
  });

  it('row gather names an index outside the table and leaves no tensor behind', () => {
    const table = tf.zeros([4, 3]);
    const ids = tf.tensor1d([1, 4], 'int32');
    const before = tf.memory().numTensors;
    assert.throws(() => tf.gather(table, ids), /GatherV2: the index value 4 is not in \[0, 3\]/);
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([table, ids]);
  });

  it('transpose equals the original kernel for random shapes and permutations, rank 1 to 6, three dtypes', () => {
    const rng = new Rng(21);
    for (let trial = 0; trial < 40; trial++) {
      const rank = 1 + (trial % 6);
      const shape = Array.from({ length: rank }, () => rng.int(1, 4));
      const perm = rng.shuffle([...Array(rank).keys()]);
      const size = shape.reduce((a, b) => a * b, 1);
      for (const dtype of ['float32', 'int32', 'bool'] as const) {
        const values = Array.from({ length: size }, (_, i) => (dtype === 'bool' ? i % 3 === 0 : dtype === 'int32' ? i * 7 - 50 : rng.normal()));
        const x = tf.tensor(values as number[], shape, dtype);
        const [slow, fast, outShape] = bothWays(() => tf.transpose(x, perm));
        assert.deepStrictEqual(outShape, perm.map((p) => shape[p]));
        assert.deepStrictEqual(Array.from(fast), Array.from(slow), `shape [${shape}] perm [${perm}] ${dtype}`);
        x.dispose();
      }
    }
  });

  it('the rank-5 transpose of attention heads matches index arithmetic', () => {
    const [B, T, H, D] = [2, 3, 2, 4];
    const x = tf.tensor(Array.from({ length: B * T * 3 * H * D }, (_, i) => i), [B, T, 3, H, D], 'int32');
    const y = tf.transpose(x, [2, 0, 3, 1, 4]).dataSync(); // (3, B, H, T, D)
    let o = 0;
    for (let s = 0; s < 3; s++) for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let t = 0; t < T; t++) for (let d = 0; d < D; d++) {
      assert.strictEqual(y[o++], (((b * T + t) * 3 + s) * H + h) * D + d);
    }
    x.dispose();
  });

  // Slices of at least MIN_SLICE_WORK multiply-adds, so that the sliced path is the one compared.
  const cases: [string, number[], number[], boolean, boolean][] = [
    ['equal batches, rank 3', [3, 40, 32], [3, 32, 30], false, false],
    ['equal batches, rank 4', [2, 2, 40, 32], [2, 2, 32, 40], false, false],
    ['b transposed (q k^T)', [2, 2, 40, 32], [2, 2, 40, 32], false, true],
    ['a transposed (att^T dy)', [2, 2, 40, 40], [2, 2, 40, 32], true, false],
    ['a broadcast (one matrix)', [1, 40, 32], [3, 32, 30], false, false],
    ['b broadcast (one matrix)', [3, 40, 32], [1, 32, 30], false, false],
    ['single matrix pair', [1, 40, 32], [1, 32, 30], false, false],
    ['small slices (original kernel)', [4, 2, 8], [4, 8, 3], false, false],
  ];
  it('the cases above are big enough to take the sliced path', () => {
    const work = ([, as, bs, ta, tb]: (typeof cases)[number]): number => {
      const [m, k] = ta ? [as[as.length - 1], as[as.length - 2]] : [as[as.length - 2], as[as.length - 1]];
      return m * k * (tb ? bs[bs.length - 2] : bs[bs.length - 1]);
    };
    for (const c of cases.slice(0, -1)) assert.ok(work(c) >= MIN_SLICE_WORK, c[0]);
    assert.ok(work(cases[cases.length - 1]) < MIN_SLICE_WORK);
  });
  for (const [name, as, bs, ta, tb] of cases) {
    it(`batched matMul by slices equals the original kernel: ${name}`, () => {
      const rng = new Rng(as.length * 100 + bs[0]);
      const a = tf.tensor(rng.normals(as.reduce((x, y) => x * y, 1)), as);
      const b = tf.tensor(rng.normals(bs.reduce((x, y) => x * y, 1)), bs);
      const tensors = tf.memory().numTensors;
      const [slow, fast] = bothWays(() => tf.matMul(a, b, ta, tb));
      assert.ok(maxAbsDiff(fast, slow) < 1e-5, `max diff ${maxAbsDiff(fast, slow)}`);
      assert.strictEqual(tf.memory().numTensors, tensors);
      // Gradients flow through the same kernels. (tfjs 4.22's matMul gradient itself rejects a broadcast
      // batch, on every backend, so only equal batches are differentiated.)
      if (as[0] !== bs[0]) return tf.dispose([a, b]);
      const [gs, gf] = bothWays(() => tf.grad((x: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, b, ta, tb))))(a));
      assert.ok(maxAbsDiff(gf, gs) < 1e-4);
      tf.dispose([a, b]);
    });
  }

  it('WASM_THREADS: 1 by default, a clear error when invalid', () => {
    assert.strictEqual(wasmThreadsWanted({}), 1);
    assert.strictEqual(wasmThreadsWanted({ WASM_THREADS: '2' }), 2);
    assert.throws(() => wasmThreadsWanted({ WASM_THREADS: 'two' }), /WASM_THREADS="two" must be an integer from 1 to 8/);
    assert.throws(() => wasmThreadsWanted({ WASM_THREADS: '0' }), /WASM_THREADS="0"/);
  });

  it('the threaded build starts under Node with 2 threads, computes the same product, and lets the process exit', function () {
    this.timeout(60000);
    const script = `
      const { initBackend, describeBackend, wasmThreadCount } = require('./lib/backend');
      const tf = require('@tensorflow/tfjs');
      initBackend().then((info) => {
        const a = tf.tensor2d(Array.from({ length: 64 * 48 }, (_, i) => Math.sin(i)), [64, 48]);
        const b = tf.tensor2d(Array.from({ length: 48 * 40 }, (_, i) => Math.cos(i)), [48, 40]);
        const c = tf.matMul(a, b).dataSync();
        let s = 0; for (const v of c) s += v * v;
        console.log(JSON.stringify({ detail: describeBackend(info), threads: wasmThreadCount(), sum: s }));
      });`;
    const run = (threads: string) => spawnSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], {
      cwd: path.join(__dirname, '..'), env: { ...process.env, WASM_THREADS: threads, TFJS_BACKEND: 'wasm' }, encoding: 'utf8', timeout: 50000,
    });
    const one = run('1'), two = run('2');
    assert.strictEqual(two.status, 0, `threaded run failed or hung: ${two.stderr.slice(-500)}`);
    const r1 = JSON.parse(one.stdout.trim().split('\n').pop() as string), r2 = JSON.parse(two.stdout.trim().split('\n').pop() as string);
    assert.strictEqual(r1.threads, 1);
    assert.strictEqual(r2.threads, 2);
    assert.match(r2.detail, /"wasm", 2 threads/);
    assert.ok(Math.abs(r1.sum - r2.sum) < 1e-3 * Math.abs(r1.sum), `${r1.sum} vs ${r2.sum}`);
  });
});
