/**
 * How long would the course's own schedule (the `full` preset) take on this machine? Times a few optimizer steps
 * of full-size pretraining and finetuning on the corpus, multiplies by the steps the full schedule has, prints the
 * projection and writes it to `<results-dir>/projection-<preset>-<corpus>.json` (format mingpt-projection/1). Nothing
 * is trained to the end: the weights are thrown away.
 *
 *   npx tsx scripts/project_full.ts [--corpus real|synthetic|auto] [--scale full] [--steps 3] [--results-dir results/real]
 */
import * as path from 'path';
import { parseArgs } from 'util';
import { initBackend, describeBackend } from '../lib/backend';
import { loadCorpus, CorpusChoice } from '../lib/data/corpus';
import { Vocab } from '../lib/data/vocab';
import { GPT } from '../lib/mingpt/model';
import { Trainer, TrainerConfig } from '../lib/mingpt/trainer';
import { datasetBatches, ExampleDataset } from '../lib/mingpt/batches';
import { presetModelConfig, scalePreset } from '../lib/mingpt/presets';
import type { GPTConfig } from '../lib/mingpt/config';
import { finetuningSetup, pretrainingSetup } from '../lib/mingpt/setups';
import { DEFAULT_MICRO_BATCH } from '../lib/mingpt/training_run';
import { GradientHelper, defaultTrainingThreads } from '../lib/mingpt/parallel';
import { currentCommit } from '../lib/results/record';
import { writeFileAtomic } from '../lib/util/atomic';
import { formatDuration } from '../lib/util/format';

/** One training stage of a projected run: its size, and the step time measured on a few steps. */
export interface StageProjection {
  epochs: number;
  steps: number;
  measuredSteps: number;
  secondsPerStep: number;
  tokensPerSecond: number;
  projectedSeconds: number;
}

/** What scripts/project_full.ts measured: the time a preset's schedule would take on this machine. */
export interface Projection {
  format: 'mingpt-projection/1';
  scale: string;
  corpus: 'real' | 'synthetic';
  backend: string;
  commit: string | null;
  measuredAt: string;
  model: GPTConfig;
  parameters: number;
  pretrainDocuments: number;
  finetunePairs: number;
  /** Vanilla and RoPE (the variants differ in speed: RoPE rotates queries and keys in every layer). */
  pretrain: StageProjection;
  pretrainRope: StageProjection;
  finetune: StageProjection;
  finetuneRope: StageProjection;
  finetuneFromScratch: StageProjection;
  /** Two pretrainings, their two finetunings and one finetuning from scratch: the table's trained rows. */
  tableSeconds: number;
}

/** Seconds per step of `config` on `dataset`, from `steps` timed steps after one untimed warm-up step. */
async function timeSteps(model: GPT, dataset: ExampleDataset, config: TrainerConfig, steps: number, helper?: GradientHelper): Promise<{ secondsPerStep: number; tokensPerStep: number; totalSteps: number }> {
  const trainer = new Trainer(model, datasetBatches(dataset), config, { helper });
  try {
    await trainer.train({ stopAfterStep: 1 }); // compiles kernels, allocates: not representative
    const start = Date.now();
    const r = await trainer.train({ stopAfterStep: 1 + steps });
    const seconds = (Date.now() - start) / 1000;
    const tokensPerStep = (r.tokens - r.curve[0].tokens) / steps;
    return { secondsPerStep: seconds / steps, tokensPerStep, totalSteps: trainer.totalSteps };
  } finally {
    trainer.dispose();
  }
}

