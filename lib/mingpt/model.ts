/**
 * minGPT, the character-level Transformer of the course, in tfjs.
 *
 *   x_0 = drop(tok_emb[idx] + pos_emb[:T])                   (vanilla; rope has no pos_emb)
 *   x   = x + drop(proj(attn(ln1(x))))                        } n_layer pre-LayerNorm blocks
 *   x   = x + drop(mlp(ln2(x))),  mlp = Linear(C,4C), GELU, Linear(4C,C)
 *   logits = head(ln_f(x))                                    (head has no bias)
 *
 * Attention: one fused Linear(C, 3C) gives queries, keys and values (`ops.qkvHeads`). Its output is viewed as
 * (B, T, n_head, 3 * head_dim) and split on the last axis, so head h reads columns [q_h | k_h | v_h] of its own
 * 3 * head_dim slice (not the common [q | k | v] over the full width). The `rope` variant rotates q and k by
 * their position (lib/positional/rope.ts) in every layer. The attention itself is `ops.causalAttention`
 * (lib/backend/ops.ts), one op for training and for decoding with cached keys and values.
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
import { GPTConfig, validateConfig } from './config';
import { causalAttention, causalAttentionWeights, dropout, gelu, layerNorm, qkvHeads } from '../backend/ops';
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

const NO_DROPOUT = new DropoutPlan(0, false, undefined, 'GPT');

/** Makes the parameters in state_dict order, initialised as minGPT does, from one seeded generator. */
class ParamFactory {
  readonly params = new Map<string, tf.Variable>();
  private readonly rng: Rng;
  constructor(seed: number) {
    this.rng = new Rng(seed);
  }
  add(name: string, shape: number[], init: 'normal' | 'zeros' | 'ones'): tf.Variable {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = init === 'normal' ? this.rng.normals(size, 0, INIT_STD) : new Float32Array(size).fill(init === 'ones' ? 1 : 0);
    // tf.variable shares the initial tensor's data: dispose the initial tensor, or it stays counted as a leak.
    const initial = tf.tensor(values, shape, 'float32');
    const v = tf.variable(initial, true);
    initial.dispose();
    this.params.set(name, v);
    return v;
  }
}

/** y = x W^T + b on (B, T, in), with W stored [out, in] as PyTorch does. */
function linear(x: tf.Tensor3D, weight: tf.Tensor, bias?: tf.Tensor): tf.Tensor3D {
  const [B, T, C] = x.shape;
  const out = weight.shape[0];
  const y = tf.fused.matMul({ a: tf.reshape(x, [B * T, C]) as tf.Tensor2D, b: weight as tf.Tensor2D, transposeB: true, bias });
  return tf.reshape(y, [B, T, out]);
}

class Linear {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | undefined;
  constructor(f: ParamFactory, name: string, inFeatures: number, outFeatures: number, withBias = true) {
    this.weight = f.add(`${name}.weight`, [outFeatures, inFeatures], 'normal');
    this.bias = withBias ? f.add(`${name}.bias`, [outFeatures], 'zeros') : undefined;
  }
  forward(x: tf.Tensor3D): tf.Tensor3D {
    return linear(x, this.weight, this.bias);
  }
}

class LayerNorm {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  constructor(f: ParamFactory, name: string, C: number) {
    this.weight = f.add(`${name}.weight`, [C], 'ones');
    this.bias = f.add(`${name}.bias`, [C], 'zeros');
  }
  forward(x: tf.Tensor3D): tf.Tensor3D {
    return layerNorm(x, this.weight, this.bias, LN_EPS);
  }
}

/** Where a pass through the blocks continues a KV cache: its length, one layer's keys and values, and whether
 *  only the last position's output is wanted (decoding reads nothing else). */
interface Continuation {
  past: number;
  cached?: { keys: tf.Tensor4D; values: tf.Tensor4D };
  lastOnly: boolean;
}

/** The last position of (B, T, ...) along axis `axis`. */
function lastPosition<T extends tf.Tensor>(x: T, axis: number): T {
  const begin = x.shape.map((_, i) => (i === axis ? x.shape[axis] - 1 : 0));
  const size = x.shape.map((n, i) => (i === axis ? 1 : n));
  return tf.slice(x, begin, size) as T;
}

