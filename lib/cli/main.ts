/**
 * `mingpt`: the course's run.py as a command-line tool (pretrain, finetune, evaluate), plus the London
 * baseline. Progress goes to stderr, results to stdout (`--json`: exactly one JSON line). Training saves a
 * resumable state regularly and on Ctrl-C; running the same command again continues where it stopped.
 * Every run writes a record under --results-dir (lib/results/record.ts; default runs/, git-ignored).
 */
import * as fs from 'fs';
import * as path from 'path';
import { CliArgs, UsageError, USAGE, parseCli } from './args';
import { ProgressBar } from './progress';
import { formatDuration } from '../util/format';
import { finetuningSetup, pretrainingSetup } from '../mingpt/setups';
import { BackendInfo, describeBackend, initBackend } from '../backend';
import { GPT } from '../mingpt/model';
import { loadCheckpoint } from '../mingpt/checkpoint';
import { ScalePreset, presetModelConfig, scalePreset, withOverrides } from '../mingpt/presets';
import { TrainerConfig, TrainingDivergedError } from '../mingpt/trainer';
import { defaultTrainingThreads } from '../mingpt/parallel';
import type { ExampleDataset } from '../mingpt/batches';
import type { RunFingerprint } from '../mingpt/run_state';
import { RunSettingsError, Snapshot, TrainingRun, TrainingRunOptions } from '../mingpt/training_run';
import { PresetChoice, RECORD_FORMAT, RunRecord, TableRow, currentCommit, perEpoch, predictionsFile, runId, writeNewRunRecord, writeRunRecord } from '../results/record';
import { Corpus, loadCorpus } from '../data/corpus';
import { DataError } from '../data/errors';
import { readTextFile } from '../data/text';
import { QA, readEvalTsv, readQaTsv } from '../data/tsv';
import { Vocab } from '../data/vocab';
import { AnswerProfile, answerProfile, londonBaseline, predictBirthplaces, scorePredictions, writePredictions } from '../eval';

/** Exit codes: 0 done, 1 error, 2 usage, 3 training diverged, 130 interrupted (resumable). */
export const EXIT = { ok: 0, error: 1, usage: 2, diverged: 3, interrupted: 130 } as const;

interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** Where the data of this run comes from: explicit files, else the corpus loadCorpus picks (lazily). */
class DataSources {
  private corpus: Corpus | undefined;
  constructor(private readonly args: CliArgs) {}

  private auto(): Corpus {
    this.corpus ??= loadCorpus({ corpus: this.args.corpus, world: { seed: this.args.worldSeed } });
    return this.corpus;
  }
  /** 'synthetic' for a synthetic world (generated, or written by writeWorld next to its world.json). */
  label(file: string | undefined): 'real' | 'synthetic' {
    if (file === undefined) return this.auto().source;
    return fs.existsSync(path.join(path.dirname(file), 'world.json')) ? 'synthetic' : 'real';
  }
  /** Facts a run record keeps about generated data (the world's options), empty when `file` was given. */
  notes(file: string | undefined): Record<string, string> {
    if (file !== undefined) return {};
    const c = this.auto();
    return { data: c.description, ...(c.world ? { world: JSON.stringify(c.world) } : {}) };
  }
  describe(): string {
    const a = this.args;
    return a.pretrainCorpus ? `pretraining text ${a.pretrainCorpus}` : this.auto().description;
  }
  pretrainText(): string {
    return this.args.pretrainCorpus ? readTextFile(this.args.pretrainCorpus) : this.auto().pretrainText;
  }
  finetunePairs(): QA[] {
    return this.args.finetuneCorpus ? readQaTsv(this.args.finetuneCorpus) : this.auto().train;
  }
  /** Evaluation questions, with answers when the file has them. */
  evalSet(): { questions: string[]; pairs?: QA[] } {
    const file = this.args.evalCorpus;
    if (file === undefined) {
      const dev = this.auto().dev;
      return { questions: dev.map((p) => p.question), pairs: dev };
    }
    const { questions, pairs } = readEvalTsv(file);
    return { questions: questions.map((q) => q.question), pairs };
  }
}

