/**
 * Training throughput of the course model on this machine: `npm run bench [-- options]`.
 *
 * Trains the real GPT (course config: 4 layers, 8 heads, width 256, 128 positions) with the real AdamW step
 * (lib/mingpt/trainer.ts) on real span-corruption pretraining batches, after a warm-up, and reports the
 * median step. Then times greedy decoding of the 500 dev questions (32 characters each, key/value cache).
 *
 * Options: --json (one JSON object), --steps N (measured, default 5), --warmup N (default 2), --batch B
 * (default 128), --micro M (default 8: the batch runs as micro-batches of M rows sorted by length, each cut
 * after its own last real target, gradients added exactly (lib/mingpt/micro_batches.ts); 0: one pass through
 * Trainer.trainStep, which needs more than the 4 GB wasm heap at batch 128), --threads 1|2 (default: 2 on wasm with
 * 2+ cores; 2: a helper thread computes half of the micro-batches, lib/mingpt/parallel.ts),
 * --variant vanilla|rope, --no-trim (compute the PAD columns too), --no-eval,
 * --leak-steps N (also run N more steps and compare the tensor count after 1 and after N; default 0),
 * --vs-pytorch (run bench/reference_pytorch.py on the same batches and print the ratios).
 * Needs the real corpus: MINGPT_DATA_DIR or data/birthplaces/.
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describeBackend, initBackend } from '../lib/backend';
import { loadCorpus } from '../lib/data/corpus';
import { Vocab } from '../lib/data/vocab';
import { CharCorruptionDataset } from '../lib/data/char_corruption';
import { courseModelConfig, Variant } from '../lib/mingpt/config';
import { GPT } from '../lib/mingpt/model';
import { Batch, MINGPT_TRAINER_DEFAULTS, Trainer } from '../lib/mingpt/trainer';
import { datasetBatches } from '../lib/mingpt/batches';
import { SCALES } from '../lib/mingpt/presets';
import { predictBirthplaces } from '../lib/eval/evaluate';
import { splitByLength } from '../lib/mingpt/micro_batches';
import { GradientHelper, defaultTrainingThreads } from '../lib/mingpt/parallel';

export interface BenchOptions {
  json: boolean;
  steps: number;
  warmup: number;
  batch: number;
  variant: Variant;
  trim: boolean;
  evaluate: boolean;
  leakSteps: number;
  vsPytorch: boolean;
  micro: number;
  /** Training threads; 0 (the default): defaultTrainingThreads for the backend. */
  threads: number;
}