/** Multi-head masked self-attention followed by its output projection: (B, T, C) -> (B, T, C). */
class CausalSelfAttention {
  private readonly qkv: Linear;
  private readonly proj: Linear;
  constructor(f: ParamFactory, name: string, private readonly config: GPTConfig) {
    const C = config.nEmbd;
    this.qkv = new Linear(f, `${name}.qkv`, C, 3 * C);
    this.proj = new Linear(f, `${name}.proj`, C, C);
  }

  /**
   * (B, T, C) -> the output, and the keys and values of every position (the cached ones first) for a cache.
   * With `continuation`, x holds positions past .. past + T - 1.
   */
  forward(x: tf.Tensor3D, drop: DropoutPlan, continuation?: Continuation): { y: tf.Tensor3D; keys: tf.Tensor4D; values: tf.Tensor4D } {
    let { q, k, v } = this.heads(x, continuation?.past ?? 0);
    if (continuation?.cached) {
      k = tf.concat([continuation.cached.keys, k], 2);
      v = tf.concat([continuation.cached.values, v], 2);
    }
    if (continuation?.lastOnly && q.shape[2] > 1) q = lastPosition(q, 2);
    const past = k.shape[2] - q.shape[2];
    const y = causalAttention(q, k, v, { past, dropout: drop.rate, seed: drop.nextSeed(), training: drop.active });
    // Heads side by side again: (B, H, T, D) -> (B, T, H * D).
    const [B, , T] = y.shape;
    const merged = tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B, T, this.config.nEmbd]) as tf.Tensor3D;
    return { y: drop.apply(this.proj.forward(merged)), keys: k, values: v };
  }

  /** The attention probabilities (B, H, T, T) of x (no dropout). */
  weights(x: tf.Tensor3D): tf.Tensor4D {
    const { q, k } = this.heads(x, 0);
    return causalAttentionWeights(q, k);
  }

  /** Queries, keys and values of all heads, each (B, H, T, D); rope rotates q and k by their positions. */
  private heads(x: tf.Tensor3D, offset: number): { q: tf.Tensor4D; k: tf.Tensor4D; v: tf.Tensor4D } {
    const [q, k, v] = qkvHeads(x, this.qkv.weight, this.qkv.bias!, this.config.nHead);
    if (this.config.variant !== 'rope') return { q, k, v };
    return { q: applyRope(q, { offset }), k: applyRope(k, { offset }), v };
  }
}

/** Linear(C, 4C), GELU, Linear(4C, C), dropout: `mlp.0` and `mlp.2` in the state_dict. */
class MLP {
  private readonly fc: Linear;
  private readonly proj: Linear;
  constructor(f: ParamFactory, name: string, C: number) {
    this.fc = new Linear(f, `${name}.0`, C, 4 * C);
    this.proj = new Linear(f, `${name}.2`, 4 * C, C);
  }
  forward(x: tf.Tensor3D, drop: DropoutPlan): tf.Tensor3D {
    return drop.apply(this.proj.forward(gelu(this.fc.forward(x))));
  }
}

/** One pre-LayerNorm Transformer block: x + attn(ln1(x)), then x + mlp(ln2(x)). */
class Block {
  readonly ln1: LayerNorm;
  private readonly ln2: LayerNorm;
  readonly attn: CausalSelfAttention;
  private readonly mlp: MLP;
  constructor(f: ParamFactory, name: string, config: GPTConfig) {
    // Registration order is the state_dict's: ln1, ln2, attn, mlp.
    this.ln1 = new LayerNorm(f, `${name}.ln1`, config.nEmbd);
    this.ln2 = new LayerNorm(f, `${name}.ln2`, config.nEmbd);
    this.attn = new CausalSelfAttention(f, `${name}.attn`, config);
    this.mlp = new MLP(f, `${name}.mlp`, config.nEmbd);
  }

  forward(x: tf.Tensor3D, drop: DropoutPlan, continuation?: Continuation): { x: tf.Tensor3D; keys: tf.Tensor4D; values: tf.Tensor4D } {
    const { y, keys, values } = this.attn.forward(this.ln1.forward(x), drop, continuation);
    // With lastOnly the attention answered the last position only: so does the rest of the block.
    let h = y.shape[1] < x.shape[1] ? lastPosition(x, 1) : x;
    h = tf.add(h, y);
    h = tf.add(h, this.mlp.forward(this.ln2.forward(h), drop));
    return { x: h, keys, values };
  }
}

