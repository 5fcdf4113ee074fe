/**
 * minGPT model: parameter names and shapes (the PyTorch state_dict), parameter count, forward pass against a
 * plain-JavaScript reference written from the equations, causality, the PAD-ignoring loss, dropout seeding,
 * gradients, and input errors.
 */
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/backend';
import { Variant, courseModelConfig, validateConfig } from '../lib/mingpt/config';
import { GPT } from '../lib/mingpt/model';
import { Rng } from '../lib/util/random';
import { randomizeParams, tinyConfig } from './model_helpers';
import { maxAbsDiff } from './numeric_helpers';

function stateDictNames(nLayer: number, variant: Variant): string[] {
  const names = variant === 'vanilla' ? ['pos_emb'] : [];
  names.push('tok_emb.weight');
  for (let l = 0; l < nLayer; l++) {
    for (const s of ['ln1.weight', 'ln1.bias', 'ln2.weight', 'ln2.bias', 'attn.qkv.weight', 'attn.qkv.bias', 'attn.proj.weight', 'attn.proj.bias', 'mlp.0.weight', 'mlp.0.bias', 'mlp.2.weight', 'mlp.2.bias']) {
      names.push(`blocks.${l}.${s}`);
    }
  }
  return [...names, 'ln_f.weight', 'ln_f.bias', 'head.weight'];
}

// ---- A plain-JavaScript GPT, straight from the equations, for one sequence. ----

/** erf by Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7). */
function erf(x: number): number {
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}

/** Logits of every position, and the attention weights attention[layer][head][query][key] (0 for key > query). */
function referenceForward(model: GPT, ids: number[]): { logits: number[][]; attention: number[][][][] } {
  const c = model.config;
  const P = new Map([...model.params].map(([k, v]) => [k, Array.from(v.dataSync())]));
  const get = (k: string) => P.get(k) as number[];
  const C = c.nEmbd;
  const H = c.nHead;
  const D = C / H;
  const T = ids.length;
  const layerNorm = (v: number[], w: number[], b: number[]) => {
    const mean = v.reduce((a, e) => a + e, 0) / v.length;
    const variance = v.reduce((a, e) => a + (e - mean) ** 2, 0) / v.length;
    return v.map((e, j) => ((e - mean) / Math.sqrt(variance + 1e-5)) * w[j] + b[j]);
  };
  // y[o] = sum_i W[o, i] v[i] + b[o], W stored [out, in].
  const linear = (v: number[], W: number[], b: number[] | undefined) =>
    Array.from({ length: W.length / v.length }, (_, o) => v.reduce((a, e, i) => a + W[o * v.length + i] * e, b ? b[o] : 0));
  const rope = (vec: number[], t: number) => {
    const out = vec.slice();
    for (let j = 0; j < D / 2; j++) {
      const angle = t * Math.pow(10000, (-2 * j) / D);
      out[2 * j] = vec[2 * j] * Math.cos(angle) - vec[2 * j + 1] * Math.sin(angle);
      out[2 * j + 1] = vec[2 * j] * Math.sin(angle) + vec[2 * j + 1] * Math.cos(angle);
    }
    return out;
  };
  let x = ids.map((id, t) => Array.from({ length: C }, (_, j) => get('tok_emb.weight')[id * C + j] + (c.variant === 'vanilla' ? get('pos_emb')[t * C + j] : 0)));
  const attention: number[][][][] = [];
  for (let l = 0; l < c.nLayer; l++) {
    const p = (s: string) => get(`blocks.${l}.${s}`);
    const qkv = x.map((v) => linear(layerNorm(v, p('ln1.weight'), p('ln1.bias')), p('attn.qkv.weight'), p('attn.qkv.bias')));
    // Head h reads its own 3D-wide slice of the 3C outputs: [q_h | k_h | v_h].
    const part = (t: number, h: number, which: number) => qkv[t].slice(h * 3 * D + which * D, h * 3 * D + (which + 1) * D);
    const attended = x.map(() => new Array<number>(C).fill(0));
    attention.push([]);
    for (let h = 0; h < H; h++) {
      attention[l].push([]);
      for (let t = 0; t < T; t++) {
        const q = c.variant === 'rope' ? rope(part(t, h, 0), t) : part(t, h, 0);
        const scores = Array.from({ length: t + 1 }, (_, s) => {
          const k = c.variant === 'rope' ? rope(part(s, h, 1), s) : part(s, h, 1);
          return q.reduce((a, e, j) => a + e * k[j], 0) / Math.sqrt(D);
        });
        const m = Math.max(...scores);
        const w = scores.map((s) => Math.exp(s - m));
        const z = w.reduce((a, e) => a + e, 0);
        attention[l][h].push(Array.from({ length: T }, (_, s) => (s <= t ? w[s] / z : 0)));
        for (let s = 0; s <= t; s++) part(s, h, 2).forEach((e, j) => (attended[t][h * D + j] += (w[s] / z) * e));
      }
    }
    x = x.map((v, t) => linear(attended[t], p('attn.proj.weight'), p('attn.proj.bias')).map((e, j) => v[j] + e));
    x = x.map((v) => {
      const hidden = linear(layerNorm(v, p('ln2.weight'), p('ln2.bias')), p('mlp.0.weight'), p('mlp.0.bias')).map((e) => 0.5 * e * (1 + erf(e / Math.SQRT2)));
      return linear(hidden, p('mlp.2.weight'), p('mlp.2.bias')).map((e, j) => v[j] + e);
    });
  }
  const logits = x.map((v) => linear(layerNorm(v, get('ln_f.weight'), get('ln_f.bias')), get('head.weight'), undefined));
  return { logits, attention };
}

