/**
 * minGPT, the character-level Transformer of the course, in tfjs.
 *
 *   x_0 = drop(tok_emb[idx] + pos_emb[:T])                   (vanilla; rope has no pos_emb)
 *   x   = x + drop(proj(attn(ln1(x))))                        } n_layer pre-LayerNorm blocks
 *   x   = x + drop(mlp(ln2(x))),  mlp = Linear(C,4C), GELU, Linear(4C,C)
 *   logits = head(ln_f(x))                                    (head has no bias)
 *
 * Attention: one fused Linear(C, 3C) gives queries, keys and values. Its output is viewed as
 * (B, T, n_head, 3 * head_dim) and split on the last axis, so head h reads columns [q_h | k_h | v_h] of its own
 * 3 * head_dim slice (not the common [q | k | v] over the full width). The `rope` variant rotates q and k by
 * their position (lib/positional/rope.ts) in every layer.
 *
 * Parameters live in `params` under their PyTorch state_dict names and shapes, in state_dict order (a module's
 * own parameters before its submodules', so `pos_emb` comes first). Linear weights are [out, in].
 * Initialisation, as minGPT's _init_weights: Linear and Embedding weights N(0, 0.02), biases 0, LayerNorm
 * weight 1 and bias 0; `pos_emb` starts at zeros (minGPT's nn.Parameter(torch.zeros(...))), learned from there.
 *
 * GELU is the exact one, x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)), PyTorch's nn.GELU default. GELU and LayerNorm
 * come from lib/backend/ops.ts: on wasm each is one SIMD kernel (lib/backend/fused.ts), elsewhere tf ops; both
 * use erf's Abramowitz-Stegun form (error under 1.5e-7, as tfjs's own Erf kernel).
 */
import * as tf from '@tensorflow/tfjs';
import { GPTConfig, headDim, validateConfig } from './config';
import { causalAttention, causalAttentionWeights, dropout, gelu, layerNorm } from '../backend/ops';
import { applyRope } from '../positional/rope';
import { Rng } from '../util/random';

export interface ForwardOptions {
  /** Dropout on (training) or off (evaluation, the default). */
  training?: boolean;
  /** Seed of every dropout mask of this call; required when training with dropout > 0. */
  seed?: number;
}

/**
 * Keys and values of every layer for the positions already processed, each (B, n_head, length, head_dim).
 * With it, decoding one more character costs one position instead of the whole prefix.
 */
export interface KVCache {
  keys: tf.Tensor4D[];
  values: tf.Tensor4D[];
  length: number;
}

const LN_EPS = 1e-5;
const INIT_STD = 0.02;
const MASKED = -1e9;

/** Dropout sites draw their seeds, in a fixed order, from one generator seeded by the caller's seed. */
class DropoutPlan {
  private readonly rng: Rng | undefined;
  constructor(readonly rate: number, readonly training: boolean, seed: number | undefined, where: string) {
    const active = training && rate > 0;
    if (active && seed === undefined) throw new Error(`${where}: training with dropout ${rate} needs opts.seed (reproducible masks)`);
    this.rng = active ? new Rng(seed as number) : undefined;
  }
  get active(): boolean {
    return this.rng !== undefined;
  }
  nextSeed(): number {
    return this.rng ? this.rng.nextUint32() : 0;
  }
  apply<T extends tf.Tensor>(x: T): T {
    // ops.dropout: a seeded mask written on the heap, twice as fast as tf.dropout on wasm (bench/README.md)
    return this.rng ? dropout(x, this.rate, this.rng.nextUint32()) : x;
  }
}

/** y = x W^T + b on (B, T, in), with W stored [out, in] as PyTorch does. */
function linear(x: tf.Tensor3D, weight: tf.Tensor, bias?: tf.Tensor): tf.Tensor3D {
  const [B, T, C] = x.shape;
  const out = weight.shape[0];
  const y = tf.fused.matMul({ a: tf.reshape(x, [B * T, C]) as tf.Tensor2D, b: weight as tf.Tensor2D, transposeB: true, bias });
  return tf.reshape(y, [B, T, out]);
}

/**
 * The fused qkv Linear as three Linears. Its 3C output rows are, head after head, [q_h | k_h | v_h]
 * (3 * head_dim rows per head): viewing the weight as (H, 3, D * C) and taking slice 0, 1 or 2 of the middle
 * axis gives the q, k or v rows of all heads, in head order. Same numbers as splitting the (B, T, 3C) output,
 * but it moves 3C x C weights instead of B x T x 3C activations, whose strided split is slow on wasm. (The
 * biases are added apart: the wasm fused matMul accepts only a bias whose own buffer is 1-D.)
 */
