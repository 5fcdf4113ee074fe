import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/backend';
import { blasMode, cpuFlags, loadNativeBlas, openblasCoreOf, openblasCoreTypeFor } from '../lib/backend/native_blas';
import { nativeBlasStatus, setNativeBlas } from '../lib/backend/wasm_fixes';
import { Rng } from '../lib/util/random';
import { maxAbsDiff } from './numeric_helpers';

/** f computed with the matrix products on XNNPACK, then on OpenBLAS: both results' values. */
function xnnpackThenBlas(f: () => tf.Tensor | tf.Tensor[]): [Float32Array[], Float32Array[]] {
  const run = (on: boolean): Float32Array[] => {
    const before = setNativeBlas(on);
    try {
      return tf.tidy(() => [f()].flat().map((t) => t.dataSync() as Float32Array));
    } finally {
      setNativeBlas(before);
    }
  };
  return [run(false), run(true)];
}

function randomTensor(rng: Rng, shape: number[]): tf.Tensor {
  return tf.tensor(rng.normals(shape.reduce((a, b) => a * b, 1), 0, 1), shape);
}

describe('matrix products on OpenBLAS (lib/backend/native_blas.ts)', () => {
  before(async function () {
    const info = await initBackend();
    // CI installs libopenblas0-pthread; on a machine without it these products run on XNNPACK and there is
    // nothing to compare.
    if (info.name !== 'wasm' || !nativeBlasStatus().active) this.skip();
  });

  it('describes itself: library, version, kernels and threads', () => {
    assert.match(nativeBlasStatus().reason, /^matMul on OpenBLAS \d+\.\d+\.\d+( \(\w+ kernels(, chosen from the CPU's flags)?\))?, \d+ threads?$/);
  });

  it("runs the kernels OPENBLAS_CORETYPE names, which is the CPU's best family unless the user set it", () => {
    const core = openblasCoreOf(nativeBlasStatus().blas!.config);
    const wanted = process.env.OPENBLAS_CORETYPE ?? openblasCoreTypeFor(cpuFlags());
    // Without a choice (no flags to go by, say on ARM) OpenBLAS's own pick stands.
    if (wanted === undefined) return;
    assert.equal(core?.toLowerCase(), wanted.toLowerCase(), `OpenBLAS runs ${core} kernels, OPENBLAS_CORETYPE=${wanted}`);
  });

  const cases: { a: number[]; b: number[]; ta: boolean; tb: boolean }[] = [
    { a: [37, 19], b: [19, 23], ta: false, tb: false },
    { a: [19, 37], b: [19, 23], ta: true, tb: false },
    { a: [37, 19], b: [23, 19], ta: false, tb: true },
    { a: [19, 37], b: [23, 19], ta: true, tb: true },
    { a: [3, 2, 11, 7], b: [3, 2, 7, 5], ta: false, tb: false }, // attention-like batches
    { a: [3, 2, 7, 11], b: [3, 2, 5, 7], ta: true, tb: true },
    { a: [4, 9, 6], b: [6, 8], ta: false, tb: false }, // a single right matrix for a whole batch
    { a: [9, 6], b: [4, 8, 6], ta: false, tb: true }, // a single left matrix
    { a: [5, 0], b: [0, 3], ta: false, tb: false }, // an empty sum: zeros
  ];
  for (const c of cases) {
    // tfjs 4.22's BatchMatMul gradient does not reduce a broadcast batch (on any backend): values only there.
    const broadcast = c.a.length !== c.b.length;
    it(`a[${c.a}]${c.ta ? 'ᵀ' : ''} x b[${c.b}]${c.tb ? 'ᵀ' : ''}: values${broadcast ? '' : ' and both gradients'} equal XNNPACK's`, () => {
      const rng = new Rng(c.a.length * 100 + c.b[0]);
      const a = randomTensor(rng, c.a), b = randomTensor(rng, c.b);
      const [slow, fast] = xnnpackThenBlas(() => {
        const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.sin(tf.matMul(x, y, c.ta, c.tb)));
        return [tf.matMul(a, b, c.ta, c.tb), ...(broadcast ? [] : tf.grads(f)([a, b]))];
      });
      slow.forEach((s, i) => {
        assert.equal(fast[i].length, s.length);
        assert.ok(maxAbsDiff(s, fast[i]) < 1e-5, `output ${i}: differs by ${maxAbsDiff(s, fast[i])}`);
      });
      if (c.a.includes(0)) assert.ok(fast[0].every((v) => v === 0), 'an empty sum is 0');
      tf.dispose([a, b]);
    });
  }

  it('fused matMul with a bias row equals XNNPACK (the path every Linear layer takes)', () => {
    const rng = new Rng(3);
    const x = randomTensor(rng, [13, 8]), w = randomTensor(rng, [6, 8]), bias = randomTensor(rng, [6]);
    const [slow, fast] = xnnpackThenBlas(() => {
      const f = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.square(tf.fused.matMul({ a: xx as tf.Tensor2D, b: ww as tf.Tensor2D, transposeB: true, bias: bb })));
      return [tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, transposeB: true, bias }), ...tf.grads(f)([x, w, bias])];
    });
    slow.forEach((s, i) => assert.ok(maxAbsDiff(s, fast[i]) < 1e-5, `output ${i}: differs by ${maxAbsDiff(s, fast[i])}`));
    // And against a loop, so that both sides are checked, not only their agreement.
    const xv = x.arraySync() as number[][], wv = w.arraySync() as number[][], bv = bias.arraySync() as number[];
    const expected = xv.flatMap((row) => wv.map((wr, j) => row.reduce((s, v, k) => s + v * wr[k], bv[j])));
    assert.ok(maxAbsDiff(fast[0], expected) < 1e-5);
    tf.dispose([x, w, bias]);
  });

  it('a fused matMul with an activation other than linear keeps the wasm kernel (same result)', () => {
    const rng = new Rng(4);
    const x = randomTensor(rng, [5, 4]), w = randomTensor(rng, [4, 3]);
    const [slow, fast] = xnnpackThenBlas(() => tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, activation: 'relu' }));
    assert.ok(maxAbsDiff(slow[0], fast[0]) < 1e-6);
    assert.ok(fast[0].every((v) => v >= 0));
    tf.dispose([x, w]);
  });

  const sums: { shape: number[]; axis: number | number[]; keepDims?: boolean }[] = [
    { shape: [8, 11, 6], axis: [0, 1] }, // a bias gradient: (B, T, C) -> C
    { shape: [8, 11, 6], axis: [1, 0], keepDims: true },
    { shape: [8, 11, 6], axis: [-3] },
    { shape: [700, 5], axis: 0 },
    { shape: [8, 11, 6], axis: [1] }, // not leading: wasm's kernel
    { shape: [8, 11, 6], axis: [0, 1, 2] }, // everything: wasm's kernel
  ];
  for (const c of sums) {
    it(`sum of [${c.shape}] over axis ${JSON.stringify(c.axis)}${c.keepDims ? ' (keepDims)' : ''} equals wasm's and a loop`, () => {
      const rng = new Rng(c.shape.length + 7);
      const x = randomTensor(rng, c.shape);
      const [slow, fast] = xnnpackThenBlas(() => tf.sum(x, c.axis, c.keepDims));
      const shape = tf.tidy(() => tf.sum(x, c.axis, c.keepDims).shape);
      assert.ok(maxAbsDiff(slow[0], fast[0]) < 1e-4, `differs by ${maxAbsDiff(slow[0], fast[0])}`);
      if (JSON.stringify(c.axis) === '[0,1]') {
        const v = x.arraySync() as number[][][];
        const loop = v[0][0].map((_, k) => v.reduce((s, plane) => s + plane.reduce((t, row) => t + row[k], 0), 0));
        assert.ok(maxAbsDiff(fast[0], loop) < 1e-4);
        assert.deepEqual(shape, [6]);
      }
      if (c.keepDims) assert.deepEqual(shape, [1, 1, 6]);
      x.dispose();
    });
  }

  it('tf.clone shares memory by reference: disposing the original leaves the clone intact', () => {
    const x = tf.tensor([1, 2, 3]);
    const y = tf.clone(x);
    x.dispose();
    assert.deepEqual(Array.from(y.dataSync()), [1, 2, 3]);
    y.dispose();
  });
});

