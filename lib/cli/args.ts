/**
 * Command-line arguments of `mingpt`: the verbs and flags of the course's run.py, plus scale presets,
 * explicit sizes, resumption and machine-readable output. Every mistake (an unknown flag, a missing or
 * nonexistent path, a number out of range) becomes a UsageError whose message names the flag.
 */
import * as fs from 'fs';
import { parseArgs } from 'util';
import { VARIANTS, Variant } from '../mingpt/config';
import { SCALE_NAMES, ScaleName, PresetOverrides } from '../mingpt/presets';
import type { CorpusChoice } from '../data/corpus';
import { defaultRunsDir } from '../results/record';

export const VERBS = ['pretrain', 'finetune', 'evaluate', 'london'] as const;
export type Verb = (typeof VERBS)[number];

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface CliArgs {
  verb: Verb;
  variant: Variant;
  /** Whether --variant was given (evaluate and finetune otherwise take the checkpoint's). */
  variantGiven: boolean;
  scale: ScaleName;
  overrides: PresetOverrides;
  corpus: CorpusChoice;
  worldSeed: number;
  pretrainCorpus?: string;
  finetuneCorpus?: string;
  evalCorpus?: string;
  readingParams?: string;
  writingParams?: string;
  outputs?: string;
  seed: number;
  resultsDir: string;
  json: boolean;
  fresh: boolean;
  stateFile?: string;
  /** Epochs (1-based, ascending) after which training also writes the model as it is then (--snapshot-epochs). */
  snapshotEpochs: number[];
  checkpointEvery?: number;
  checkpointSeconds: number;
  /** Rows per forward/backward pass (gradients summed over the batch's slices), to fit big batches in memory. */
  microBatch?: number;
  /** Training threads (1 or 2); undefined: defaultTrainingThreads. */
  threads?: number;
  /** Stop (as if interrupted) after this many steps: for demos of resuming. */
  stopAfter?: number;
  quiet: boolean;
}

export const USAGE = `usage: mingpt <pretrain|finetune|evaluate|london> [flags]

  pretrain   span-corruption pretraining on --pretrain-corpus; writes --writing-params
  finetune   trains on --finetune-corpus ("question<TAB>place" lines); from --reading-params when given
             (pretrained: few epochs) else from scratch; writes --writing-params
  evaluate   answers --eval-corpus with the model in --reading-params, prints the accuracy; the predictions are
             kept beside the run's record (and written to --outputs when given)
  london     the baseline that answers "London" to every question of --eval-corpus

data (default: --corpus auto = the real corpus via MINGPT_DATA_DIR or data/birthplaces, else a synthetic world)
  --corpus auto|real|synthetic      --world-seed N (synthetic world, default 0)
  --pretrain-corpus FILE   text, one document per line; always gives the vocabulary
  --finetune-corpus FILE   --eval-corpus FILE
model and run
  --variant vanilla|rope (default vanilla, or the --reading-params model's)     --seed N (default 0)
  --reading-params FILE    --writing-params FILE    --outputs FILE
  --scale smoke|cpu|full (default smoke; full = the course's hyperparameters)
  --epochs N --batch-size N --learning-rate X --n-layer N --n-head N --n-embd N --block-size N --dropout X
  --decay-epochs N  the learning rate's cosine reaches its 10% floor after N epochs of the pretraining corpus
                    (final_tokens = N x documents x block size, both stages; the course: 650 for
                    pretraining, 200 for finetuning; --decay-epochs E with --epochs E fits the decay to the run)
  --micro-batch N   run each batch N rows at a time (default 8; smoke: 16, its whole batch), rows grouped by
                    length, gradients summed: the same update with less memory (the wasm heap is capped at 4 GB)
                    and less padding
  --threads 1|2     training threads (default 2 on the wasm backend with 2+ cores): a helper thread computes
                    half of each batch's micro-batches
resuming and output
  training saves its state to --state-file (default WRITING_PARAMS.state) every --checkpoint-seconds
  (default 60) or --checkpoint-every N steps, and on Ctrl-C; the same command resumes it (--fresh restarts)
  --stop-after N   stop after N steps as if interrupted
  --snapshot-epochs N,M,...   also write the model after these epochs, to WRITING_PARAMS with .eN before
                   .params, each with its own record (a point of accuracy against compute from one long run)
  --results-dir DIR  where the run's record goes (default runs/, or $MINGPT_RUNS_DIR; git-ignored: notebook 8's
                   curated records are written to results/ by scripts/results.sh or copied by scripts/promote.ts)
  --json: print the final metrics as one JSON line on stdout
  --quiet: no progress bar
`;