export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const o: BenchOptions = { json: false, steps: 5, warmup: 2, batch: 128, variant: 'vanilla', trim: true, evaluate: true, leakSteps: 0, vsPytorch: false, micro: 8, threads: 0 };
  const int = (flag: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < min) throw new Error(`bench: ${flag} needs an integer >= ${min}, got ${v === undefined ? 'nothing' : JSON.stringify(v)}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') o.json = true;
    else if (a === '--steps') o.steps = int(a, argv[++i], 1);
    else if (a === '--warmup') o.warmup = int(a, argv[++i], 0);
    else if (a === '--batch') o.batch = int(a, argv[++i], 1);
    else if (a === '--leak-steps') o.leakSteps = int(a, argv[++i], 0);
    else if (a === '--micro') o.micro = int(a, argv[++i], 0);
    else if (a === '--threads') {
      o.threads = int(a, argv[++i], 1);
      if (o.threads > 2) throw new Error(`bench: --threads must be 1 or 2, got ${o.threads}`);
    }
    else if (a === '--variant') {
      const v = argv[++i];
      if (v !== 'vanilla' && v !== 'rope') throw new Error(`bench: --variant must be vanilla or rope, got ${JSON.stringify(v)}`);
      o.variant = v;
    } else if (a === '--no-trim') o.trim = false;
    else if (a === '--no-eval') o.evaluate = false;
    else if (a === '--vs-pytorch') o.vsPytorch = true;
    else throw new Error(`bench: unknown option ${JSON.stringify(a)} (see the comment at the top of bench/bench.ts)`);
  }
  return o;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median: no values');
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The full course pretraining in token positions: epochs x documents x block size. */
export function fullPretrainPositions(documents: number): number {
  return SCALES.full.pretrain.epochs * documents * SCALES.full.model.blockSize;
}

async function main(): Promise<void> {
  const opts = parseBenchArgs(process.argv.slice(2));
  const info = await initBackend();
  const corpus = loadCorpus({ corpus: 'real' });
  const vocab = Vocab.fromCorpus(corpus.pretrainText);
  const dataset = new CharCorruptionDataset(vocab, corpus.pretrainText, SCALES.full.model.blockSize);
  const data = datasetBatches(dataset, { trimPad: opts.trim });
  const model = new GPT(courseModelConfig(vocab.size, opts.variant), 0);
  const full = SCALES.full;
  if (opts.threads === 0) opts.threads = defaultTrainingThreads(info.name);
  const helper = opts.threads > 1 ? await GradientHelper.start(model.config) : undefined;
  const trainer = new Trainer(model, data, {
    ...MINGPT_TRAINER_DEFAULTS, maxEpochs: 1000, batchSize: opts.batch, learningRate: full.pretrain.learningRate,
    decay: true, warmupTokens: full.warmupTokens, finalTokens: full.finalTokensEpochs * dataset.length * full.model.blockSize, seed: 0,
    microBatchSize: opts.micro > 0 ? opts.micro : undefined,
  }, { helper });
  const batches: Batch[] = [];
  const nSteps = opts.warmup + opts.steps;
  for (let s = 0; s < nSteps; s++) batches.push(data.batch(trainer.batchIndices(s), 1000 + s));
  const lr = full.pretrain.learningRate;

  // The positions a step computes: what the trainer's micro-batches keep of the batch (counted outside the timing).
  const computedPositions = (b: Batch): number => opts.micro === 0
    ? b.batchSize * b.time
    : splitByLength(b, opts.micro).filter((p) => p.usefulTokens > 0).reduce((n, p) => n + p.batchSize * p.time, 0);
  // Every step is the trainer's own: micro-batches sorted by length, AdamW, clipping at 1.0.
  for (let s = 0; s < opts.warmup; s++) trainer.trainStep(batches[s], lr, s);
  const tensorsBefore = tf.memory().numTensors;
  const ms: number[] = [];
  const cpuMs: number[] = [];
  let positions = 0, computed = 0, useful = 0, tensorsAfter1 = -1;
  for (let s = opts.warmup; s < nSteps; s++) {
    const b = batches[s];
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    trainer.trainStep(b, lr, s);
    ms.push(performance.now() - t0);
    cpuMs.push(cpuMsSince(c0));
    computed += computedPositions(b);
    if (tensorsAfter1 < 0) tensorsAfter1 = tf.memory().numTensors;
    positions += b.batchSize * (b.paddedTime ?? b.time);
    useful += b.usefulTokens;
  }
  for (let s = 0; s < opts.leakSteps; s++) trainer.trainStep(batches[s % batches.length], lr, s);
  const tensorsAfter = tf.memory().numTensors;
  const msPerStep = median(ms);
  const perStep = (x: number) => x / opts.steps;
  const result: Record<string, number | string | boolean | null> = {
    backend: info.name,
    backend_detail: describeBackend(info),
    batch_size: opts.batch,
    micro_batch: opts.micro,
    threads: opts.threads,
    variant: opts.variant,
    trim_pad: opts.trim,
    steps_measured: opts.steps,
    ms_per_step: round(msPerStep, 1),
    // CPU time of this process: on a machine shared with other jobs, wall time is inflated and this is not.
    cpu_ms_per_step: round(median(cpuMs), 1),
    tokens_per_s: round(perStep(positions) / msPerStep * 1000, 1),
    computed_tokens_per_s: round(perStep(computed) / msPerStep * 1000, 1),
    useful_tokens_per_s: round(perStep(useful) / msPerStep * 1000, 1),
    useful_fraction: round(useful / positions, 3),
    tensors_before: tensorsBefore,
    tensors_after_1_step: tensorsAfter1,
    tensors_after: tensorsAfter,
    steps_for_tensors_after: opts.steps + opts.leakSteps,
  };
  const positionsFull = fullPretrainPositions(dataset.length);
  result.full_pretrain_positions = positionsFull;
  result.projected_full_pretrain_hours = round(positionsFull / (result.tokens_per_s as number) / 3600, 1);
  if (opts.evaluate) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    predictBirthplaces(model, vocab, corpus.dev.map((p) => p.question));
    result.eval_s = round((performance.now() - t0) / 1000, 2);
    result.eval_cpu_s = round(cpuMsSince(c0) / 1000, 2);
    result.eval_questions = corpus.dev.length;
  } else result.eval_s = null;
  await helper?.dispose();
  result.peak_rss_mb = round(process.resourceUsage().maxRSS / 1024, 0);
  result.cpus = os.cpus().length;
  result.load_average_1m = round(os.loadavg()[0], 2);

  let torch: Record<string, unknown> | undefined;
  if (opts.vsPytorch) torch = runPytorch(batches.slice(0, nSteps), opts, vocab.size);
  if (opts.json) {
    console.log(JSON.stringify(torch ? { tfjs: result, pytorch: torch, ratios: ratios(result, torch) } : result));
  } else {
    print('tfjs', result);
    if (torch) {
      print('pytorch', torch);
      print('ratios (tfjs / pytorch)', ratios(result, torch));
    }
  }
}

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(start);
  return (c.user + c.system) / 1000;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function print(title: string, r: Record<string, unknown>): void {
  console.log(`${title}:`);
  for (const [k, v] of Object.entries(r)) console.log(`  ${k.padEnd(30)} ${v}`);
}

function ratios(t: Record<string, unknown>, p: Record<string, unknown>): Record<string, number | string> {
  if (p.skipped) return { note: `pytorch skipped: ${p.reason}` };
  const pt = p.tokens_per_s as number;
  return {
    tokens_per_s: round((t.tokens_per_s as number) / pt, 3),
    useful_tokens_per_s_vs_pytorch_positions: round((t.useful_tokens_per_s as number) / pt, 3),
    ms_per_step_pytorch_over_tfjs: round((p.ms_per_step as number) / (t.ms_per_step as number), 3),
  };
}

/** Writes the batches to a file, runs the PyTorch reference on them, returns its JSON (or why it skipped). */
function runPytorch(batches: Batch[], opts: BenchOptions, vocabSize: number): Record<string, unknown> {
  const file = path.join(os.tmpdir(), `bench-batches-${process.pid}.json`);
  fs.writeFileSync(file, JSON.stringify({
    vocab_size: vocabSize, warmup: opts.warmup, variant: opts.variant,
    batches: batches.map((b) => ({ batch_size: b.batchSize, time: b.time, x: Array.from(b.x), y: Array.from(b.y) })),
  }));
  try {
    const script = path.join(__dirname, 'reference_pytorch.py');
    const r = spawnSync(process.env.PYTHON ?? 'python3', [script, '--batches', file, '--json'], { encoding: 'utf8', maxBuffer: 1 << 24 });
    const last = (r.stdout ?? '').trim().split('\n').pop() ?? '';
    try {
      return JSON.parse(last) as Record<string, unknown>;
    } catch {
      return { skipped: true, reason: `reference_pytorch.py gave no JSON (exit ${r.status}): ${(r.stderr ?? '').trim().split('\n').pop()}` };
    }
  } finally {
    fs.rmSync(file, { force: true });
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e instanceof Error ? (process.env.BENCH_DEBUG ? e.stack : e.message) : e);
    process.exit(1);
  });
}
