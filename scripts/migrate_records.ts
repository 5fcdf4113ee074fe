/**
 * Converts run records of the formats before ids (`mingpt-run/1`, `mingpt-recall/1`) to `mingpt-run/2`, in place,
 * under a results folder and its immediate subfolders; safe to run again at any time (a converted record is left
 * as it is, so records written in the old formats later are converted by the next run).
 *
 * What the old records said only through file paths and times is settled here, once:
 * - each record keeps its file name as its id;
 * - a run that read a checkpoint gets as `parent` the latest run that wrote that file before it started (a recall
 *   probe: the pretraining record it named by start time and file); records of the new format written from a
 *   checkpoint without an id get their parent the same way;
 * - the preset becomes data: `{ base, overrides }` from the preset's name and the flags ("full with {...}"); a `full`
 *   run of the preset's earlier recipe (minGPT's trainer, a cosine over other than the asked epochs) gets what
 *   differed from the preset as it is now as overrides (shuffle, weightDecayOn, decayEpochs);
 * - snapshots and the final record of one training run share `run` (from the run's first start);
 * - paths become relative to the project; absolute paths leave the notes;
 * - loss curves keep one point per epoch;
 * - each evaluation's predictions move to `predictions/<id>.txt` beside its record;
 * - checkpoints under `<results>/tmp` without a run id get the id of the record that wrote them, so that runs
 *   reading them name their parent.
 *
 *   npx tsx scripts/migrate_records.ts [RESULTS_DIR (default results)]
 */
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../lib/util/atomic';
import {
  EpochPoint, PresetChoice, RECORD_FORMAT, RunRecord, formatRecord, perEpoch, predictionsFile, projectPath, replaceAbsolutePaths, runId,
} from '../lib/results/record';
import { SCALES } from '../lib/mingpt/presets';
import { readSafetensors, toFloat32, writeSafetensors } from '../lib/mingpt/safetensors';
import type { CurvePoint, TrainerConfig } from '../lib/mingpt/trainer';

type Json = Record<string, unknown>;
/** A record of the first format, as far as the conversion reads it. */
interface V1Run extends Json {
  format: 'mingpt-run/1'; verb: string; scale: string; seed: number; startedAt: string; runStartedAt?: string; variant?: string;
  trainer?: TrainerConfig; model?: { blockSize: number }; curve?: CurvePoint[]; snapshot?: { epoch: number; ofEpochs: number };
  files: Record<string, string>; notes?: Record<string, string | number | boolean>;
}
interface V1Recall extends Json {
  format: 'mingpt-recall/1'; checkpoint: string; pretrainStartedAt?: string; pretrainParams?: string; measuredAt: string; corpus: string;
}

/** A path of an old record (absolute, of the machine that made it) relative to the project: from its `results/` on. */
export function relativeOldPath(p: string): string {
  const at = p.lastIndexOf('/results/');
  if (path.isAbsolute(p) && at >= 0) return p.slice(at + 1);
  return projectPath(p);
}

/** Epochs of the pretraining corpus that a full-preset record's final_tokens stands for (from its first epoch's tokens). */
function decayEpochsOf(r: V1Run): number | undefined {
  const t = r.trainer;
  const first = r.curve?.find((p, i, c) => c[i + 1]?.epoch !== p.epoch);
  if (!t || !t.decay || t.tokenCounting !== 'block' || !r.model || !first || first.epoch !== 1) return undefined;
  return Math.round(t.finalTokens / ((first.tokens / (r.model.blockSize - 1)) * r.model.blockSize));
}

/** An old record's preset as data, with what a `full` run of the earlier recipe had otherwise as overrides. */
export function presetOf(r: V1Run): PresetChoice {
  const custom = /^(\w+) with (\{.*\})$/.exec(String(r.notes?.preset ?? ''));
  const base = custom ? custom[1] : r.scale;
  const overrides: PresetChoice['overrides'] = custom ? (JSON.parse(custom[2]) as Record<string, number>) : {};
  if (base !== 'full' || !r.trainer) return { base, overrides };
  const full = SCALES.full;
  const rule = r.trainer.weightDecayOn ?? 'matmul-weights'; // records from before the setting existed
  if (Boolean(r.trainer.shuffle) !== full.trainer.shuffle || rule !== full.trainer.weightDecayOn) {
    overrides.shuffle = Boolean(r.trainer.shuffle);
    overrides.weightDecayOn = rule;
  }
  const decay = r.verb === 'pretrain' ? decayEpochsOf(r) : undefined;
  if (decay !== undefined && decay !== (overrides.decayEpochs ?? full.pretrain.decayEpochs)) overrides.decayEpochs = decay;
  return { base, overrides };
}