function qkvParts(weight: tf.Tensor, bias: tf.Tensor, H: number, D: number): { weight: tf.Tensor2D; bias: tf.Tensor1D }[] {
  const C = H * D;
  const w = tf.reshape(weight, [H, 3, D * C]);
  const b = tf.reshape(bias, [H, 3, D]);
  return [0, 1, 2].map((part) => ({
    weight: tf.reshape(tf.slice(w, [0, part, 0], [H, 1, D * C]), [C, C]) as tf.Tensor2D,
    bias: tf.reshape(tf.slice(b, [0, part, 0], [H, 1, D]), [C]) as tf.Tensor1D,
  }));
}

/** Attention of T new queries over L cached + T new keys, (B, H, T, D) x (B, H, L+T, D) -> (B, H, T, D). */
function attendWithPast(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, past: number): tf.Tensor4D {
  const T = q.shape[2];
  const S = k.shape[2];
  const scale = 1 / Math.sqrt(q.shape[3]);
  if (T === 1) {
    // One query sees every key: no mask. Broadcast products beat B * H tiny matMuls on wasm.
    const att = tf.softmax(tf.mul(tf.sum(tf.mul(q, k), -1), scale)); // (B, H, S)
    return tf.sum(tf.mul(tf.expandDims(att, 3), v), 2, true) as tf.Tensor4D;
  }
  let scores = tf.mul(tf.matMul(q, k, false, true), scale);
  // Query i sits at position past + i and may see keys 0 .. past + i.
  const mask = new Float32Array(T * S);
  for (let i = 0; i < T; i++) for (let j = past + i + 1; j < S; j++) mask[i * S + j] = MASKED;
  scores = tf.add(scores, tf.tensor2d(mask, [T, S]));
  return tf.matMul(tf.softmax(scores), v);
}

export class GPT {
  readonly config: GPTConfig;
  readonly params: ReadonlyMap<string, tf.Variable>;

  /**
   * A freshly initialised model. The same seed gives the same weights.
   * @param seed seeds the N(0, 0.02) initial weights
   */
  constructor(config: GPTConfig, seed: number) {
    validateConfig(config);
    this.config = { ...config };
    const { vocabSize: V, blockSize, nLayer, nEmbd: C } = config;
    const rng = new Rng(seed);
    const params = new Map<string, tf.Variable>();
    const add = (name: string, shape: number[], init: 'normal' | 'zeros' | 'ones') => {
      const size = shape.reduce((a, b) => a * b, 1);
      const values = init === 'normal' ? rng.normals(size, 0, INIT_STD) : new Float32Array(size).fill(init === 'ones' ? 1 : 0);
      // tf.variable shares the initial tensor's data: dispose the initial tensor, or it stays counted as a leak.
      const initial = tf.tensor(values, shape, 'float32');
      params.set(name, tf.variable(initial, true));
      initial.dispose();
    };
    // State_dict order: GPT's own parameter (pos_emb), then submodules in registration order.
    if (config.variant === 'vanilla') add('pos_emb', [1, blockSize, C], 'zeros');
    add('tok_emb.weight', [V, C], 'normal');
    for (let l = 0; l < nLayer; l++) {
      const p = `blocks.${l}.`;
      add(p + 'ln1.weight', [C], 'ones');
      add(p + 'ln1.bias', [C], 'zeros');
      add(p + 'ln2.weight', [C], 'ones');
      add(p + 'ln2.bias', [C], 'zeros');
      add(p + 'attn.qkv.weight', [3 * C, C], 'normal');
      add(p + 'attn.qkv.bias', [3 * C], 'zeros');
      add(p + 'attn.proj.weight', [C, C], 'normal');
      add(p + 'attn.proj.bias', [C], 'zeros');
      add(p + 'mlp.0.weight', [4 * C, C], 'normal');
      add(p + 'mlp.0.bias', [4 * C], 'zeros');
      add(p + 'mlp.2.weight', [C, 4 * C], 'normal');
      add(p + 'mlp.2.bias', [C], 'zeros');
    }
    add('ln_f.weight', [C], 'ones');
    add('ln_f.bias', [C], 'zeros');
    add('head.weight', [V, C], 'normal');
    this.params = params;
  }

  /** The parameters that get weight decay: the weights of Linear layers (minGPT's configure_optimizers). */
  decayParamNames(): string[] {
    return [...this.params.keys()].filter((n) => /\.(qkv|proj|mlp\.0|mlp\.2)\.weight$/.test(n) || n === 'head.weight');
  }