interface TrainingJob {
  label: string;
  args: CliArgs;
  preset: ScalePreset;
  backend: BackendInfo;
  model: GPT;
  vocab: Vocab;
  dataset: ExampleDataset;
  trainer: TrainerConfig;
  corpus: 'real' | 'synthetic';
  /** What identifies the run beside its model, trainer settings and dataset (a saved state must match it). */
  identity: RunFingerprint;
  /** Metadata stored in the checkpoints it writes (read back by evaluate to name the table row), besides their run ids. */
  checkpointMeta: Record<string, string>;
  row?: TableRow;
  /** The id of the run that wrote the checkpoint this one starts from (finetuning from pretrained weights). */
  parent?: string;
  files: Record<string, string>;
  /** What the record keeps about generated data (DataSources.notes). */
  dataNotes: Record<string, string>;
}

let stopRequests = 0;

function onSigint(io: Io): () => void {
  const handler = (): void => {
    stopRequests++;
    if (stopRequests === 1) io.err('\nCtrl-C: saving the training state after this step (press again to quit at once)...');
    else process.exit(EXIT.interrupted);
  };
  process.on('SIGINT', handler);
  return () => process.off('SIGINT', handler);
}

function quote(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w./=:+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** The flags of a training run as TrainingRun's options. */
function runOptions(job: TrainingJob, log: (m: string) => void): TrainingRunOptions {
  const { args } = job;
  return {
    writingParams: args.writingParams!, stateFile: args.stateFile, fresh: args.fresh, identity: job.identity,
    checkpointMeta: job.checkpointMeta, vocab: job.vocab,
    runId: (startedAt) => runId({ startedAt, verb: args.verb, variant: job.model.config.variant, preset: args.scale, seed: args.seed }), snapshotEpochs: args.snapshotEpochs, microBatchSize: args.microBatch,
    // Two threads on two cores: a helper thread computes half of the micro-batches (lib/mingpt/parallel.ts).
    threads: args.threads ?? defaultTrainingThreads(job.backend.name),
    checkpointEverySteps: args.checkpointEvery,
    checkpointEverySeconds: args.checkpointEvery === undefined ? args.checkpointSeconds : undefined,
    stopAfterStep: args.stopAfter, log,
  };
}

/** The first line a training run prints: its size, model, backend, threads and seed. */
function describeRun(job: TrainingJob, run: TrainingRun): string {
  const { trainer, config, threads } = run;
  return `${job.label}: ${trainer.totalSteps} steps (${config.maxEpochs} epochs of ${job.dataset.length} examples, batch ${config.batchSize}), ` +
    `model ${JSON.stringify(job.model.config)} (${job.model.numParams()} parameters), backend ${job.backend.name}, ` +
    `${threads} thread${threads > 1 ? 's' : ''}, micro-batches of ${config.microBatchSize}, seed ${job.args.seed}`;
}

/** Writes the record of each snapshot, once: a replayed snapshot keeps the record of the session that wrote it. */
function snapshotRecorder(job: TrainingJob, session: (id: string) => TrainingSession, log: (m: string) => void): (s: Snapshot) => void {
  return ({ epoch, ofEpochs, file, id, trainer: t, replayed }) => {
    if (replayed) {
      // Resumed from a state saved before this snapshot: the replayed steps give the same model (see trainer.ts).
      log(`snapshot after epoch ${epoch}/${ofEpochs}: model written again to ${file} (the state this session resumed from ` +
        `was saved before it); its record from the earlier session stands (${id})`);
      return;
    }
    const curve = t.lossCurve();
    const recordFile = writeRunRecord(job.args.resultsDir, trainingRecord(job, session(id), {
      completed: false, snapshot: { epoch, ofEpochs }, steps: t.stepsDone, tokens: t.tokensSeen,
      finalLoss: curve[curve.length - 1]?.loss ?? NaN, curve: perEpoch(curve), wallSeconds: t.trainingSeconds,
    }, { writingParams: file, runWritingParams: job.args.writingParams! }));
    log(`snapshot after epoch ${epoch}/${ofEpochs}: model written to ${file}, record ${recordFile}`);
  };
}

async function train(job: TrainingJob, io: Io, argv: readonly string[]): Promise<number> {
  const { args } = job;
  const late = args.snapshotEpochs.filter((e) => e >= job.trainer.maxEpochs);
  if (late.length > 0) {
    throw new UsageError(`--snapshot-epochs ${late.join(',')}: snapshots must come before the run's last epoch (${job.trainer.maxEpochs}); ` +
      'the final model is written to --writing-params anyway');
  }
  const bar = new ProgressBar(job.label, process.stderr);
  const log = (m: string): void => (args.quiet ? io.err(m) : bar.log(m));
  const run = await TrainingRun.create(job.model, job.dataset, job.trainer, runOptions(job, log));
  log(describeRun(job, run));
  // Records carry the trainer's settings as run (micro-batch size included).
  const ran: TrainingJob = { ...job, trainer: run.config };
  // The code this session runs (read now: commits made while a long run goes on are not its code).
  const commit = currentCommit();
  const session = (id: string): TrainingSession => ({ id, run: run.id, started: run.sessionStarted, commit, threads: run.threads });
  const stopListening = onSigint(io);
  let result;
  try {
    result = await run.train({
      onStep: args.quiet ? undefined : (i) => bar.update(i),
      shouldStop: () => stopRequests > 0,
      onSnapshot: snapshotRecorder(ran, session, log),
    });
  } catch (e) {
    if (e instanceof TrainingDivergedError) {
      log(`${e.message}. ${run.hasSavedState() ? `Last good state: ${run.stateFile}.` : 'No state was saved yet.'}`);
      return EXIT.diverged;
    }
    if (e instanceof RunSettingsError) throw new UsageError(`${e.message}; use the original settings to resume it, or --fresh to start over`);
    throw e;
  } finally {
    stopListening();
    await run.dispose();
  }
  if (!result.completed) {
    log(`stopped at step ${result.steps}/${run.trainer.totalSteps}; the training state is in ${run.stateFile}.\n` +
      `Resume with the same command: mingpt ${quote(argv)}`);
    return EXIT.interrupted;
  }
  const written = writeRunRecord(args.resultsDir, trainingRecord(ran, session(run.id), {
    completed: true, steps: result.steps, tokens: result.tokens, finalLoss: result.finalLoss, curve: perEpoch(result.curve),
    wallSeconds: result.totalSeconds,
  }, { writingParams: args.writingParams! }, result.sessions));
  const sessions = result.sessions > 1 ? ` over ${result.sessions} sessions (${formatDuration(result.seconds)} in this one)` : '';
  log(`${job.label} done in ${formatDuration(result.totalSeconds)}${sessions}: final loss ${result.finalLoss.toFixed(4)}, ` +
    `model written to ${args.writingParams}, record ${written}`);
  if (args.json) {
    io.out(JSON.stringify({
      verb: args.verb, final_loss: result.finalLoss, first_loss: result.curve[0]?.loss, tokens: result.tokens,
      steps: result.steps, seconds: result.seconds, writing_params: args.writingParams, record: written, id: run.id,
    }));
  }
  return EXIT.ok;
}

/** The session a training record comes from: its id and its run's, when it started, its code, its threads. */
interface TrainingSession { id: string; run: string; started: Date; commit: string | null; threads: number }

/** The preset of a run as data: its name and the flags that changed it. */
function presetChoice(args: CliArgs): PresetChoice {
  return { base: args.scale, overrides: Object.fromEntries(Object.entries(args.overrides).filter(([, v]) => v !== undefined)) as Record<string, number> };
}

/** The record of a training run (or of one of its snapshots); `sessions` goes to the notes when there were several. */
function trainingRecord(job: TrainingJob, { id, run, started, commit, threads }: TrainingSession,
  outcome: Pick<RunRecord, 'completed' | 'snapshot' | 'steps' | 'tokens' | 'finalLoss' | 'curve' | 'wallSeconds'>,
  written: Record<string, string>, sessions = 1): RunRecord {
  const { args } = job;
  return {
    format: RECORD_FORMAT, id, verb: args.verb, ...(job.parent ? { parent: job.parent } : {}), run, row: job.row,
    variant: job.model.config.variant, corpus: job.corpus, preset: presetChoice(args),
    seed: args.seed, backend: job.backend.name, commit, startedAt: started.toISOString(),
    model: job.model.config, trainer: job.trainer, ...outcome,
    files: { ...job.files, ...written },
    notes: withNotes({
      ...job.dataNotes,
      threads: String(threads), microBatch: String(job.trainer.microBatchSize),
      // Which kernels ran the products (OpenBLAS's family, or XNNPACK): the wall time depends on it.
      backendDetail: describeBackend(job.backend),
      ...(sessions > 1 ? { sessions: String(sessions) } : {}),
    }),
  };
}

function presetFor(args: CliArgs, stage: 'pretrain' | 'finetune'): ScalePreset {
  return withOverrides(scalePreset(args.scale), args.overrides, stage);
}

function identityOf(args: CliArgs, preset: ScalePreset): RunFingerprint {
  return { verb: args.verb, scale: preset.name, readingParams: args.readingParams ? path.resolve(args.readingParams) : null };
}

async function pretrain(args: CliArgs, data: DataSources, backend: BackendInfo, io: Io, argv: readonly string[]): Promise<number> {
  const preset = presetFor(args, 'pretrain');
  const text = data.pretrainText();
  const vocab = Vocab.fromCorpus(text);
  const { dataset, trainer } = pretrainingSetup(preset, vocab, text, args.seed);
  const config = presetModelConfig(preset, vocab.size, args.variant);
  const model = new GPT(config, args.seed);
  const corpus = data.label(args.pretrainCorpus);
  try {
    return await train({
      label: 'pretrain', args, preset, backend, model, vocab, dataset, trainer, corpus, dataNotes: data.notes(args.pretrainCorpus),
      identity: identityOf(args, preset),
      checkpointMeta: { stage: 'pretrain', pretrained: 'false', scale: preset.name, corpus, seed: String(args.seed) },
      files: args.pretrainCorpus ? { pretrainCorpus: args.pretrainCorpus } : {},
    }, io, argv);
  } finally {
    model.dispose();
  }
}

async function finetune(args: CliArgs, data: DataSources, backend: BackendInfo, io: Io, argv: readonly string[]): Promise<number> {
  const preset = presetFor(args, 'finetune');
  const text = data.pretrainText();
  const vocab = Vocab.fromCorpus(text);
  const fromPretrained = args.readingParams !== undefined;
  // final_tokens is sized by the pretraining dataset, as in the course: build it to know its length.
  const pretrainLength = pretrainingSetup(preset, vocab, text, args.seed).dataset.length;
  const { dataset, trainer } = finetuningSetup(preset, vocab, data.finetunePairs(), pretrainLength, fromPretrained, args.seed);
  let model: GPT;
  let parent: string | undefined;
  if (fromPretrained) {
    const { blockSize, nLayer, nHead, nEmbd } = preset.model;
    const variant = args.variantGiven ? { variant: args.variant } : {};
    const loaded = loadCheckpoint(args.readingParams!, { vocab, expect: { ...variant, blockSize, nLayer, nHead, nEmbd } });
    model = loaded.model;
    parent = parentOf(loaded.meta);
  } else {
    model = new GPT(presetModelConfig(preset, vocab.size, args.variant), args.seed);
  }
  const corpus = data.label(args.finetuneCorpus);
  const checkpointMeta = { stage: 'finetune', pretrained: String(fromPretrained), scale: preset.name, corpus, seed: String(args.seed) };
  try {
    return await train({
      label: 'finetune', args, preset, backend, model, vocab, dataset, trainer, corpus, dataNotes: data.notes(args.finetuneCorpus),
      identity: identityOf(args, preset),
      checkpointMeta, parent,
      row: tableRow(checkpointMeta, model.config.variant),
      files: {
        ...(args.finetuneCorpus ? { finetuneCorpus: args.finetuneCorpus } : {}),
        ...(args.readingParams ? { readingParams: args.readingParams } : {}),
      },
    }, io, argv);
  } finally {
    model.dispose();
  }
}

/** The id of the run that wrote a checkpoint (its metadata's runId; checkpoints written before runs had ids have none). */
function parentOf(meta: Record<string, unknown>): string | undefined {
  return typeof meta.runId === 'string' ? meta.runId : undefined;
}

/** A record's notes, or undefined when there is nothing to note. */
function withNotes(notes: Record<string, string>): Record<string, string> | undefined {
  return Object.keys(notes).length > 0 ? notes : undefined;
}

/** The results-table row of a finetuned model, from its checkpoint's metadata. */
function tableRow(meta: Record<string, unknown>, variant: string): TableRow | undefined {
  if (meta.stage !== 'finetune') return undefined;
  if (meta.pretrained === 'true') return variant === 'rope' ? 'rope-pretrain' : 'vanilla-pretrain';
  return variant === 'vanilla' ? 'vanilla-nopretrain' : undefined;
}

function reportAccuracy(io: Io, args: CliArgs, r: { correct: number; total: number; accuracy: number }, extra: Record<string, unknown>): void {
  const line = `Correct: ${r.correct} out of ${r.total}: ${(100 * r.accuracy).toFixed(2)}%`;
  if (args.json) {
    io.err(line);
    io.out(JSON.stringify({ verb: args.verb, accuracy: r.accuracy, correct: r.correct, total: r.total, ...extra }));
  } else {
    io.out(line);
  }
}

/** One line on how much of the accuracy the model's favourite answers explain (lib/eval/answers.ts). */
function describeProfile(p: AnswerProfile): string {
  const top = p.top.map((t) => `${JSON.stringify(t.answer)} ${t.count}x`).join(', ');
  return `${p.distinct} different answer${p.distinct === 1 ? '' : 's'} (most given: ${top}); the same answers dealt to the questions at random ` +
    `would get ${p.byChance.toFixed(1)} right, against ${p.correct} here`;
}

async function evaluate(args: CliArgs, data: DataSources, backend: BackendInfo, io: Io): Promise<number> {
  const started = Date.now();
  // The questions first: a bad file is reported before the model is loaded.
  const { questions, pairs } = data.evalSet();
  // Without answers nothing is scored or recorded: the predictions must go to --outputs.
  if (!pairs && !args.outputs) throw new UsageError(`${args.evalCorpus}: questions without answers, nothing to score; give --outputs FILE for the predictions`);
  const vocab = Vocab.fromCorpus(data.pretrainText());
  const { model, meta } = loadCheckpoint(args.readingParams!, { vocab, expect: args.variantGiven ? { variant: args.variant } : {} });
  try {
    const bar = new ProgressBar('evaluate', process.stderr);
    let lastShown = 0;
    const predictions = predictBirthplaces(model, vocab, questions, {
      onProgress: (done, total) => {
        if (args.quiet || (Date.now() - lastShown < 1000 && done < total)) return;
        lastShown = Date.now();
        process.stderr.write(`${process.stderr.isTTY ? '\r' : ''}evaluate: ${done}/${total} questions${process.stderr.isTTY ? '' : '\n'}`);
      },
    });
    if (process.stderr.isTTY && !args.quiet) bar.log('');
    if (args.outputs) writePredictions(args.outputs, predictions);
    const files = { readingParams: args.readingParams!, ...(args.outputs ? { outputs: args.outputs } : {}), ...(args.evalCorpus ? { evalCorpus: args.evalCorpus } : {}) };
    if (!pairs) {
      io.err(`No gold birth places provided; ${predictions.length} predictions written to ${args.outputs}`);
      if (args.json) io.out(JSON.stringify({ verb: 'evaluate', accuracy: null, correct: null, total: predictions.length, outputs: args.outputs }));
      return EXIT.ok;
    }
    const r = scorePredictions(predictions, pairs);
    const seed = Number(meta.seed ?? args.seed);
    const startedAt = new Date(started).toISOString();
    const parent = parentOf(meta);
    const record: RunRecord = {
      format: RECORD_FORMAT, id: runId({ startedAt, verb: 'evaluate', variant: model.config.variant, seed }), verb: 'evaluate',
      ...(parent ? { parent } : {}), row: tableRow(meta, model.config.variant), variant: model.config.variant,
      corpus: data.label(args.evalCorpus), seed, backend: backend.name, commit: currentCommit(), startedAt,
      wallSeconds: (Date.now() - started) / 1000, model: model.config, accuracy: r.accuracy, correct: r.correct, total: r.total, files,
      notes: withNotes(data.notes(args.evalCorpus)),
    };
    const kept = keepWithPredictions(args.resultsDir, record, predictions);
    io.err(`${args.outputs ? `predictions written to ${args.outputs}; ` : ''}record ${kept.file}`);
    const profile = answerProfile(predictions, pairs);
    reportAccuracy(io, args, r, { row: record.row ?? null, outputs: args.outputs ?? null, record: kept.file, id: kept.id, by_chance: profile.byChance });
    io.err(describeProfile(profile));
    return EXIT.ok;
  } finally {
    model.dispose();
  }
}

async function london(args: CliArgs, data: DataSources, backend: BackendInfo, io: Io): Promise<number> {
  const started = Date.now();
  const { pairs } = data.evalSet();
  if (!pairs) throw new UsageError(`london needs answers to score against: ${args.evalCorpus} holds questions alone (no line has a tab: a test-inputs file, or tabs replaced by spaces?)`);
  const r = londonBaseline(pairs);
  if (args.outputs) writePredictions(args.outputs, r.predictions);
  const startedAt = new Date(started).toISOString();
  const record: RunRecord = {
    format: RECORD_FORMAT, id: runId({ startedAt, verb: 'london', seed: args.seed }), verb: 'london', row: 'london',
    corpus: data.label(args.evalCorpus), seed: args.seed, backend: backend.name, commit: currentCommit(), startedAt,
    wallSeconds: (Date.now() - started) / 1000, accuracy: r.accuracy, correct: r.correct, total: r.total,
    files: { ...(args.evalCorpus ? { evalCorpus: args.evalCorpus } : {}), ...(args.outputs ? { outputs: args.outputs } : {}) },
    notes: withNotes(data.notes(args.evalCorpus)),
  };
  const kept = keepWithPredictions(args.resultsDir, record, r.predictions);
  reportAccuracy(io, args, r, { row: 'london', record: kept.file, id: kept.id });
  return EXIT.ok;
}

/**
 * Writes a scored run's record under a free id (writeNewRunRecord: another run may have started in the same
 * millisecond) and then, beside it, its predictions (`predictions/<id>.txt`); returns the record's file and id.
 */
function keepWithPredictions(dir: string, record: RunRecord, predictions: string[]): { file: string; id: string } {
  const { file, record: kept } = writeNewRunRecord(dir, record);
  writePredictions(predictionsFile(dir, kept.id), predictions);
  return { file, id: kept.id };
}

/** Runs the CLI on argv (without node and script); returns the exit code. */
export async function main(argv: readonly string[], io: Io = {
  out: (l) => process.stdout.write(l + '\n'),
  err: (l) => process.stderr.write(l + '\n'),
}): Promise<number> {
  let args: CliArgs | 'help';
  try {
    args = parseCli(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`mingpt: ${e.message}\n${USAGE.split('\n')[0]}\n(mingpt --help lists every flag)`);
      return EXIT.usage;
    }
    throw e;
  }
  if (args === 'help') {
    io.out(USAGE);
    return EXIT.ok;
  }
  stopRequests = 0;
  try {
    const backend = await initBackend();
    const data = new DataSources(args);
    if (!args.quiet && args.verb !== 'london') io.err(`data: ${data.describe()}`);
    switch (args.verb) {
      case 'pretrain': return await pretrain(args, data, backend, io, argv);
      case 'finetune': return await finetune(args, data, backend, io, argv);
      case 'evaluate': return await evaluate(args, data, backend, io);
      case 'london': return await london(args, data, backend, io);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`mingpt: ${e.message}`);
      return EXIT.usage;
    }
    if (e instanceof DataError || (e instanceof Error && !process.env.MINGPT_DEBUG)) {
      // User mistakes (bad data, a checkpoint that does not fit) read best without a stack trace.
      io.err(`mingpt: ${e.message}${e instanceof DataError ? '' : '\n(set MINGPT_DEBUG=1 to see where it happened)'}`);
      return EXIT.error;
    }
    throw e;
  }
}
