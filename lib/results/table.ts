/**
 * The unit's results table, built from run records (record.ts) and nothing else: for each row (London,
 * vanilla without pretraining, vanilla with pretraining, RoPE with pretraining) the latest evaluation on a
 * corpus, joined to the training runs that made its model, so that each accuracy comes with its scale, the
 * tokens its training saw and the wall time it took. The course's reported numbers are the one thing typed in.
 *
 * Runs are joined by file: an evaluation read the model a finetuning run wrote (`readingParams` =
 * `writingParams`), and that finetuning read the model a pretraining run wrote. When several runs wrote the
 * same file, the latest one that started before the reader is the one it read.
 */
import * as fs from 'fs';
import * as path from 'path';
import { RunRecord, TableRow, readRunRecords } from './record';
import type { GPTConfig } from '../mingpt/config';
import { COURSE_TRAINER, MINGPT_TRAINER, SCALES, type ScalePreset } from '../mingpt/presets';
import type { RecallRecord } from '../eval/recall';
import { escapeHtml, formatDuration } from '../util/format';

export { formatDuration };

export const TABLE_ROWS: readonly TableRow[] = ['london', 'vanilla-nopretrain', 'vanilla-pretrain', 'rope-pretrain'];

export const ROW_LABELS: Readonly<Record<TableRow, string>> = {
  london: 'Baseline ("London")',
  'vanilla-nopretrain': 'Vanilla (no pretraining)',
  'vanilla-pretrain': 'Vanilla (pretraining)',
  'rope-pretrain': 'RoPE (pretraining)',
};

/** Dev accuracy the course reports for each row (its full schedule, on a GPU), as a fraction. */
export const COURSE_ACCURACY: Readonly<Record<TableRow, number>> = {
  london: 0.05,
  'vanilla-nopretrain': 0.014,
  'vanilla-pretrain': 0.232,
  'rope-pretrain': 0.386,
};

export type CorpusName = 'real' | 'synthetic';

/** One row of the table: the evaluation and the training behind it. */
export interface ResultRow {
  row: TableRow;
  label: string;
  corpus: CorpusName;
  accuracy: number;
  correct: number;
  total: number;
  courseAccuracy: number;
  /** The preset of the evaluated model ("custom" when flags changed it, see `settings`). */
  scale: string;
  /** The preset with the flags that changed it, per stage, e.g. "pretrain: smoke, epochs 4; finetune: smoke". */
  settings: string;
  variant?: string;
  seed: number;
  backend: string;
  commit: string | null;
  /** Tokens the schedule counted in pretraining and finetuning (0 when there was none). */
  pretrainTokens: number;
  finetuneTokens: number;
  pretrainEpochs?: number;
  pretrainFinalLoss?: number;
  finetuneFinalLoss?: number;
  /** Pretraining + finetuning + evaluation, in seconds (the sessions the records saw). */
  wallSeconds: number;
  evaluation: RunRecord;
  finetune?: RunRecord;
  pretrain?: RunRecord;
}

/** `dir` and its immediate subfolders (results/ holds real/ and synthetic/). */
function withSubfolders(dir: string): string[] {
  return [dir, ...fs.readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => path.join(dir, d.name))];
}

/** The recall probes (scripts/recall_probe.ts) in `dir` and its immediate subfolders, by pretraining tokens. */
export function loadRecalls(dir: string): RecallRecord[] {
  if (!fs.existsSync(dir)) return [];
  const dirs = withSubfolders(dir);
  const out: RecallRecord[] = [];
  for (const d of dirs) {
    for (const name of fs.readdirSync(d).filter((n) => /^recall-.*\.json$/.test(n))) {
      const file = path.join(d, name);
      let r: RecallRecord;
      try {
        r = JSON.parse(fs.readFileSync(file, 'utf8')) as RecallRecord;
      } catch (e) {
        throw new Error(`${file}: not JSON (${e instanceof Error ? e.message : e})`);
      }
      if (r.format !== 'mingpt-recall/1') throw new Error(`${file}: format "${r.format}", expected "mingpt-recall/1"`);
      out.push(r);
    }
  }
  return out.sort((a, b) => (a.pretrainTokens ?? 0) - (b.pretrainTokens ?? 0) || a.checkpoint.localeCompare(b.checkpoint));
}