interface Entry { file: string; dir: string; record: RunRecord; old?: V1Run | V1Recall }

/** The folders of a results tree that hold records: the folder and its subfolders, but not tmp/ or predictions/. */
function recordFolders(root: string): string[] {
  const subs = fs.readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory() && d.name !== 'tmp' && d.name !== 'predictions');
  return [root, ...subs.map((d) => path.join(root, d.name))];
}

function load(root: string): Entry[] {
  const out: Entry[] = [];
  for (const dir of recordFolders(root)) {
    for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
      const file = path.join(dir, name);
      let json: Json;
      try {
        json = JSON.parse(fs.readFileSync(file, 'utf8')) as Json;
      } catch {
        continue;
      }
      const id = name.slice(0, -'.json'.length);
      if (json.format === RECORD_FORMAT) out.push({ file, dir, record: json as unknown as RunRecord });
      else if (json.format === 'mingpt-run/1') out.push({ file, dir, record: fromV1Run(id, json as V1Run), old: json as V1Run });
      else if (json.format === 'mingpt-recall/1') out.push({ file, dir, record: fromV1Recall(id, json as V1Recall), old: json as V1Recall });
    }
  }
  return out;
}

const relativeFiles = (files: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(files).map(([k, v]) => [k, relativeOldPath(v)]));

/**
 * Absolute paths in an old note cut to their last part. Not made relative to this checkout: the notes were written
 * on other machines and checkouts, and the migration must give the same records wherever it runs.
 */
const withoutOldPaths = (text: string): string => replaceAbsolutePaths(text, (p) => path.basename(p));

const cleanNotes = (notes: V1Run['notes']): RunRecord['notes'] | undefined => {
  const kept = Object.entries(notes ?? {}).filter(([k]) => k !== 'preset').map(([k, v]) => [k, typeof v === 'string' ? withoutOldPaths(v) : v]);
  return kept.length > 0 ? Object.fromEntries(kept) : undefined;
};

/** A record of the first format in the new one (its parent and run are settled later, with all records at hand). */
function fromV1Run(id: string, r: V1Run): RunRecord {
  const training = r.verb === 'pretrain' || r.verb === 'finetune';
  const pick = (k: string): Json => (r[k] === undefined ? {} : { [k]: r[k] });
  return {
    format: RECORD_FORMAT, id, verb: r.verb as RunRecord['verb'], ...pick('row'), ...pick('variant'), corpus: r.corpus as RunRecord['corpus'],
    ...(training ? { preset: presetOf(r) } : {}), seed: r.seed, backend: String(r.backend), commit: (r.commit as string | null) ?? null,
    startedAt: r.startedAt, wallSeconds: Number(r.wallSeconds), ...pick('model'), ...pick('trainer'), ...pick('completed'), ...pick('snapshot'),
    ...pick('steps'), ...pick('tokens'), ...pick('finalLoss'), ...(r.curve ? { curve: perEpoch(r.curve) as EpochPoint[] } : {}),
    ...pick('accuracy'), ...pick('correct'), ...pick('total'),
    files: relativeFiles(r.files), ...(cleanNotes(r.notes) ? { notes: cleanNotes(r.notes) } : {}),
  } as RunRecord;
}