describe('choosing the BLAS (MINGPT_BLAS, MINGPT_BLAS_LIB)', () => {
  it('reads auto / on / off and rejects anything else, naming the variable', () => {
    assert.equal(blasMode({}), 'auto');
    assert.equal(blasMode({ MINGPT_BLAS: ' OFF ' }), 'off');
    assert.throws(() => blasMode({ MINGPT_BLAS: 'maybe' }), /MINGPT_BLAS="maybe" must be one of auto, on, off/);
  });

  it("OpenBLAS's kernel family from the CPU's flags: the widest the CPU runs", () => {
    const flags = (line: string) => new Set(line.split(' '));
    const base = 'fpu sse sse2 ssse3 sse4_1 sse4_2 avx';
    const avx512 = 'avx512f avx512cd avx512bw avx512dq avx512vl';
    // An Intel Xeon newer than OpenBLAS 0.3.21 (family 6 model 207), which the library takes for a Prescott.
    assert.equal(openblasCoreTypeFor(flags(`${base} avx2 fma ${avx512} avx512_bf16 amx_tile`)), 'Cooperlake');
    assert.equal(openblasCoreTypeFor(flags(`${base} avx2 fma ${avx512}`)), 'SkylakeX');
    // Xeon Phi: AVX-512 foundation without BW/DQ/VL, so only the AVX2 kernels.
    assert.equal(openblasCoreTypeFor(flags(`${base} avx2 fma avx512f avx512cd avx512er avx512pf`)), 'Haswell');
    assert.equal(openblasCoreTypeFor(flags(`${base} avx2 fma`)), 'Haswell');
    assert.equal(openblasCoreTypeFor(flags(`${base} avx2`)), undefined);
    assert.equal(openblasCoreTypeFor(new Set()), undefined);
  });

  it("reads the CPU's flags from a cpuinfo file, and none from a missing one", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cpuinfo-'));
    const file = path.join(dir, 'cpuinfo');
    fs.writeFileSync(file, 'processor\t: 0\nmodel\t\t: 207\nflags\t\t: fpu avx2  fma\nbugs\t\t: spectre_v1\n\nprocessor\t: 1\nflags\t\t: fpu\n');
    assert.deepEqual([...cpuFlags(file)], ['fpu', 'avx2', 'fma']);
    assert.deepEqual([...cpuFlags(path.join(dir, 'missing'))], []);
    fs.rmSync(dir, { recursive: true });
  });

  it("names the kernels in OpenBLAS's config string", () => {
    assert.equal(openblasCoreOf('OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Prescott MAX_THREADS=64'), 'Prescott');
    assert.equal(openblasCoreOf('OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64'), 'Zen');
    assert.equal(openblasCoreOf('OpenBLAS 0.3.21 NO_AFFINITY MAX_THREADS=64'), undefined);
    assert.equal(openblasCoreOf('something else'), undefined);
  });

  it('off: XNNPACK, and says so', () => {
    assert.deepEqual(loadNativeBlas({ MINGPT_BLAS: 'off' }), { reason: 'MINGPT_BLAS=off' });
  });

  it('a library that is not there: auto falls back with the reason and the apt package, on fails', () => {
    const missing = loadNativeBlas({ MINGPT_BLAS_LIB: '/nonexistent/libopenblas.so.0' });
    assert.equal(missing.blas, undefined);
    assert.match(missing.reason, /^matMul on XNNPACK: OpenBLAS not found \(\/nonexistent\/libopenblas\.so\.0: .*\); install it with apt-get install libopenblas0-pthread$/);
    assert.throws(() => loadNativeBlas({ MINGPT_BLAS: 'on', MINGPT_BLAS_LIB: '/nonexistent/libopenblas.so.0' }), /MINGPT_BLAS=on but OpenBLAS not found/);
  });
});
