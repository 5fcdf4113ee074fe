/**
 * AdamW, as torch.optim.AdamW (the optimizer of minGPT's trainer), and global-norm gradient clipping, as
 * torch.nn.utils.clip_grad_norm_.
 *
 * Adam keeps two running averages per parameter, of the gradient (m) and of its square (v), and moves each
 * weight by lr * m_hat / (sqrt(v_hat) + eps), where the hats undo the bias of averages started at zero.
 * "Decoupled" weight decay (the W) shrinks the weight directly, p <- p * (1 - lr * wd), instead of adding
 * wd * p to the gradient, so the decay is not rescaled by Adam's per-weight step size:
 *
 *   p <- p (1 - lr wd);  m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2
 *   p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 *
 * The moments are plain tf.Variables, so that a training checkpoint can save and restore them exactly.
 */
import * as tf from '@tensorflow/tfjs';

export interface AdamWConfig {
  /** Exponential decay rates of the two moment averages; minGPT uses (0.9, 0.95). */
  betas: [number, number];
  /** Added to the denominator for numerical safety (torch's default 1e-8). */
  eps: number;
  /** Decoupled weight decay coefficient (applied only to the parameters named in `decay`). */
  weightDecay: number;
}

export const MINGPT_ADAMW: AdamWConfig = { betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.1 };

/** What a training checkpoint stores of the optimizer: the step count and both moments of every parameter. */
export interface AdamWState {
  step: number;
  m: Map<string, Float32Array>;
  v: Map<string, Float32Array>;
}

export class AdamW {
  readonly config: AdamWConfig;
  /** Number of updates applied so far (t in the bias corrections). */
  step = 0;
  private readonly params: ReadonlyMap<string, tf.Variable>;
  private readonly decay: ReadonlySet<string>;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();

  /**
   * @param params the trainable parameters by name.
   * @param decayNames the names that get weight decay (minGPT: the weights of Linear layers only).
   */
  constructor(params: ReadonlyMap<string, tf.Variable>, decayNames: Iterable<string>, config: AdamWConfig = MINGPT_ADAMW) {
    const [b1, b2] = config.betas;
    if (!(b1 >= 0 && b1 < 1 && b2 >= 0 && b2 < 1)) throw new Error(`AdamW: betas must lie in [0, 1), got (${b1}, ${b2})`);
    if (!(config.eps > 0)) throw new Error(`AdamW: eps must be positive, got ${config.eps}`);
    if (!(config.weightDecay >= 0)) throw new Error(`AdamW: weightDecay must be >= 0, got ${config.weightDecay}`);
    this.config = config;
    this.params = params;
    this.decay = new Set(decayNames);
    for (const name of this.decay) {
      if (!params.has(name)) throw new Error(`AdamW: decay parameter "${name}" is not a parameter of the model`);
    }
    // Inside tidy, so that the zero tensors the variables are made from are freed (the variables are kept).
    tf.tidy(() => {
      for (const [name, p] of params) {
        this.m.set(name, tf.variable(tf.zerosLike(p), false, `adamw.m.${name}.${uid}`));
        this.v.set(name, tf.variable(tf.zerosLike(p), false, `adamw.v.${name}.${uid++}`));
      }
    });
  }

  /** The names that receive weight decay. */
  decayNames(): string[] {
    return [...this.decay];
  }

  /**
   * One update with learning rate `lr`. `grads` maps parameter names to gradients (a missing gradient
   * leaves the parameter and its moments untouched, as torch does for p.grad = None). Grads are not disposed.
   */
  apply(grads: Readonly<Record<string, tf.Tensor>>, lr: number): void {
    if (!(lr >= 0) || !Number.isFinite(lr)) throw new Error(`AdamW.apply: learning rate must be finite and >= 0, got ${lr}`);
    this.step += 1;
    const [b1, b2] = this.config.betas;
    const bc1 = 1 - Math.pow(b1, this.step);
    const bc2 = 1 - Math.pow(b2, this.step);
    tf.tidy(() => {
      for (const [name, p] of this.params) {
        const g = grads[name];
        if (!g) continue;
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        const mNew = m.mul(b1).add(g.mul(1 - b1));
        const vNew = v.mul(b2).add(g.square().mul(1 - b2));
        m.assign(mNew);
        v.assign(vNew);
        const decayed = this.decay.has(name) ? p.mul(1 - lr * this.config.weightDecay) : p;
        const denom = vNew.sqrt().div(Math.sqrt(bc2)).add(this.config.eps);
        p.assign(decayed.sub(mNew.div(denom).mul(lr / bc1)));
      }
    });
  }

  /** A copy of the state, for a training checkpoint. */
  getState(): AdamWState {
    const m = new Map<string, Float32Array>();
    const v = new Map<string, Float32Array>();
    for (const [name, t] of this.m) m.set(name, Float32Array.from(t.dataSync()));
    for (const [name, t] of this.v) v.set(name, Float32Array.from(t.dataSync()));
    return { step: this.step, m, v };
  }

  /** Restores a state saved by `getState` (the shapes must match the parameters). */
  setState(state: AdamWState): void {
    for (const [kind, saved, mine] of [['m', state.m, this.m], ['v', state.v, this.v]] as const) {
      for (const [name, variable] of mine) {
        const values = saved.get(name);
        if (!values) throw new Error(`AdamW.setState: the saved state has no ${kind} for parameter "${name}"`);
        if (values.length !== variable.size) {
          throw new Error(`AdamW.setState: ${kind} of "${name}" has ${values.length} values, the parameter has ${variable.size}`);
        }
        tf.tidy(() => variable.assign(tf.tensor(values, variable.shape, 'float32')));
      }
    }
    this.step = state.step;
  }

  /** Frees the moment variables. */
  dispose(): void {
    for (const t of this.m.values()) t.dispose();
    for (const t of this.v.values()) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}

let uid = 0;

/** The L2 norm of all gradients taken together, as one vector. */
export function globalNorm(grads: readonly tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => tf.sqrt(tf.addN(grads.map((g) => g.square().sum())) as tf.Scalar));
}

/**
 * Scales the gradients so that their global norm is at most `maxNorm` (torch.nn.utils.clip_grad_norm_:
 * coefficient maxNorm / (norm + 1e-6), applied only when below 1). Returns new tensors and the norm before clipping.
 */
export function clipByGlobalNorm(
  grads: Readonly<Record<string, tf.Tensor>>,
  maxNorm: number,
): { grads: Record<string, tf.Tensor>; norm: tf.Scalar } {
  if (!(maxNorm > 0)) throw new Error(`clipByGlobalNorm: maxNorm must be positive, got ${maxNorm}`);
  const names = Object.keys(grads);
  const norm = globalNorm(names.map((n) => grads[n]));
  const coef = tf.tidy(() => tf.minimum(tf.scalar(maxNorm).div(norm.add(1e-6)), 1));
  const out: Record<string, tf.Tensor> = {};
  for (const n of names) out[n] = grads[n].mul(coef);
  coef.dispose();
  return { grads: out, norm };
}