function fromV1Recall(id: string, r: V1Recall): RunRecord {
  const model = r.model as RunRecord['model'];
  return {
    format: RECORD_FORMAT, id, verb: 'recall', corpus: r.corpus as RunRecord['corpus'], variant: r.variant as RunRecord['variant'],
    // The probe's seed is its checkpoint's (set with the parent); measuredAt is when it ended.
    seed: 0, backend: String(r.backend), commit: (r.commit as string | null) ?? null,
    startedAt: new Date(Date.parse(r.measuredAt) - 1000 * Number(r.wallSeconds)).toISOString(), wallSeconds: Number(r.wallSeconds),
    model, accuracy: Number(r.accuracy), correct: Number(r.correct), total: Number(r.total),
    recall: {
      window: Number(r.window), devQuestions: Number(r.devQuestions), notInText: Number(r.notInText), outsideWindow: Number(r.outsideWindow),
      continuations: r.continuations as NonNullable<RunRecord['recall']>['continuations'],
    },
    files: r.pretrainParams ? { readingParams: relativeOldPath(r.pretrainParams) } : {},
    ...(r.pretrainParams ? {} : { notes: { checkpoint: r.checkpoint } }),
  };
}

/** The latest training run that wrote `file` and started no later than `before`. */
function writerOf(entries: readonly Entry[], file: string | undefined, before: string): RunRecord | undefined {
  let found: RunRecord | undefined;
  for (const { record: r } of entries) {
    if ((r.verb !== 'pretrain' && r.verb !== 'finetune') || r.files.writingParams !== file || r.startedAt > before) continue;
    if (!found || found.startedAt <= r.startedAt) found = r;
  }
  return found;
}

/** Settles `run` for the training records of the first format: one id per run, its snapshots and its end. */
function settleRuns(entries: Entry[]): void {
  const old = entries.filter((e) => e.old?.format === 'mingpt-run/1' && (e.record.verb === 'pretrain' || e.record.verb === 'finetune'));
  for (const e of old) {
    const r = e.old as V1Run;
    const runFile = r.snapshot ? r.files.runWritingParams : r.files.writingParams;
    // Runs resumed from states that did not keep their first start: their snapshots and end, told apart by file.
    const sameRun = r.runStartedAt ? [] : old.map((x) => x.old as V1Run).filter((x) => !x.runStartedAt && x.snapshot && x.files.runWritingParams === runFile && x.startedAt <= r.startedAt);
    const start = r.runStartedAt ?? sameRun.map((x) => x.startedAt).sort()[0];
    e.record.run = start === undefined ? e.record.id
      : runId({ startedAt: start, verb: e.record.verb, variant: r.variant, preset: e.record.preset?.base, seed: r.seed });
  }
}

/** Settles the parent of every record that read a checkpoint and names none. */
function settleParents(entries: Entry[], report: string[]): void {
  for (const e of entries) {
    const r = e.record;
    if (r.parent !== undefined) continue;
    let parent: RunRecord | undefined;
    const recall = e.old?.format === 'mingpt-recall/1' ? (e.old as V1Recall) : undefined;
    if (recall?.pretrainStartedAt) {
      const file = recall.pretrainParams && relativeOldPath(recall.pretrainParams);
      parent = entries.map((x) => x.record).find((x) => x.verb === 'pretrain' && x.startedAt === recall.pretrainStartedAt &&
        (file ? x.files.writingParams === file : path.basename(x.files.writingParams ?? '') === recall.checkpoint));
    } else if (r.files.readingParams !== undefined) {
      parent = writerOf(entries, r.files.readingParams, r.startedAt);
    }
    if (parent) {
      r.parent = parent.id;
      if (recall) r.seed = parent.seed;
    }
    else if (r.files.readingParams !== undefined || recall) report.push(`no record wrote the checkpoint ${r.id} read (${r.files.readingParams ?? recall?.checkpoint}): no parent`);
  }
}

/** A file of the results tree as records name it (the tree is the project's `results/`, wherever it is). */
const asRecorded = (root: string, file: string): string => ['results', ...path.relative(root, file).split(path.sep)].join('/');
/** Where a file that records name `results/...` is in the tree at `root`. */
const inTree = (root: string, recorded: string): string => path.join(root, ...recorded.split('/').slice(1));