const OPTIONS = {
  variant: { type: 'string' }, scale: { type: 'string' }, corpus: { type: 'string' }, 'world-seed': { type: 'string' },
  'pretrain-corpus': { type: 'string' }, 'finetune-corpus': { type: 'string' }, 'eval-corpus': { type: 'string' },
  'reading-params': { type: 'string' }, 'writing-params': { type: 'string' }, outputs: { type: 'string' },
  seed: { type: 'string' }, 'results-dir': { type: 'string' }, json: { type: 'boolean' }, fresh: { type: 'boolean' },
  'state-file': { type: 'string' }, 'checkpoint-every': { type: 'string' }, 'checkpoint-seconds': { type: 'string' },
  'stop-after': { type: 'string' }, 'snapshot-epochs': { type: 'string' }, 'micro-batch': { type: 'string' }, threads: { type: 'string' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  epochs: { type: 'string' }, 'batch-size': { type: 'string' }, 'learning-rate': { type: 'string' },
  'n-layer': { type: 'string' }, 'n-head': { type: 'string' }, 'n-embd': { type: 'string' },
  'block-size': { type: 'string' }, dropout: { type: 'string' }, 'decay-epochs': { type: 'string' },
} as const;

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}, got "${value}"`);
}

function integer(flag: string, value: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${flag} must be an integer from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

function real(flag: string, value: string | undefined, ok: (x: number) => boolean, range: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || !ok(n)) throw new UsageError(`--${flag} must be ${range}, got "${value}"`);
  return n;
}

/** "100,200 300" as [100, 200, 300]: positive integers, ascending, no repeats. */
function epochList(flag: string, value: string | undefined): number[] {
  if (value === undefined) return [];
  const parts = value.split(/[\s,]+/).filter((p) => p !== '');
  const list = parts.map((p) => integer(flag, p, 1, 100000)!);
  if (list.length === 0) throw new UsageError(`--${flag} needs at least one epoch number, got "${value}"`);
  list.forEach((e, i) => {
    if (i > 0 && e <= list[i - 1]) throw new UsageError(`--${flag} must list epochs in ascending order without repeats, got "${value}"`);
  });
  return list;
}

function existingFile(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!fs.existsSync(value)) throw new UsageError(`--${flag} ${value}: no such file`);
  if (!fs.statSync(value).isFile()) throw new UsageError(`--${flag} ${value}: not a file`);
  return value;
}

/** Parses argv (without node and the script). Throws UsageError; returns 'help' for --help. */
export function parseCli(argv: readonly string[]): CliArgs | 'help' {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
  const v = parsed.values;
  if (v.help) return 'help';
  if (parsed.positionals.length === 0) throw new UsageError('missing the verb: pretrain, finetune, evaluate or london');
  if (parsed.positionals.length > 1) throw new UsageError(`one verb only, got: ${parsed.positionals.join(' ')}`);
  const verb = parsed.positionals[0] as Verb;
  if (!(VERBS as readonly string[]).includes(verb)) throw new UsageError(`unknown verb "${verb}": use one of ${VERBS.join(', ')}`);
  const args: CliArgs = {
    verb,
    variant: oneOf('variant', v.variant, VARIANTS, 'vanilla'),
    variantGiven: v.variant !== undefined,
    scale: oneOf('scale', v.scale, SCALE_NAMES, 'smoke'),
    corpus: oneOf<CorpusChoice>('corpus', v.corpus, ['auto', 'real', 'synthetic'], 'auto'),
    worldSeed: integer('world-seed', v['world-seed'], 0, 2 ** 32 - 1) ?? 0,
    pretrainCorpus: existingFile('pretrain-corpus', v['pretrain-corpus']),
    finetuneCorpus: existingFile('finetune-corpus', v['finetune-corpus']),
    evalCorpus: existingFile('eval-corpus', v['eval-corpus']),
    readingParams: existingFile('reading-params', v['reading-params']),
    writingParams: v['writing-params'],
    outputs: v.outputs,
    seed: integer('seed', v.seed, 0, 2 ** 32 - 1) ?? 0,
    resultsDir: v['results-dir'] ?? defaultRunsDir(),
    json: v.json ?? false,
    fresh: v.fresh ?? false,
    stateFile: v['state-file'],
    checkpointEvery: integer('checkpoint-every', v['checkpoint-every'], 1),
    checkpointSeconds: real('checkpoint-seconds', v['checkpoint-seconds'], (x) => x >= 0, 'a number of seconds >= 0') ?? 60,
    stopAfter: integer('stop-after', v['stop-after'], 1),
    snapshotEpochs: epochList('snapshot-epochs', v['snapshot-epochs']),
    microBatch: integer('micro-batch', v['micro-batch'], 1, 65536),
    threads: integer('threads', v.threads, 1, 2),
    quiet: v.quiet ?? false,
    overrides: {
      epochs: integer('epochs', v.epochs, 1, 100000),
      batchSize: integer('batch-size', v['batch-size'], 1, 65536),
      learningRate: real('learning-rate', v['learning-rate'], (x) => x > 0 && x < 10, 'a number in (0, 10)'),
      nLayer: integer('n-layer', v['n-layer'], 1, 64),
      nHead: integer('n-head', v['n-head'], 1, 64),
      nEmbd: integer('n-embd', v['n-embd'], 1, 8192),
      blockSize: integer('block-size', v['block-size'], 9, 8192),
      dropout: real('dropout', v.dropout, (x) => x >= 0 && x < 1, 'a number in [0, 1)'),
      decayEpochs: integer('decay-epochs', v['decay-epochs'], 1, 100000),
    },
  };
  if ((verb === 'pretrain' || verb === 'finetune') && args.writingParams === undefined) {
    throw new UsageError(`${verb} needs --writing-params FILE (where the trained model goes)`);
  }
  if (verb === 'pretrain' && args.readingParams !== undefined) throw new UsageError('pretrain starts from scratch: --reading-params is for finetune and evaluate');
  if (verb === 'evaluate' && args.readingParams === undefined) throw new UsageError('evaluate needs --reading-params FILE (the model to evaluate)');
  if (args.snapshotEpochs.length > 0 && verb !== 'pretrain' && verb !== 'finetune') {
    throw new UsageError(`${verb} does not train: --snapshot-epochs applies to pretrain and finetune`);
  }
  const trainingOnly = ['epochs', 'batchSize', 'learningRate', 'decayEpochs'] as const;
  if ((verb === 'evaluate' || verb === 'london') && trainingOnly.some((k) => args.overrides[k] !== undefined)) {
    throw new UsageError(`${verb} does not train: --epochs, --batch-size, --learning-rate and --decay-epochs do not apply`);
  }
  return args;
}