  numParams(): number {
    let n = 0;
    for (const v of this.params.values()) n += v.size;
    return n;
  }

  /** Logits (B, T, vocabSize) of the next character at every position of idx, int32 (B, T), T <= blockSize. */
  logits(idx: tf.Tensor2D, opts: ForwardOptions = {}): tf.Tensor3D {
    this.checkIdx(idx, 0, 'GPT.logits');
    const drop = new DropoutPlan(this.config.dropout, opts.training ?? false, opts.seed, 'GPT.logits');
    return tf.tidy(() => this.run(idx, undefined, drop).logits);
  }

  /** Mean cross-entropy of logits(idx) against targets (B, T), over the positions whose target is not PAD (0). */
  loss(idx: tf.Tensor2D, targets: tf.Tensor2D, opts: ForwardOptions = {}): tf.Scalar {
    if (targets.rank !== 2 || targets.shape[0] !== idx.shape[0] || targets.shape[1] !== idx.shape[1]) {
      throw new Error(`GPT.loss: targets shape [${targets.shape}] must equal idx shape [${idx.shape}]`);
    }
    if (targets.dtype !== 'int32') throw new Error(`GPT.loss: targets must be int32 ids, got ${targets.dtype}`);
    this.checkIdx(idx, 0, 'GPT.loss');
    const drop = new DropoutPlan(this.config.dropout, opts.training ?? false, opts.seed, 'GPT.loss');
    return tf.tidy(() => {
      const V = this.config.vocabSize;
      const logits = tf.reshape(this.run(idx, undefined, drop).logits, [-1, V]);
      const flat = tf.reshape(targets, [-1]) as tf.Tensor1D;
      const logProbs = tf.logSoftmax(logits);
      const picked = tf.sum(tf.mul(logProbs, tf.oneHot(flat, V)), -1); // log p(target) per position
      const keep = tf.cast(tf.notEqual(flat, 0), 'float32'); // PAD targets do not count
      // max(count, 1): a batch of padding only has loss 0 (PyTorch would give NaN).
      return tf.div(tf.neg(tf.sum(tf.mul(picked, keep))), tf.maximum(tf.sum(keep), 1)) as tf.Scalar;
    });
  }

  /**
   * Inference with a key/value cache: runs idx (B, T) as positions cache.length .. cache.length + T - 1 and
   * returns the logits of the last position, (B, vocabSize), and the cache grown by T positions. The caller
   * owns both and disposes the old cache. Pass `undefined` to start. No dropout.
   */
  forwardWithCache(idx: tf.Tensor2D, cache: KVCache | undefined): { logits: tf.Tensor2D; cache: KVCache } {
    const past = cache?.length ?? 0;
    this.checkIdx(idx, past, 'GPT.forwardWithCache');
    if (cache && cache.keys.length > 0 && cache.keys[0].shape[0] !== idx.shape[0]) {
      throw new Error(`GPT.forwardWithCache: batch ${idx.shape[0]} differs from the cache's ${cache.keys[0].shape[0]}`);
    }
    const drop = new DropoutPlan(0, false, undefined, 'GPT.forwardWithCache');
    const [logits, keys, values] = tf.tidy(() => {
      const { logits, present } = this.run(idx, cache, drop, true);
      const [B, , V] = logits.shape;
      const last = tf.reshape(logits, [B, V]) as tf.Tensor2D;
      return [last, present.keys, present.values] as [tf.Tensor2D, tf.Tensor4D[], tf.Tensor4D[]];
    });
    return { logits, cache: { keys, values, length: past + idx.shape[1] } };
  }

  /**
   * The attention probabilities of one forward pass over `ids` (one sequence, at most blockSize ids), without
   * dropout: maps[layer][head][i][j] is the weight query position i gives key position j. Each row sums to 1,
   * and j > i gets exactly 0 (causal).
   */
  attentionMaps(ids: readonly number[]): number[][][][] {
    const idx = tf.tensor2d([ids.slice()], [1, ids.length], 'int32');
    try {
      this.checkIdx(idx, 0, 'GPT.attentionMaps');
      const drop = new DropoutPlan(0, false, undefined, 'GPT.attentionMaps');
      const maps = tf.tidy(() => {
        const weights: tf.Tensor4D[] = [];
        this.run(idx, undefined, drop, false, weights);
        return tf.stack(weights); // (layer, 1, head, T, T)
      });
      const out = (maps.arraySync() as number[][][][][]).map((layer) => layer[0]);
      maps.dispose();
      return out;
    } finally {
      idx.dispose();
    }
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }

  private p(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new Error(`GPT: no parameter ${name}`);
    return v;
  }

  private checkIdx(idx: tf.Tensor, past: number, where: string): void {
    if (idx.rank !== 2) throw new Error(`${where}: idx must be (batch, time), got shape [${idx.shape}]`);
    if (idx.dtype !== 'int32') throw new Error(`${where}: idx must be int32 token ids, got ${idx.dtype}`);
    const T = idx.shape[1] as number;
    if (T < 1) throw new Error(`${where}: idx has no time steps`);
    if (past + T > this.config.blockSize) {
      throw new Error(`${where}: ${past ? `${past} cached + ` : ''}${T} positions exceed blockSize ${this.config.blockSize}`);
    }
  }

  /**
   * The forward pass; with `cache` the positions continue after the cached ones. `attention`, when given,
   * receives each layer's attention probabilities (B, H, T, T) (no cache, all positions).
   */
  private run(idx: tf.Tensor2D, cache: KVCache | undefined, drop: DropoutPlan, lastOnly = false, attention?: tf.Tensor4D[]): { logits: tf.Tensor3D; present: KVCache } {
    const { nLayer, nHead: H, nEmbd: C, variant } = this.config;
    const D = headDim(this.config);
    const [B, T] = idx.shape;
    const past = cache?.length ?? 0;
    let x = tf.gather(this.p('tok_emb.weight'), idx) as tf.Tensor3D; // (B, T, C)
    if (variant === 'vanilla') x = tf.add(x, tf.slice(this.p('pos_emb'), [0, past, 0], [1, T, C]));
    x = drop.apply(x);
    const keys: tf.Tensor4D[] = [];
    const values: tf.Tensor4D[] = [];
    for (let l = 0; l < nLayer; l++) {
      const p = `blocks.${l}.`;
      // Attention: queries, keys and values of all heads, each (B, H, T, D), from the fused qkv Linear.
      const h1 = layerNorm(x, this.p(p + 'ln1.weight'), this.p(p + 'ln1.bias'), LN_EPS);
      const toHeads = (t: tf.Tensor3D) => tf.transpose(tf.reshape(t, [B, T, H, D]), [0, 2, 1, 3]) as tf.Tensor4D;
      const [q0, k0, v0] = qkvParts(this.p(p + 'attn.qkv.weight'), this.p(p + 'attn.qkv.bias'), H, D).map((part) =>
        toHeads(tf.add(linear(h1, part.weight), part.bias) as tf.Tensor3D),
      );
      let [q, k, v] = [q0, k0, v0];
      if (variant === 'rope') {
        q = applyRope(q, { offset: past });
        k = applyRope(k, { offset: past });
      }
      if (cache) {
        k = tf.concat([cache.keys[l], k], 2);
        v = tf.concat([cache.values[l], v], 2);
      }
      keys.push(k);
      values.push(v);
      if (attention) attention.push(causalAttentionWeights(q, k));
      // Decoding needs only the last position's output of the last layer (the cache holds keys and values).
      const Tq = lastOnly && l === nLayer - 1 ? 1 : T;
      if (Tq < T) {
        q = tf.slice(q, [0, 0, T - 1, 0], [B, H, 1, D]);
        x = tf.slice(x, [0, T - 1, 0], [B, 1, C]);
      }
      const y =
        cache || Tq < T
          ? attendWithPast(q, k, v, past + T - Tq)
          : causalAttention(q, k, v, { dropout: drop.rate, seed: drop.nextSeed(), training: drop.active });
      const merged = tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B, Tq, C]) as tf.Tensor3D;
      x = tf.add(x, drop.apply(linear(merged, this.p(p + 'attn.proj.weight'), this.p(p + 'attn.proj.bias'))));
      // MLP.
      const h = linear(layerNorm(x, this.p(p + 'ln2.weight'), this.p(p + 'ln2.bias'), LN_EPS), this.p(p + 'mlp.0.weight'), this.p(p + 'mlp.0.bias'));
      x = tf.add(x, drop.apply(linear(gelu(h) as tf.Tensor3D, this.p(p + 'mlp.2.weight'), this.p(p + 'mlp.2.bias'))));
    }
    const logits = linear(layerNorm(x, this.p('ln_f.weight'), this.p('ln_f.bias'), LN_EPS), this.p('head.weight'));
    return { logits, present: { keys, values, length: past + T } };
  }
}