function stage(m: { secondsPerStep: number; tokensPerStep: number; totalSteps: number }, measuredSteps: number, epochs: number): StageProjection {
  return {
    epochs, steps: m.totalSteps, measuredSteps, secondsPerStep: m.secondsPerStep,
    tokensPerSecond: m.tokensPerStep / m.secondsPerStep, projectedSeconds: m.secondsPerStep * m.totalSteps,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { corpus: { type: 'string' }, scale: { type: 'string' }, steps: { type: 'string' }, 'results-dir': { type: 'string' }, seed: { type: 'string' } },
  });
  const corpusChoice = (values.corpus ?? 'real') as CorpusChoice;
  const preset = scalePreset(values.scale ?? 'full');
  const steps = Number(values.steps ?? 3);
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`--steps must be a positive integer, got "${values.steps}"`);
  const seed = Number(values.seed ?? 0);
  const backend = await initBackend();
  const threads = defaultTrainingThreads(backend.name);
  console.log(`${describeBackend(backend)}, ${threads} training thread(s)`);
  const corpus = loadCorpus({ corpus: corpusChoice });
  console.log(corpus.description);
  const vocab = Vocab.fromCorpus(corpus.pretrainText);
  const config = presetModelConfig(preset, vocab.size, 'vanilla');
  const ropeConfig = presetModelConfig(preset, vocab.size, 'rope');
  const pre = pretrainingSetup(preset, vocab, corpus.pretrainText, seed);
  const ft = finetuningSetup(preset, vocab, corpus.train, pre.dataset.length, true, seed);
  /** Times `steps` steps of a fresh model of `c` on a stage's data. */
  const measure = async (c: GPTConfig, dataset: ExampleDataset, trainer: TrainerConfig): Promise<{ secondsPerStep: number; tokensPerStep: number; totalSteps: number }> => {
    const model = new GPT(c, seed);
    // As the CLI trains: each batch in slices of DEFAULT_MICRO_BATCH rows (the whole batch at once runs out of
    // memory), and on 2+ cores with the helper thread computing half of them.
    const helper = threads > 1 ? await GradientHelper.start(c) : undefined;
    try {
      return await timeSteps(model, dataset, { ...trainer, microBatchSize: DEFAULT_MICRO_BATCH }, steps, helper);
    } finally {
      model.dispose();
      await helper?.dispose();
    }
  };
  const probe = new GPT(config, seed);
  const parameters = probe.numParams();
  probe.dispose();
  console.log(`${preset.name}: model ${JSON.stringify(config)}, ${parameters} parameters; timing ${steps} steps of each stage and variant...`);
  const pretrain = stage(await measure(config, pre.dataset, pre.trainer), steps, preset.pretrain.epochs);
  const pretrainRope = stage(await measure(ropeConfig, pre.dataset, pre.trainer), steps, preset.pretrain.epochs);
  const fromPretrained = await measure(config, ft.dataset, ft.trainer);
  const finetune = stage(fromPretrained, steps, preset.finetune.epochsFromPretrained);
  const finetuneRope = stage(await measure(ropeConfig, ft.dataset, ft.trainer), steps, preset.finetune.epochsFromPretrained);
  // From scratch differs only in its number of epochs: same batches, same step time.
  const scratchSteps = Math.ceil(ft.dataset.length / ft.trainer.batchSize) * preset.finetune.epochsFromScratch;
  const finetuneFromScratch = stage({ ...fromPretrained, totalSteps: scratchSteps }, steps, preset.finetune.epochsFromScratch);

  const projection: Projection = {
    format: 'mingpt-projection/1', scale: preset.name, corpus: corpus.source, backend: backend.name, commit: currentCommit(),
    measuredAt: new Date().toISOString(), model: config, parameters,
    pretrainDocuments: pre.dataset.length, finetunePairs: ft.dataset.length,
    pretrain, pretrainRope, finetune, finetuneRope, finetuneFromScratch,
    // The table's three trained rows: both pretrainings, their finetunings, and the finetuning from scratch.
    tableSeconds: pretrain.projectedSeconds + pretrainRope.projectedSeconds + finetune.projectedSeconds +
      finetuneRope.projectedSeconds + finetuneFromScratch.projectedSeconds,
  };
  const stages = [
    ['pretraining, vanilla', pretrain], ['pretraining, rope', pretrainRope], ['finetuning (pretrained), vanilla', finetune],
    ['finetuning (pretrained), rope', finetuneRope], ['finetuning (from scratch), vanilla', finetuneFromScratch],
  ] as const;
  for (const [name, s] of stages) {
    console.log(`${name}: ${s.epochs} epochs = ${s.steps} steps x ${s.secondsPerStep.toFixed(2)} s/step ` +
      `(${Math.round(s.tokensPerSecond)} tokens/s) = ${formatDuration(s.projectedSeconds)}`);
  }
  console.log(`the table's three trained rows at ${preset.name} scale (2 pretrainings, 3 finetunings): ${formatDuration(projection.tableSeconds)}`);
  const dir = values['results-dir'] ?? path.join('results', corpus.source);
  const file = path.join(dir, `projection-${preset.name}-${corpus.source}.json`);
  writeFileAtomic(file, JSON.stringify(projection, null, 1) + '\n');
  console.log(`written to ${file}`);
}

main().catch((e: unknown) => {
  console.error(`project_full: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