export class GPT {
  readonly config: GPTConfig;
  readonly params: ReadonlyMap<string, tf.Variable>;
  private readonly posEmb: tf.Variable | undefined;
  private readonly tokEmb: tf.Variable;
  private readonly blocks: Block[];
  private readonly lnF: LayerNorm;
  private readonly head: Linear;

  /**
   * A freshly initialised model. The same seed gives the same weights.
   * @param seed seeds the N(0, 0.02) initial weights
   */
  constructor(config: GPTConfig, seed: number) {
    validateConfig(config);
    this.config = { ...config };
    const { vocabSize: V, blockSize, nLayer, nEmbd: C } = config;
    const f = new ParamFactory(seed);
    // State_dict order: GPT's own parameter (pos_emb), then submodules in registration order.
    this.posEmb = config.variant === 'vanilla' ? f.add('pos_emb', [1, blockSize, C], 'zeros') : undefined;
    this.tokEmb = f.add('tok_emb.weight', [V, C], 'normal');
    this.blocks = Array.from({ length: nLayer }, (_, l) => new Block(f, `blocks.${l}`, this.config));
    this.lnF = new LayerNorm(f, 'ln_f', C);
    this.head = new Linear(f, 'head', C, V, false);
    this.params = f.params;
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
    return tf.tidy(() => this.forward(idx, drop));
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
      const logits = tf.reshape(this.forward(idx, drop), [-1, V]);
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
    const [logits, keys, values] = tf.tidy(() => {
      const r = this.decode(idx, cache);
      return [r.logits, r.keys, r.values] as [tf.Tensor2D, tf.Tensor4D[], tf.Tensor4D[]];
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
      const maps = tf.tidy(() => {
        let x = this.embed(idx, 0, NO_DROPOUT);
        const weights: tf.Tensor4D[] = [];
        for (const block of this.blocks) {
          weights.push(block.attn.weights(block.ln1.forward(x)));
          x = block.forward(x, NO_DROPOUT).x;
        }
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

  /** Training and evaluation: the logits (B, T, V) of every position. */
  private forward(idx: tf.Tensor2D, drop: DropoutPlan): tf.Tensor3D {
    let x = this.embed(idx, 0, drop);
    for (const block of this.blocks) x = block.forward(x, drop).x;
    return this.head.forward(this.lnF.forward(x));
  }

  /**
   * Decoding: idx continues the cached positions; returns the logits of its last position (B, V) and every
   * layer's keys and values, the cached ones included. The last layer computes the last position only: the
   * cache holds the keys and values of the others, and nothing reads their outputs.
   */
  private decode(idx: tf.Tensor2D, cache: KVCache | undefined): { logits: tf.Tensor2D; keys: tf.Tensor4D[]; values: tf.Tensor4D[] } {
    const past = cache?.length ?? 0;
    let x = this.embed(idx, past, NO_DROPOUT);
    const keys: tf.Tensor4D[] = [];
    const values: tf.Tensor4D[] = [];
    this.blocks.forEach((block, l) => {
      const cached = cache && { keys: cache.keys[l], values: cache.values[l] };
      const out = block.forward(x, NO_DROPOUT, { past, cached, lastOnly: l === this.blocks.length - 1 });
      x = out.x;
      keys.push(out.keys);
      values.push(out.values);
    });
    const logits = this.head.forward(this.lnF.forward(x)); // (B, 1, V)
    return { logits: tf.reshape(logits, [x.shape[0], this.config.vocabSize]) as tf.Tensor2D, keys, values };
  }

  /** Token embeddings plus, in the vanilla variant, the position embeddings of positions past .. past + T - 1. */
  private embed(idx: tf.Tensor2D, past: number, drop: DropoutPlan): tf.Tensor3D {
    const [, T] = idx.shape;
    let x = tf.gather(this.tokEmb, idx) as tf.Tensor3D; // (B, T, C)
    if (this.posEmb) x = tf.add(x, tf.slice(this.posEmb, [0, past, 0], [1, T, this.config.nEmbd]));
    return drop.apply(x);
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
}
