/**
 * A GPT built from bare tf ops, with the course's shapes, for profiling and for the backend tests while (and
 * independently of) the workbook's real model. Not a teaching file: `lib/mingpt/model.ts` is the real model.
 *
 * Per layer: x += proj(attention(LN(x))); x += W2 gelu(W1 LN(x)). Loss: cross-entropy ignoring target 0 (PAD).
 */
import * as tf from '@tensorflow/tfjs';
import { causalAttention } from '../lib/backend/ops';
import { Rng } from '../lib/util/random';

export interface ToyConfig {
  vocabSize: number;
  blockSize: number;
  nLayer: number;
  nHead: number;
  nEmbd: number;
}

export const COURSE_SHAPES: ToyConfig = { vocabSize: 256, blockSize: 128, nLayer: 4, nHead: 8, nEmbd: 256 };

type Attention = typeof causalAttention;

export class ToyGPT {
  readonly params: tf.Variable[] = [];
  private readonly p: Record<string, tf.Variable> = {};

  constructor(readonly cfg: ToyConfig, seed = 0, private readonly attention: Attention = causalAttention) {
    const rng = new Rng(seed);
    const C = cfg.nEmbd;
    const add = (name: string, shape: number[], init: 'normal' | 'zeros' | 'ones') => {
      const n = shape.reduce((a, b) => a * b, 1);
      const vals = init === 'normal' ? rng.normals(n, 0, 0.02) : new Float32Array(n).fill(init === 'ones' ? 1 : 0);
      const v = tf.variable(tf.tensor(vals, shape), true, name);
      this.p[name] = v;
      this.params.push(v);
    };
    add('wte', [cfg.vocabSize, C], 'normal');
    add('wpe', [cfg.blockSize, C], 'normal');
    for (let l = 0; l < cfg.nLayer; l++) {
      add(`h${l}.ln1.g`, [C], 'ones'); add(`h${l}.ln1.b`, [C], 'zeros');
      add(`h${l}.qkv.w`, [C, 3 * C], 'normal'); add(`h${l}.qkv.b`, [3 * C], 'zeros');
      add(`h${l}.proj.w`, [C, C], 'normal'); add(`h${l}.proj.b`, [C], 'zeros');
      add(`h${l}.ln2.g`, [C], 'ones'); add(`h${l}.ln2.b`, [C], 'zeros');
      add(`h${l}.fc.w`, [C, 4 * C], 'normal'); add(`h${l}.fc.b`, [4 * C], 'zeros');
      add(`h${l}.fc2.w`, [4 * C, C], 'normal'); add(`h${l}.fc2.b`, [C], 'zeros');
    }
    add('lnf.g', [C], 'ones'); add('lnf.b', [C], 'zeros');
    add('head.w', [C, cfg.vocabSize], 'normal');
  }

  get numParams(): number {
    return this.params.reduce((a, v) => a + v.size, 0);
  }

  private layerNorm(x: tf.Tensor2D, g: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), g), b);
  }

  /** Logits (B*T, vocab) for int32 idx (B, T). */
  logits(idx: tf.Tensor2D): tf.Tensor2D {
    const [B, T] = idx.shape;
    const { nHead: H, nEmbd: C } = this.cfg;
    const D = C / H;
    const p = this.p;
    const pos = tf.range(0, T, 1, 'int32');
    let x = tf.add(tf.gather(p.wte, idx.reshape([B * T])).reshape([B, T, C]), tf.gather(p.wpe, pos)).reshape([B * T, C]) as tf.Tensor2D;
    for (let l = 0; l < this.cfg.nLayer; l++) {
      const h = this.layerNorm(x, p[`h${l}.ln1.g`], p[`h${l}.ln1.b`]);
      const qkv = tf.add(tf.matMul(h, p[`h${l}.qkv.w`]), p[`h${l}.qkv.b`]);
      const heads = qkv.reshape([B, T, 3, H, D]).transpose([2, 0, 3, 1, 4]) as tf.Tensor5D; // (3, B, H, T, D)
      const [q, k, v] = tf.unstack(heads) as tf.Tensor4D[];
      const y = this.attention(q, k, v).transpose([0, 2, 1, 3]).reshape([B * T, C]);
      x = tf.add(x, tf.add(tf.matMul(y, p[`h${l}.proj.w`]), p[`h${l}.proj.b`]));
      const h2 = this.layerNorm(x, p[`h${l}.ln2.g`], p[`h${l}.ln2.b`]);
      const f = gelu(tf.add(tf.matMul(h2, p[`h${l}.fc.w`]), p[`h${l}.fc.b`]));
      x = tf.add(x, tf.add(tf.matMul(f, p[`h${l}.fc2.w`]), p[`h${l}.fc2.b`]));
    }
    return tf.matMul(this.layerNorm(x, p['lnf.g'], p['lnf.b']), p['head.w']);
  }

  /** Mean cross-entropy over target positions that are not 0 (PAD). */
  loss(idx: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
    return tf.tidy(() => {
      const logits = this.logits(idx);
      const t = targets.reshape([-1]) as tf.Tensor1D;
      const logp = tf.logSoftmax(logits);
      const picked = tf.sum(tf.mul(logp, tf.oneHot(t, this.cfg.vocabSize)), -1);
      const keep = tf.cast(tf.notEqual(t, 0), 'float32');
      return tf.neg(tf.div(tf.sum(tf.mul(picked, keep)), tf.maximum(tf.sum(keep), 1))) as tf.Scalar;
    });
  }
}

/** GELU with erf, as torch.nn.GELU(). */
export function gelu(x: tf.Tensor): tf.Tensor2D {
  return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))) as tf.Tensor2D;
}

/** One optimizer step; returns the loss value. */
export function trainStep(model: ToyGPT, opt: tf.Optimizer, x: tf.Tensor2D, y: tf.Tensor2D): number {
  const loss = opt.minimize(() => model.loss(x, y), true, model.params) as tf.Scalar;
  const v = loss.dataSync()[0];
  loss.dispose();
  return v;
}

/** A random token batch (B, T) with a trailing PAD tail in the targets of length padFrac*T per row. */
export function randomBatch(rng: Rng, B: number, T: number, vocab: number, padFrac = 0): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const xs = new Int32Array(B * T);
  const ys = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    const real = T - Math.floor(rng.random() * padFrac * 2 * T) ;
    for (let t = 0; t < T; t++) {
      xs[b * T + t] = t < real ? rng.int(1, vocab - 1) : 0;
      ys[b * T + t] = t < real - 1 ? rng.int(1, vocab - 1) : 0;
    }
  }
  return { x: tf.tensor2d(xs, [B, T], 'int32'), y: tf.tensor2d(ys, [B, T], 'int32') };
}