function referenceLogits(model: GPT, ids: number[]): number[][] {
  return referenceForward(model, ids).logits;
}

function ids2d(rows: number[][]): tf.Tensor2D {
  return tf.tensor2d(rows, [rows.length, rows[0].length], 'int32');
}

function logitsOf(model: GPT, rows: number[][], opts = {}): number[][][] {
  return tf.tidy(() => model.logits(ids2d(rows), opts).arraySync());
}

describe('minGPT model', () => {
  before(async () => {
    await initBackend();
  });

  for (const variant of ['vanilla', 'rope'] as const) {
    it(`${variant}: parameter names, order and shapes are the PyTorch state_dict's`, () => {
      const model = new GPT(tinyConfig(variant), 1);
      assert.deepEqual([...model.params.keys()], stateDictNames(2, variant));
      const shapes = Object.fromEntries([...model.params].map(([k, v]) => [k, v.shape]));
      if (variant === 'vanilla') assert.deepEqual(shapes['pos_emb'], [1, 6, 8]);
      assert.deepEqual(shapes['tok_emb.weight'], [7, 8]);
      assert.deepEqual(shapes['blocks.1.attn.qkv.weight'], [24, 8]); // Linear(C, 3C) stored [out, in]
      assert.deepEqual(shapes['blocks.1.attn.qkv.bias'], [24]);
      assert.deepEqual(shapes['blocks.0.attn.proj.weight'], [8, 8]);
      assert.deepEqual(shapes['blocks.0.mlp.0.weight'], [32, 8]);
      assert.deepEqual(shapes['blocks.0.mlp.0.bias'], [32]);
      assert.deepEqual(shapes['blocks.0.mlp.2.weight'], [8, 32]);
      assert.deepEqual(shapes['head.weight'], [7, 8]);
      model.dispose();
    });
  }

  it('initialisation: Linear/Embedding weights N(0, 0.02), biases 0, LayerNorm 1/0, pos_emb 0; seeded', () => {
    const config = courseModelConfig(256, 'vanilla');
    const a = new GPT(config, 5);
    const b = new GPT(config, 5);
    const w = Array.from(a.params.get('blocks.0.mlp.0.weight')!.dataSync()); // 262144 values
    const mean = w.reduce((s, v) => s + v, 0) / w.length;
    const std = Math.sqrt(w.reduce((s, v) => s + (v - mean) ** 2, 0) / w.length);
    assert.ok(Math.abs(mean) < 2e-4 && Math.abs(std - 0.02) < 2e-4, `mean ${mean}, std ${std}`);
    const all = (name: string, value: number) => a.params.get(name)!.dataSync().every((v) => v === value);
    assert.ok(all('pos_emb', 0) && all('blocks.3.attn.qkv.bias', 0) && all('blocks.2.ln2.weight', 1) && all('ln_f.bias', 0));
    assert.deepEqual(Array.from(a.params.get('head.weight')!.dataSync()), Array.from(b.params.get('head.weight')!.dataSync()));
    // 'unset' (a model a load fills next): the same parameters, every value zero, LayerNorm weights included
    const unset = new GPT(config, 'unset');
    assert.deepEqual([...unset.params].map(([n, v]) => [n, v.shape]), [...a.params].map(([n, v]) => [n, v.shape]));
    assert.ok([...unset.params.values()].every((v) => v.dataSync().every((x) => x === 0)));
    unset.dispose();
    a.dispose();
    b.dispose();
  });

  it('numParams of the course model, counted by hand', () => {
    // C = 256, V = 256, block 128, 4 layers. Per block: ln1 + ln2 = 2 * 2C = 1024; qkv = 3C*C + 3C = 197376;
    // proj = C*C + C = 65792; mlp.0 = 4C*C + 4C = 263168; mlp.2 = 4C*C + C = 262400; sum 789760, * 4 = 3159040.
    // Plus tok_emb V*C = 65536, ln_f 2C = 512, head V*C = 65536 (no bias): 3290624 for rope,
    // and pos_emb 128*C = 32768 more for vanilla: 3323392.
    const vanilla = new GPT(courseModelConfig(256, 'vanilla'), 0);
    const rope = new GPT(courseModelConfig(256, 'rope'), 0);
    assert.equal(vanilla.numParams(), 3323392);
    assert.equal(rope.numParams(), 3290624);
    vanilla.dispose();
    rope.dispose();
  });

  it('weight decay applies to Linear weights only', () => {
    const model = new GPT(tinyConfig('vanilla', { nLayer: 1 }), 0);
    assert.deepEqual(model.decayParamNames(), ['blocks.0.attn.qkv.weight', 'blocks.0.attn.proj.weight', 'blocks.0.mlp.0.weight', 'blocks.0.mlp.2.weight', 'head.weight']);
    model.dispose();
  });

  for (const variant of ['vanilla', 'rope'] as const) {
    it(`${variant}: logits equal a plain-JavaScript forward pass written from the equations`, () => {
      const model = new GPT(tinyConfig(variant), 2);
      randomizeParams(model, 3);
      const rows = [
        [3, 1, 4, 1, 5, 6],
        [2, 6, 5, 0, 3],
      ];
      for (const row of rows) {
        const got = logitsOf(model, [row])[0];
        const want = referenceLogits(model, row);
        assert.equal(got.length, row.length);
        got.forEach((r, t) => r.forEach((v, j) => assert.ok(Math.abs(v - want[t][j]) < 2e-4, `t=${t} j=${j}: ${v} vs ${want[t][j]}`)));
      }
      model.dispose();
    });
  }

  for (const variant of ['vanilla', 'rope'] as const) {
    it(`${variant}: attentionMaps are the attention weights of the plain-JavaScript forward pass`, () => {
      const model = new GPT(tinyConfig(variant), 2);
      randomizeParams(model, 3);
      model.attentionMaps([1]); // the first inference pass makes the model's kept W^T
      for (const ids of [[3, 1, 4, 1, 5, 6], [2, 6, 5]]) {
        const tensors = tf.memory().numTensors;
        const maps = model.attentionMaps(ids);
        assert.equal(tf.memory().numTensors, tensors, 'no tensor leaks');
        const want = referenceForward(model, ids).attention;
        assert.equal(maps.length, 2, 'one map per layer');
        maps.forEach((layer, l) => {
          assert.equal(layer.length, 2, 'one map per head');
          layer.forEach((map, h) => {
            assert.equal(map.length, ids.length);
            map.forEach((row, i) => {
              assert.equal(row.length, ids.length);
              assert.ok(Math.abs(row.reduce((a, e) => a + e, 0) - 1) < 1e-5, `layer ${l} head ${h} row ${i} sums to 1`);
              row.forEach((w, j) => {
                if (j > i) assert.equal(w, 0, `layer ${l} head ${h}: query ${i} sees no later key ${j}`);
                assert.ok(Math.abs(w - want[l][h][i][j]) < 1e-5, `layer ${l} head ${h} [${i}][${j}]: ${w} vs ${want[l][h][i][j]}`);
              });
            });
          });
        });
      }
      model.dispose();
    });
  }

  it('attentionMaps by hand: RoPE scores of constant queries and keys depend only on the offset', () => {
    // One head of size 2 (one rotation frequency, 1 radian per position). Zero qkv weights leave each query and
    // key at its bias: q = k = (1, 0) at every position. Rotated by their positions, q_i . k_j = cos(i - j), so
    // query i weights key j <= i by exp(cos(i - j) / sqrt 2), normalised over j.
    const model = new GPT({ vocabSize: 5, blockSize: 4, nLayer: 1, nHead: 1, nEmbd: 2, dropout: 0, variant: 'rope' }, 0);
    tf.tidy(() => {
      model.params.get('blocks.0.attn.qkv.weight')!.assign(tf.zeros([6, 2]));
      model.params.get('blocks.0.attn.qkv.bias')!.assign(tf.tensor1d([1, 0, 1, 0, 0, 0])); // [q | k | v]
    });
    const [[map]] = model.attentionMaps([1, 2, 3, 4]);
    for (let i = 0; i < 4; i++) {
      const w = Array.from({ length: i + 1 }, (_, j) => Math.exp(Math.cos(i - j) / Math.SQRT2));
      const z = w.reduce((a, e) => a + e, 0);
      for (let j = 0; j < 4; j++) assert.ok(Math.abs(map[i][j] - (j <= i ? w[j] / z : 0)) < 1e-6, `[${i}][${j}]: ${map[i][j]}`);
    }
    assert.ok(Math.abs(map[2][0] - 1 / 3) > 0.1, `the offsets matter: ${map[2][0]} is far from an even 1/3`);
    model.dispose();
  });

  it('logits have shape (B, T, vocabSize); T may be shorter than blockSize', () => {
    const model = new GPT(tinyConfig('rope'), 0);
    const out = tf.tidy(() => model.logits(ids2d([[1, 2, 3], [4, 5, 6]])).shape);
    assert.deepEqual(out, [2, 3, 7]);
    model.dispose();
  });

  for (const variant of ['vanilla', 'rope'] as const) {
    it(`${variant}: causal — changing a later character never changes earlier logits`, () => {
      const model = new GPT(tinyConfig(variant), 4);
      randomizeParams(model, 5);
      const base = [1, 2, 3, 4, 5, 6];
      const a = logitsOf(model, [base])[0];
      for (let j = 1; j < base.length; j++) {
        const changed = base.slice();
        changed[j] = (changed[j] + 3) % 7;
        const b = logitsOf(model, [changed])[0];
        for (let t = 0; t < j; t++) b[t].forEach((v, i) => assert.ok(Math.abs(v - a[t][i]) < 1e-6, `position ${t} moved when ${j} changed`));
        assert.ok(b[j].some((v, i) => Math.abs(v - a[j][i]) > 1e-4), `position ${j} itself should change`);
      }
      model.dispose();
    });
  }

  it('loss is the mean cross-entropy over non-PAD targets only (hand computation)', () => {
    const model = new GPT(tinyConfig('vanilla'), 6);
    randomizeParams(model, 7);
    const x = [
      [3, 1, 4, 1, 5],
      [2, 6, 5, 3, 5],
    ];
    const y = [
      [0, 0, 4, 2, 6],
      [5, 0, 1, 0, 0],
    ];
    const logits = logitsOf(model, x);
    let sum = 0;
    let count = 0;
    let sumAll = 0;
    logits.forEach((row, b) =>
      row.forEach((l, t) => {
        const m = Math.max(...l);
        const lse = m + Math.log(l.reduce((a, v) => a + Math.exp(v - m), 0));
        const ce = lse - l[y[b][t]];
        sumAll += ce;
        if (y[b][t] !== 0) {
          sum += ce;
          count++;
        }
      }),
    );
    const loss = tf.tidy(() => model.loss(ids2d(x), ids2d(y)).dataSync()[0]);
    assert.ok(Math.abs(loss - sum / count) < 1e-5, `loss ${loss}, hand ${sum / count}`);
    assert.ok(Math.abs(loss - sumAll / 10) > 1e-3, 'PAD positions must not count');
    // Only PAD targets: no position counts, loss 0 (not NaN).
    const none = tf.tidy(() => model.loss(ids2d(x), ids2d(y.map((r) => r.map(() => 0)))).dataSync()[0]);
    assert.ok(none === 0, `${none}`); // -0 counts as 0
    model.dispose();
  });

  it('a model whose head is all zeros has loss ln(vocabSize) exactly', () => {
    const model = new GPT(tinyConfig('rope'), 8);
    tf.tidy(() => model.params.get('head.weight')!.assign(tf.zeros([7, 8])));
    const loss = tf.tidy(() => model.loss(ids2d([[1, 2, 3]]), ids2d([[2, 3, 4]])).dataSync()[0]);
    assert.ok(Math.abs(loss - Math.log(7)) < 1e-6, `${loss}`);
    model.dispose();
  });

  it('dropout: seeded masks in training, none in evaluation', () => {
    const model = new GPT(tinyConfig('vanilla', { dropout: 0.3 }), 9);
    randomizeParams(model, 10);
    const row = [[1, 2, 3, 4, 5]];
    const evalA = logitsOf(model, row);
    assert.deepEqual(logitsOf(model, row, { training: false, seed: 123 }), evalA);
    const s1 = logitsOf(model, row, { training: true, seed: 1 });
    assert.deepEqual(logitsOf(model, row, { training: true, seed: 1 }), s1, 'same seed, same masks');
    assert.notDeepEqual(logitsOf(model, row, { training: true, seed: 2 }), s1, 'other seed, other masks');
    assert.notDeepEqual(s1, evalA, 'training applies dropout');
    assert.throws(() => model.logits(ids2d(row), { training: true }), /needs opts\.seed/);
    model.dispose();
  });

  it('gradients of the loss match finite differences', () => {
    const model = new GPT(tinyConfig('rope', { nLayer: 1 }), 11);
    randomizeParams(model, 12);
    const x = ids2d([[1, 2, 3, 4]]);
    const y = ids2d([[2, 3, 0, 5]]);
    const names = ['tok_emb.weight', 'blocks.0.attn.qkv.weight', 'blocks.0.attn.qkv.bias', 'blocks.0.ln2.weight', 'blocks.0.mlp.2.weight', 'head.weight'];
    const vars = names.map((n) => model.params.get(n)!);
    const { grads } = tf.variableGrads(() => model.loss(x, y), vars);
    const lossAt = () => tf.tidy(() => model.loss(x, y).dataSync()[0]);
    const rng = new Rng(13);
    for (const [i, name] of names.entries()) {
      const v = vars[i];
      const g = grads[v.name].dataSync();
      const original = v.dataSync().slice();
      for (let trial = 0; trial < 3; trial++) {
        const j = name === 'tok_emb.weight' ? rng.int(8, 39) : rng.int(0, v.size - 1); // rows 1..4 of tok_emb are used
        const eps = 1e-2;
        const at = (delta: number) => {
          const w = original.slice();
          w[j] += delta;
          tf.tidy(() => v.assign(tf.tensor(w, v.shape)));
          return lossAt();
        };
        const numeric = (at(eps) - at(-eps)) / (2 * eps);
        tf.tidy(() => v.assign(tf.tensor(original, v.shape)));
        assert.ok(Math.abs(numeric - g[j]) < 2e-3 + 2e-2 * Math.abs(g[j]), `${name}[${j}]: autodiff ${g[j]}, numeric ${numeric}`);
      }
    }
    tf.dispose(Object.values(grads));
    tf.dispose([x, y]);
    model.dispose();
  });

  it('no tensor leaks from logits and loss', () => {
    const model = new GPT(tinyConfig('rope'), 14);
    const x = ids2d([[1, 2, 3]]);
    const before = tf.memory().numTensors;
    model.logits(x).dispose();
    model.loss(x, x, { training: true, seed: 3 }).dispose();
    assert.equal(tf.memory().numTensors, before);
    x.dispose();
    model.dispose();
  });

  it('inference keeps W^T until a weight changes, gives the logits of the training path, and dispose frees it', () => {
    const start = tf.memory().numTensors;
    const model = new GPT(tinyConfig('vanilla'), 15);
    const idx = ids2d([[1, 2, 3, 4]]);
    const params = tf.memory().numTensors; // the parameters and idx
    const lastLogits = () => {
      const all = model.logits(idx); // the training path: products with W itself
      const last = tf.tidy(() => tf.reshape(tf.slice(all, [0, 3, 0], [1, 1, -1]), [1, -1]));
      all.dispose();
      return last;
    };
    const inferred = () => {
      const r = model.forwardWithCache(idx, undefined); // the inference path: products with the kept W^T
      tf.dispose([...r.cache.keys, ...r.cache.values]);
      return r.logits;
    };
    for (const seed of [16, 17]) {
      randomizeParams(model, seed); // assigns new tensors: the kept W^T of the last weights must not be used
      const [want, got] = [lastLogits(), inferred()];
      const diff = maxAbsDiff(got.dataSync(), want.dataSync());
      assert.ok(diff < 1e-5, `seed ${seed}: inference differs from the training path by ${diff}`);
      tf.dispose([want, got]);
      // One kept W^T per Linear (qkv, proj, mlp.0, mlp.2 per block, and the head), made once, not per call.
      assert.equal(tf.memory().numTensors, params + 4 * model.config.nLayer + 1);
      inferred().dispose();
      assert.equal(tf.memory().numTensors, params + 4 * model.config.nLayer + 1);
    }
    idx.dispose();
    model.dispose();
    assert.equal(tf.memory().numTensors, start);
  });

  it('bad inputs and configs give errors that name the problem', () => {
    const model = new GPT(tinyConfig('vanilla'), 0);
    assert.throws(() => model.logits(ids2d([[1, 2, 3, 4, 5, 6, 1]])), /7 positions exceed blockSize 6/);
    assert.throws(() => model.logits(tf.tensor2d([[1, 2]], [1, 2], 'float32')), /int32/);
    assert.throws(() => model.loss(ids2d([[1, 2]]), ids2d([[1, 2, 3]])), /targets shape/);
    model.dispose();
    assert.throws(() => validateConfig(tinyConfig('vanilla', { nHead: 3 })), /nEmbd \(8\) must be divisible by nHead \(3\)/);
    assert.throws(() => validateConfig(tinyConfig('rope', { nEmbd: 12, nHead: 4 })), /rope needs an even head dimension/);
    assert.throws(() => validateConfig(tinyConfig('vanilla', { dropout: 1 })), /dropout/);
    assert.throws(() => validateConfig(tinyConfig('vanilla', { nLayer: 0 })), /nLayer must be a positive integer/);
    assert.throws(() => validateConfig({ ...tinyConfig('vanilla'), variant: 'alibi' as Variant }), /variant must be one of vanilla, rope/);
  });
});