/**
 * The pretraining record that wrote a recall probe's checkpoint: the one started at `pretrainStartedAt` that
 * wrote `pretrainParams` (the snapshots of one session share their start time); older probes name no file.
 */
export function pretrainOfRecall(records: readonly RunRecord[], recall: RecallRecord): RunRecord | undefined {
  return records.find((x) => x.verb === 'pretrain' && x.startedAt === recall.pretrainStartedAt &&
    (recall.pretrainParams === undefined || samePath(x.files.writingParams, recall.pretrainParams)));
}

/** Records of `dir` and of its immediate subfolders (e.g. results/real, results/synthetic), oldest first. */
export function loadRecords(dir: string): RunRecord[] {
  if (!fs.existsSync(dir)) return [];
  const dirs = withSubfolders(dir);
  return dirs.flatMap((d) => readRunRecords(d)).sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}

/**
 * Where a file that a record names is on this machine. Records keep the absolute paths of the checkout that made
 * them; in another clone the same file sits under this results folder, so the longest tail of the recorded path
 * that exists under `resultsDir` is it (`/work/main/results/real/predictions/x.txt` -> `results/real/predictions/x.txt`).
 * Otherwise the recorded path itself when it exists, else undefined.
 */
export function localResultFile(resultsDir: string, recorded: string): string | undefined {
  const parts = path.resolve(recorded).split(path.sep).filter((p) => p !== '');
  for (let k = 0; k < parts.length; k++) {
    const candidate = path.join(resultsDir, ...parts.slice(k));
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  return fs.existsSync(recorded) && fs.statSync(recorded).isFile() ? recorded : undefined;
}

/** Whether two recorded paths name the same file (both given; relative ones from the working directory). */
export function samePath(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && path.resolve(a) === path.resolve(b);
}

/**
 * Whether an evaluation is a dev score: of the corpus's dev set (no --eval-corpus, as the held-out pairs of
 * scripts/results.sh sweep) by a model finetuned on its training pairs (no --finetune-corpus), when the
 * finetuning record is given.
 */
export function isDevScore(evaluation: RunRecord, finetune?: RunRecord): boolean {
  return evaluation.files.evalCorpus === undefined && finetune?.files.finetuneCorpus === undefined;
}

/** The latest training run of `verb` that wrote `file` and started before `before`. */
export function writerOf(records: readonly RunRecord[], file: string | undefined, verb: 'pretrain' | 'finetune', before: string): RunRecord | undefined {
  let found: RunRecord | undefined;
  for (const r of records) {
    if (r.verb !== verb || r.startedAt > before || !samePath(r.files.writingParams, file)) continue;
    if (!found || found.startedAt <= r.startedAt) found = r;
  }
  return found;
}

/** The finetuning and pretraining runs that produced the model an evaluation read. */
export function trainingChain(records: readonly RunRecord[], evaluation: RunRecord): { finetune?: RunRecord; pretrain?: RunRecord } {
  const finetune = writerOf(records, evaluation.files.readingParams, 'finetune', evaluation.startedAt);
  const pretrain = finetune && writerOf(records, finetune.files.readingParams, 'pretrain', finetune.startedAt);
  return { finetune, pretrain };
}

/** Pretraining epochs a record ran (its curve's last epoch), when it has a curve. */
function epochsOf(r: RunRecord | undefined): number | undefined {
  const last = r?.curve?.[r.curve.length - 1];
  return last?.epoch;
}

/**
 * The trainer habits of a training record: 'course' for the course's trainer.py (examples in order, weight
 * decay on every name without "bias"), 'minGPT' for Karpathy's (shuffled, decay on Linear weights only; every
 * record made before the trainer could do otherwise), 'mixed' for anything else.
 */
export function trainerHabits(r: RunRecord): 'course' | 'minGPT' | 'mixed' | undefined {
  const t = r.trainer;
  if (!t) return undefined;
  const rule = t.weightDecayOn ?? MINGPT_TRAINER.weightDecayOn; // records from before the flag existed
  const same = (h: ScalePreset['trainer']) => Boolean(t.shuffle) === h.shuffle && rule === h.weightDecayOn;
  if (same(COURSE_TRAINER)) return 'course';
  if (same(MINGPT_TRAINER)) return 'minGPT';
  return 'mixed';
}

/**
 * A pretraining record's final_tokens in the course's unit, epochs of documents x block size (e.g. 650 for the
 * course, 200 for its earlier years), from the tokens the schedule counted in the first epoch; undefined when
 * the record cannot tell (no curve, no decay, another token counting).
 */
export function decayEpochsOf(r: RunRecord): number | undefined {
  const t = r.trainer;
  // The last point of the first epoch: the one whose successor (or the end of the curve) is another epoch.
  const first = r.curve?.find((p, i, c) => c[i + 1]?.epoch !== p.epoch);
  if (!t || !t.decay || t.tokenCounting !== 'block' || !r.model || !first || first.epoch !== 1) return undefined;
  const documents = first.tokens / (r.model.blockSize - 1);
  return Math.round(t.finalTokens / (documents * r.model.blockSize));
}

/**
 * For a record of the `full` preset (or of `full` with flags: "custom", notes.preset "full with {...}") whose
 * recipe is not the course's, made before the preset was corrected (final_tokens at 200 epochs, minGPT's
 * trainer), those differences in words, else ''. Pretraining records say their cosine when it is neither the
 * course's 650 epochs nor the one their flags asked for (--decay-epochs); finetuning records only the trainer
 * (their final_tokens did not change).
 */
export function earlierRecipeNote(r: RunRecord): string {
  if (!r.trainer) return '';
  const { base, changes } = presetPartsOf(r);
  if (base !== 'full') return '';
  const askedDecay = changes.decayEpochs;
  const parts: string[] = [];
  const decay = r.verb === 'pretrain' ? decayEpochsOf(r) : undefined;
  if (decay !== undefined && decay !== (askedDecay ?? SCALES.full.pretrain.decayEpochs)) parts.push(`cosine over ${decay} epochs`);
  const habits = trainerHabits(r);
  if (habits !== 'course') parts.push(habits === 'mixed' ? 'a mixed trainer' : `${habits}'s trainer`);
  return parts.length ? ` (earlier recipe: ${parts.join(', ')})` : '';
}

/**
 * Whether a training record ran the course's recipe: the `full` preset (or `full` with flags) as it is now, not
 * the earlier recipe it had before its correction, nor a smaller preset.
 */
export function isCourseRecipe(r: RunRecord): boolean {
  return presetPartsOf(r).base === 'full' && r.trainer !== undefined && earlierRecipeNote(r) === '';
}

/** "smoke with {\"epochs\":4}" (a custom preset's description in a record's notes) as "smoke, epochs 4". */
function presetOf(r: RunRecord): string {
  const described = r.notes?.preset;
  if (r.scale !== 'custom' || typeof described !== 'string') return r.scale + earlierRecipeNote(r);
  const custom = customPresetOf(r);
  if (!custom) return described;
  return [custom.base, ...changesOf(custom.changes)].join(', ') + earlierRecipeNote(r);
}

/** A custom preset's changes as words: {epochs: 4, learningRate: 0.001} -> ["epochs 4", "learningRate 0.001"]. */
function changesOf(changes: Readonly<Record<string, number>>): string[] {
  return Object.entries(changes).map(([k, v]) => `${k} ${v}`);
}

/**
 * " (finetuned with epochs 20, learningRate 0.0003)" for a finetuning that departs from the course's (the full
 * preset with flags), so that its evaluation is not mistaken for the course's finetuning; '' otherwise.
 */
export function finetuneNoteOf(finetune: RunRecord): string {
  if (finetune.scale !== 'custom') return '';
  const { base, changes } = presetPartsOf(finetune);
  return base === 'full' ? ` (finetuned with ${changesOf(changes).join(', ')})` : '';
}

/**
 * A training record's preset and the flags that changed it: {base: 'full', changes: {epochs: 20}}; a preset run
 * as it is has no changes, and a custom one whose description cannot be read keeps the base 'custom'.
 */
export function presetPartsOf(r: RunRecord): { base: string; changes: Record<string, number> } {
  const custom = r.scale === 'custom' ? customPresetOf(r) : undefined;
  return { base: custom?.base ?? r.scale, changes: custom?.changes ?? {} };
}

/** A custom preset's base preset and flags, read from its description in a record's notes ("full with {...}"). */
function customPresetOf(r: RunRecord): { base: string; changes: Record<string, number> } | undefined {
  const m = /^(\w+) with (\{.*\})$/.exec(String(r.notes?.preset ?? ''));
  return m ? { base: m[1], changes: JSON.parse(m[2]) as Record<string, number> } : undefined;
}

/** The preset of a pretraining record, and for a snapshot where in its run it was taken. */
function pretrainPresetOf(r: RunRecord): string {
  return r.snapshot ? `${presetOf(r)}, after epoch ${r.snapshot.epoch} of ${r.snapshot.ofEpochs}` : presetOf(r);
}

function settingsOf(evaluation: RunRecord, finetune?: RunRecord, pretrain?: RunRecord): string {
  if (!finetune) return evaluation.scale;
  const parts = [pretrain && `pretrain: ${pretrainPresetOf(pretrain)}`, `finetune: ${presetOf(finetune)}`].filter((p): p is string => p !== undefined);
  return parts.join('; ');
}

/** A table row from an evaluation (or london) record and the records it can be joined to. */
export function resultRow(records: readonly RunRecord[], evaluation: RunRecord): ResultRow {
  if (!evaluation.row) throw new Error(`resultRow: the ${evaluation.verb} record of ${evaluation.startedAt} has no table row`);
  if (evaluation.accuracy === undefined || evaluation.correct === undefined || evaluation.total === undefined) {
    throw new Error(`resultRow: the ${evaluation.verb} record of ${evaluation.startedAt} has no accuracy`);
  }
  if (evaluation.corpus === 'files') throw new Error(`resultRow: the record of ${evaluation.startedAt} is on corpus "files", not real or synthetic`);
  const { finetune, pretrain }: { finetune?: RunRecord; pretrain?: RunRecord } = evaluation.verb === 'evaluate' ? trainingChain(records, evaluation) : {};
  return {
    row: evaluation.row,
    label: ROW_LABELS[evaluation.row],
    corpus: evaluation.corpus,
    accuracy: evaluation.accuracy,
    correct: evaluation.correct,
    total: evaluation.total,
    courseAccuracy: COURSE_ACCURACY[evaluation.row],
    scale: evaluation.scale,
    settings: settingsOf(evaluation, finetune, pretrain),
    variant: evaluation.variant,
    seed: evaluation.seed,
    backend: evaluation.backend,
    commit: evaluation.commit,
    pretrainTokens: pretrain?.tokens ?? 0,
    finetuneTokens: finetune?.tokens ?? 0,
    pretrainEpochs: epochsOf(pretrain),
    pretrainFinalLoss: pretrain?.finalLoss,
    finetuneFinalLoss: finetune?.finalLoss,
    wallSeconds: evaluation.wallSeconds + (finetune?.wallSeconds ?? 0) + (pretrain?.wallSeconds ?? 0),
    evaluation,
    finetune,
    pretrain,
  };
}

/**
 * The table of one corpus: for each row that has a scored record, one of them, in the course's order:
 * the latest (`pick` 'latest', the default), or the one whose model saw the most pretraining tokens, the
 * latest of those when several did ('most-pretraining'), or the same among the runs of the course's recipe
 * (isCourseRecipe) when a row has any ('course-recipe': another run only stands in for a row that has none).
 * `filter` narrows the records considered (e.g. one scale).
 */
export function resultsTable(records: readonly RunRecord[], corpus: CorpusName, filter: (r: RunRecord) => boolean = () => true,
  pick: 'latest' | 'most-pretraining' | 'course-recipe' = 'latest'): ResultRow[] {
  const chosen = new Map<TableRow, { record: RunRecord; course: boolean; tokens: number }>();
  for (const r of records) {
    if (!r.row || r.corpus !== corpus || r.accuracy === undefined || !filter(r)) continue;
    if (r.verb !== 'evaluate' && r.verb !== 'london') continue;
    // The runs behind the evaluation matter only to the other picks: 'latest' skips the search for them (and so
    // checks only which file was evaluated).
    const chain = pick === 'latest' ? undefined : trainingChain(records, r);
    if (!isDevScore(r, chain?.finetune)) continue;
    const tokens = chain?.pretrain?.tokens ?? 0;
    // The course's row: its pretraining recipe (cut short or not) and its finetuning as it is, no flags.
    const course = pick !== 'course-recipe' || ([chain?.pretrain, chain?.finetune].every((x) => !x || isCourseRecipe(x))
      && (chain?.finetune === undefined || chain.finetune.scale === 'full'));
    const seen = chosen.get(r.row);
    const better = !seen || (course && !seen.course)
      || (course === seen.course && (tokens > seen.tokens || (tokens === seen.tokens && seen.record.startedAt <= r.startedAt)));
    if (better) chosen.set(r.row, { record: r, course, tokens });
  }
  return TABLE_ROWS.filter((row) => chosen.has(row)).map((row) => resultRow(records, chosen.get(row)!.record));
}

/** One point of accuracy against pretraining compute. */
export interface ComputePoint {
  pretrainTokens: number;
  pretrainEpochs?: number;
  pretrainSeconds: number;
  pretrainFinalLoss?: number;
  /** Mean loss over the last epoch of pretraining: steadier than the last batch's. */
  pretrainLastEpochLoss?: number;
  /** The learning rate of pretraining's last step, and that rate over the peak (where the run was on its cosine). */
  pretrainLastLr?: number;
  pretrainLastLrShare?: number;
  accuracy: number;
  scale: string;
  /** The pretrained model's size, "4 layers x 256" (undefined for a record without its model). */
  modelSize?: string;
  /**
   * Where the run stopped on its learning-rate cosine: 'fitted' when final_tokens is within 10% of the
   * tokens it trained on (the rate reached its floor at the end), 'cut' when the run stopped well before
   * final_tokens (the rate still high, as the first epochs of the course's schedule), 'past' when it ran
   * beyond (the cosine came back up, trainer.py's quirk), 'constant' without decay.
   */
  schedule?: 'fitted' | 'cut' | 'past' | 'constant';
  /**
   * For a run that wrote snapshots (--snapshot-epochs), its snapshots and its final model share this: the
   * run's final model file and its number of epochs. A snapshot's own `schedule` says where on the cosine it was.
   */
  run?: { file: string; epochs: number };
  /** earlierRecipeNote of the pretraining run ('' for the course's recipe and for other presets). */
  recipe?: string;
  /** finetuneNoteOf the finetuning run ('' for the course's finetuning and for other presets'). */
  finetuneNote?: string;
  /** The pretraining record behind the point, for anything the fields above do not say (e.g. trainerHabits). */
  pretrain: RunRecord;
  evaluation: RunRecord;
}

/** Mean loss of a training record's last epoch (undefined without a curve). */
export function lastEpochLoss(r: RunRecord): number | undefined {
  const { loss } = epochCurve(r);
  return loss.length > 0 ? loss[loss.length - 1] : undefined;
}

/** The learning rate of a training record's last step, and its share of the peak rate (when both are known). */
function lastRate(r: RunRecord): Pick<ComputePoint, 'pretrainLastLr' | 'pretrainLastLrShare'> {
  const lr = r.curve?.[r.curve.length - 1]?.lr;
  if (lr === undefined) return {};
  return r.trainer ? { pretrainLastLr: lr, pretrainLastLrShare: lr / r.trainer.learningRate } : { pretrainLastLr: lr };
}

/** A training record's loss curve per epoch: tokens at each epoch's end, the epoch's mean loss, the rate at its end. */
export interface EpochCurve {
  epochs: number[];
  tokens: number[];
  loss: number[];
  lr: number[];
}

export function epochCurve(r: RunRecord): EpochCurve {
  const out: EpochCurve = { epochs: [], tokens: [], loss: [], lr: [] };
  let sum = 0;
  let n = 0;
  const curve = r.curve ?? [];
  curve.forEach((p, i) => {
    sum += p.loss;
    n++;
    if (i + 1 < curve.length && curve[i + 1].epoch === p.epoch) return;
    out.epochs.push(p.epoch);
    out.tokens.push(p.tokens);
    out.loss.push(sum / n);
    out.lr.push(p.lr);
    sum = 0;
    n = 0;
  });
  return out;
}

/**
 * The pretraining runs of a corpus for a loss chart, one record per run: a run that wrote snapshots is shown by
 * its longest record (its final one, else its latest snapshot), so one run is one line. Oldest first.
 */
export function pretrainingRuns(records: readonly RunRecord[], corpus: CorpusName): RunRecord[] {
  const byRun = new Map<string, RunRecord>();
  for (const r of records) {
    if (r.verb !== 'pretrain' || r.corpus !== corpus || !r.curve?.length) continue;
    // Separate runs that wrote the same file are told apart by start time, except a run's own snapshots.
    const run = snapshotRunFile(records, r);
    const key = run ? `run:${run}` : `${r.startedAt}:${r.files.writingParams}`;
    const seen = byRun.get(key);
    if (!seen || (seen.steps ?? 0) < (r.steps ?? 0)) byRun.set(key, r);
  }
  return [...byRun.values()].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}

/** The schedule label of a pretraining record (see ComputePoint.schedule). */
export function scheduleOf(pretrain: RunRecord): ComputePoint['schedule'] {
  const t = pretrain.trainer;
  if (!t || pretrain.tokens === undefined) return undefined;
  if (!t.decay) return 'constant';
  const ratio = t.finalTokens / Math.max(1, pretrain.tokens);
  return ratio > 1.1 ? 'cut' : ratio < 0.9 ? 'past' : 'fitted';
}

/** Points of one curve: the same row, model size and schedule kind. */
export interface ComputeSeries {
  row: TableRow;
  label: string;
  points: ComputePoint[];
}

/** How the results name each schedule kind (chart legends, run names). */
export const SCHEDULE_WORDS: Readonly<Record<NonNullable<ComputePoint['schedule']>, string>> = {
  fitted: 'decay fitted to the run', cut: 'cut from a longer schedule', past: 'run past its decay', constant: 'constant rate',
};

/**
 * accuracyVsPretraining split into curves that compare like with like: one per row, model size and schedule
 * kind, labelled e.g. "RoPE (pretraining): 4 layers x 256, cut from a longer schedule", and one per run that
 * wrote snapshots ("... 4 layers x 256, one 650-epoch run, its snapshots"); sorted by label.
 */
export function computeSeries(records: readonly RunRecord[], corpus: CorpusName): ComputeSeries[] {
  const out = new Map<string, ComputeSeries>();
  for (const [row, points] of Object.entries(accuracyVsPretraining(records, corpus)) as [TableRow, ComputePoint[]][]) {
    for (const p of points) {
      const kind = p.run ? `one ${p.run.epochs}-epoch run, its snapshots` : p.schedule && SCHEDULE_WORDS[p.schedule];
      const label = `${ROW_LABELS[row]}: ${p.modelSize ?? 'model unknown'}${kind ? `, ${kind}` : ''}${p.recipe ?? ''}${p.finetuneNote ?? ''}`;
      const series = out.get(label) ?? { row, label, points: [] };
      series.points.push(p);
      out.set(label, series);
    }
  }
  return [...out.values()].sort((a, b) => a.label.localeCompare(b.label));
}

/**
 * The final model file (absolute) of the run a training record belongs to, when that run wrote snapshots: the
 * record is one of them, or the run's final record with snapshots before it. Undefined for any other run.
 */
function snapshotRunFile(records: readonly RunRecord[], r: RunRecord): string | undefined {
  if (r.snapshot) return path.resolve(r.files.runWritingParams ?? r.files.writingParams);
  const file = r.files.writingParams;
  const hadSnapshots = records.some((x) => x.verb === r.verb && x.snapshot && x.startedAt <= r.startedAt && samePath(x.files.runWritingParams, file));
  return hadSnapshots ? path.resolve(file) : undefined;
}

/** snapshotRunFile with the run's number of epochs, for a compute point. */
function snapshotRunOf(records: readonly RunRecord[], pretrain: RunRecord): ComputePoint['run'] {
  const file = snapshotRunFile(records, pretrain);
  const epochs = pretrain.snapshot?.ofEpochs ?? pretrain.trainer?.maxEpochs;
  return file !== undefined && epochs !== undefined ? { file, epochs } : undefined;
}

/**
 * Dev accuracy against pretraining tokens, one series per pretrained row (vanilla, RoPE): every evaluation
 * of that row on the corpus whose pretraining run is known, sorted by tokens.
 */
export function accuracyVsPretraining(records: readonly RunRecord[], corpus: CorpusName): Partial<Record<TableRow, ComputePoint[]>> {
  const out: Partial<Record<TableRow, ComputePoint[]>> = {};
  for (const r of records) {
    if (r.verb !== 'evaluate' || r.corpus !== corpus || r.accuracy === undefined) continue;
    if (r.row !== 'vanilla-pretrain' && r.row !== 'rope-pretrain') continue;
    const { pretrain, finetune } = trainingChain(records, r);
    if (!pretrain || pretrain.tokens === undefined || !isDevScore(r, finetune)) continue;
    const run = snapshotRunOf(records, pretrain);
    (out[r.row] ??= []).push({
      ...(run ? { run } : {}),
      pretrainTokens: pretrain.tokens, pretrainEpochs: epochsOf(pretrain), pretrainSeconds: pretrain.wallSeconds,
      pretrainFinalLoss: pretrain.finalLoss, accuracy: r.accuracy, scale: r.scale, evaluation: r,
      pretrainLastEpochLoss: lastEpochLoss(pretrain),
      ...lastRate(pretrain),
      modelSize: pretrain.model ? `${pretrain.model.nLayer} layers x ${pretrain.model.nEmbd}` : undefined,
      schedule: scheduleOf(pretrain),
      recipe: earlierRecipeNote(pretrain),
      finetuneNote: finetune ? finetuneNoteOf(finetune) : '',
      pretrain,
    });
  }
  for (const points of Object.values(out)) points!.sort((a, b) => a.pretrainTokens - b.pretrainTokens);
  return out;
}

/** One point of a whole-length run: loss of its last epoch, finetuned dev score, and the recall probe if run. */
export interface RecipePoint {
  lastEpochLoss?: number;
  correct?: number;
  total?: number;
  /** The recall probe of the pretrained checkpoint: birthplaces completed, of those probed. */
  recalled?: number;
  probed?: number;
}

/** The course's recipe against the earlier one, for one row at one epoch of the whole schedule. */
export interface RecipePair {
  row: TableRow;
  epoch: number;
  course: RecipePoint;
  earlier: RecipePoint;
}

/**
 * Runs of the course's whole pretraining length (those that wrote snapshots), the course's recipe against the
 * earlier one, at every epoch where both have a finetuned and evaluated model (snapshot or final); in row and
 * epoch order. With several evaluations of one model, the latest counts.
 */
export function recipeComparison(records: readonly RunRecord[], recalls: readonly RecallRecord[], corpus: CorpusName): RecipePair[] {
  const out: RecipePair[] = [];
  const pointOf = (p: ComputePoint): RecipePoint => {
    const probe = [...recalls].reverse().find((r) => pretrainOfRecall(records, r) === p.pretrain);
    return {
      lastEpochLoss: p.pretrainLastEpochLoss, correct: p.evaluation.correct, total: p.evaluation.total,
      ...(probe ? { recalled: probe.correct, probed: probe.total } : {}),
    };
  };
  const points = accuracyVsPretraining(records, corpus);
  for (const row of TABLE_ROWS) {
    // Both sides with the course's finetuning: a model finetuned otherwise (finetuneNote) is not compared here.
    const whole = (points[row] ?? []).filter((p) => p.run?.epochs === SCALES.full.pretrain.epochs && !p.finetuneNote);
    const byEpoch = (keep: (p: ComputePoint) => boolean) => new Map(whole.filter(keep).map((p) => [p.pretrainEpochs, p]));
    const course = byEpoch((p) => isCourseRecipe(p.pretrain));
    const earlier = byEpoch((p) => Boolean(p.recipe));
    const epochs = [...course.keys()].filter((e): e is number => e !== undefined && earlier.has(e)).sort((a, b) => a - b);
    for (const epoch of epochs) out.push({ row, epoch, course: pointOf(course.get(epoch)!), earlier: pointOf(earlier.get(epoch)!) });
  }
  return out;
}

/** "1.23M", "45.6k", "789": token counts for people. */
export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

const percent = (x: number): string => `${(100 * x).toFixed(2)}%`;

/** The table as aligned plain text, the course's number beside each measured one. */
export function formatResultsTable(rows: readonly ResultRow[]): string {
  const header = ['row', 'dev accuracy', 'correct', 'course', 'scale', 'pretrain tokens', 'finetune tokens', 'wall time', 'backend'];
  const body = rows.map((r) => [
    r.label, percent(r.accuracy), `${r.correct}/${r.total}`, percent(r.courseAccuracy), r.scale,
    r.pretrainTokens ? formatCount(r.pretrainTokens) : '-', r.finetuneTokens ? formatCount(r.finetuneTokens) : '-',
    formatDuration(r.wallSeconds), r.backend,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

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

/** The projections (projection-*.json) in `dir` and its immediate subfolders. */
export function loadProjections(dir: string): Projection[] {
  if (!fs.existsSync(dir)) return [];
  const dirs = withSubfolders(dir);
  const out: Projection[] = [];
  for (const d of dirs) {
    for (const name of fs.readdirSync(d).filter((n) => /^projection-.*\.json$/.test(n)).sort()) {
      const p = JSON.parse(fs.readFileSync(path.join(d, name), 'utf8')) as Projection;
      if (p.format !== 'mingpt-projection/1') throw new Error(`${path.join(d, name)}: format "${p.format}", expected "mingpt-projection/1"`);
      out.push(p);
    }
  }
  return out;
}

/** The table as an HTML table (for a notebook's display), the course's number beside each measured one. */
export function resultsTableHtml(rows: readonly ResultRow[], caption?: string): string {
  const header = ['', 'dev accuracy', 'course', 'scale', 'pretraining', 'finetuning', 'wall time', 'backend, commit'];
  const cell = (s: string, left = false): string => `<td style="text-align:${left ? 'left' : 'right'}">${escapeHtml(s)}</td>`;
  const body = rows.map((r) => '<tr>' + [
    cell(r.label, true),
    cell(`${percent(r.accuracy)} (${r.correct}/${r.total})`),
    cell(percent(r.courseAccuracy)),
    cell(r.settings),
    cell(r.pretrain ? `${formatCount(r.pretrainTokens)} tokens, ${r.pretrainEpochs ?? '?'} epochs, loss ${r.pretrainFinalLoss?.toFixed(2) ?? '?'}` : '-'),
    cell(r.finetune ? `${formatCount(r.finetuneTokens)} tokens, loss ${r.finetuneFinalLoss?.toFixed(2) ?? '?'}` : '-'),
    cell(formatDuration(r.wallSeconds)),
    cell(`${r.backend}, ${r.commit ? r.commit.slice(0, 7) : 'no commit'}`),
  ].join('') + '</tr>');
  return `<table>${caption ? `<caption>${escapeHtml(caption)}</caption>` : ''}` +
    `<thead><tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${body.join('')}</tbody></table>`;
}