/** Moves each evaluation's predictions next to its record as predictions/<id>.txt (the latest record naming a file gets it). */
function movePredictions(entries: Entry[], root: string, report: string[]): void {
  const claims = new Map<string, Entry>();
  for (const e of entries) {
    const out = e.record.files.outputs;
    if (out === undefined || !out.startsWith('results/')) continue;
    const seen = claims.get(out);
    if (!seen || seen.record.startedAt <= e.record.startedAt) claims.set(out, e);
  }
  for (const e of entries) {
    const out = e.record.files.outputs;
    if (out === undefined || !out.startsWith('results/')) continue;
    const from = inTree(root, out);
    const to = predictionsFile(e.dir, e.record.id);
    if (claims.get(out) === e && fs.existsSync(from)) {
      if (!fs.existsSync(to)) {
        fs.mkdirSync(path.dirname(to), { recursive: true });
        fs.renameSync(from, to);
      } else if (fs.readFileSync(from, 'utf8') === fs.readFileSync(to, 'utf8')) {
        fs.rmSync(from); // a copy the run also wrote to --outputs
      } else continue;
    } else if (!fs.existsSync(to)) {
      report.push(`${e.record.id}: its predictions ${out} are ${fs.existsSync(from) ? 'those of a later run' : 'not here'}; none kept`);
    }
    delete e.record.files.outputs;
  }
  for (const dir of recordFolders(root)) {
    const sweep = path.join(dir, 'predictions', 'sweep');
    if (fs.existsSync(sweep) && fs.readdirSync(sweep).length === 0) fs.rmdirSync(sweep);
  }
}

/** A safetensors file's metadata, from its header alone. */
function metadataOf(file: string): Record<string, string> {
  const fd = fs.openSync(file, 'r');
  try {
    const size = Buffer.alloc(8);
    fs.readSync(fd, size, 0, 8, 0);
    const header = Buffer.alloc(Number(size.readBigUInt64LE(0)));
    fs.readSync(fd, header, 0, header.length, 8);
    return ((JSON.parse(header.toString('utf8')) as Json).__metadata__ ?? {}) as Record<string, string>;
  } finally {
    fs.closeSync(fd);
  }
}

/** Gives each checkpoint under `root`/tmp without a run id the id of the latest record that wrote it before its last change. */
function stampCheckpoints(entries: Entry[], root: string, report: string[]): void {
  const dir = path.join(root, 'tmp');
  if (!fs.existsSync(dir)) return;
  const files = fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.params')).map((f) => path.join(dir, f));
  for (const file of files) {
    const meta = metadataOf(file);
    if (meta.runId !== undefined || meta.config === undefined) continue;
    const writer = writerOf(entries, asRecorded(root, file), new Date(fs.statSync(file).mtimeMs).toISOString());
    if (!writer) {
      report.push(`${asRecorded(root, file)}: no record wrote it; left without a run id`);
      continue;
    }
    const st = readSafetensors(fs.readFileSync(file), file);
    const tensors = new Map([...st.tensors].map(([name, t]) => [name, { shape: t.shape, data: toFloat32(t, name) }]));
    writeFileAtomic(file, writeSafetensors(tensors, { ...st.metadata, runId: writer.id }));
    report.push(`${asRecorded(root, file)}: stamped with run id ${writer.id}`);
  }
}

/** Converts a results tree in place; returns what it did and what it could not, one line each. */
export function migrateResults(root: string): string[] {
  const report: string[] = [];
  const entries = load(root);
  const before = new Map(entries.map((e) => [e.file, JSON.stringify(e.record)]));
  settleRuns(entries);
  settleParents(entries, report);
  movePredictions(entries, root, report);
  for (const e of entries) {
    if (e.old || before.get(e.file) !== JSON.stringify(e.record)) {
      writeFileAtomic(e.file, formatRecord(e.record));
      report.push(`${asRecorded(root, e.file)}: ${e.old ? `converted from ${String(e.old.format)}` : 'parent settled'}`);
    }
  }
  stampCheckpoints(entries, root, report);
  return report;
}

if (require.main === module) {
  const root = process.argv[2] ?? 'results';
  const report = migrateResults(root);
  for (const line of report) console.log(line);
  console.log(`${report.length === 0 ? 'nothing to do' : `${report.length} change(s) and note(s)`} in ${root}/`);
}
