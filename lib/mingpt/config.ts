/**
 * The hyperparameters of a minGPT model, in one plain object (as minGPT's GPTConfig).
 *
 * Two variants differ only in how the model learns where a character sits:
 * - `vanilla` adds a learned position embedding, a (1, blockSize, nEmbd) table, to the token embeddings;
 * - `rope` has no position table and rotates queries and keys by their position in every layer (RoPE).
 */

export type Variant = 'vanilla' | 'rope';
export const VARIANTS: readonly Variant[] = ['vanilla', 'rope'];

export interface GPTConfig {
  /** Number of distinct characters, PAD and MASK included. */
  vocabSize: number;
  /** Longest sequence the model reads (the context window). */
  blockSize: number;
  nLayer: number;
  nHead: number;
  /** Width of the residual stream, C. */
  nEmbd: number;
  /** Dropout rate on the embeddings, the attention weights and each residual branch. */
  dropout: number;
  variant: Variant;
}

/** The course model: 4 layers, 8 heads, width 256, dropout 0.1, context of 128 characters. */
export function courseModelConfig(vocabSize: number, variant: Variant): GPTConfig {
  const config: GPTConfig = { vocabSize, blockSize: 128, nLayer: 4, nHead: 8, nEmbd: 256, dropout: 0.1, variant };
  validateConfig(config);
  return config;
}

function positiveInt(name: keyof GPTConfig, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error(`GPTConfig.${name} must be a positive integer, got ${JSON.stringify(value)}`);
  }
}

/** Throws an error naming the first bad parameter; returns quietly when the config can build a model. */
export function validateConfig(c: GPTConfig): void {
  if (typeof c !== 'object' || c === null) throw new Error(`GPTConfig must be an object, got ${JSON.stringify(c)}`);
  for (const k of ['vocabSize', 'blockSize', 'nLayer', 'nHead', 'nEmbd'] as const) positiveInt(k, c[k]);
  if (typeof c.dropout !== 'number' || !(c.dropout >= 0 && c.dropout < 1)) {
    throw new Error(`GPTConfig.dropout must be a number in [0, 1), got ${JSON.stringify(c.dropout)}`);
  }
  if (!VARIANTS.includes(c.variant)) {
    throw new Error(`GPTConfig.variant must be one of ${VARIANTS.join(', ')}, got ${JSON.stringify(c.variant)}`);
  }
  if (c.nEmbd % c.nHead !== 0) {
    throw new Error(`GPTConfig.nEmbd (${c.nEmbd}) must be divisible by nHead (${c.nHead})`);
  }
  if (c.variant === 'rope' && (c.nEmbd / c.nHead) % 2 !== 0) {
    throw new Error(
      `GPTConfig: rope needs an even head dimension (pairs of numbers rotate together), ` +
        `but nEmbd / nHead = ${c.nEmbd} / ${c.nHead} = ${c.nEmbd / c.nHead}`,
    );
  }
}

/** The size of one attention head. */
export function headDim(c: GPTConfig): number {
  return c.nEmbd / c.nHead;
}
