/**
 * Which models the "ask the models" page gets, and everything the page says about them, from the records.
 *
 * - The real corpus's models when their checkpoints are on this machine: for each row (no pretraining, vanilla,
 *   RoPE), the evaluation notebook 8's table would pick (`tableOf`), among those whose checkpoint still exists
 *   (checkpoints live in the git-ignored results/tmp/; never in the site's sources, never committed).
 * - Else the synthetic world's: the recorded ones when their checkpoints exist, else the ones the build trains
 *   itself with `scripts/results.sh synthetic` (the same commands and seeds as notebook 8's synthetic rows), into
 *   the build folder.
 *
 * Every number the page shows comes from here: the dev score of each model's evaluation record, the recorded
 * predictions it must reproduce, and the recall probe of the pretrained model behind it (its record, or, when
 * there is none, the probe run here on the pretrained checkpoint).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Corpus, loadCorpus, missingCorpusFiles, readRealCorpus } from '../../lib/data/corpus';
import { WorldOptions } from '../../lib/data/synthetic_world';
import { loadCheckpoint } from '../../lib/mingpt/checkpoint';
import { isRecall, recallItems, recallProbe, visibleChars } from '../../lib/eval/recall';
import { Results } from '../../lib/results/load';
import { readRunRecords, resolveProjectPath, RunRecord } from '../../lib/results/record';
import { COURSE_ACCURACY, CorpusName, TableEntry, tableOf } from '../../lib/results/pick';
import type { AskRow, RecallShown } from './ask/data';

export const ASK_ROWS: readonly AskRow[] = ['vanilla-nopretrain', 'vanilla-pretrain', 'rope-pretrain'];

export const ASK_LABELS: Readonly<Record<AskRow, string>> = {
  'vanilla-nopretrain': 'Vanilla, no pretraining',
  'vanilla-pretrain': 'Vanilla, pretrained',
  'rope-pretrain': 'RoPE, pretrained',
};

export interface PickedModel {
  row: AskRow;
  entry: TableEntry;
  checkpoint: string;
  /** The CLI's predictions for the dev set, kept beside the evaluation record. */
  predictions?: string[];
  course: number;
}

export interface Picked {
  corpus: CorpusName;
  origin: string;
  results: Results;
  models: PickedModel[];
  /** The corpus the models were trained and evaluated on, when it is on this machine. */
  data?: Corpus;
}

/** The records of `dirs` and of their immediate subfolders, as one index. */
function loadFolders(dirs: readonly string[], keep: (r: RunRecord) => boolean = () => true): Results {
  const folders: { dir: string; records: RunRecord[] }[] = [];
  for (const dir of dirs) {
    if (!fs.existsSync(dir)) continue;
    const subs = fs.readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => path.join(dir, d.name));
    for (const d of [dir, ...subs]) folders.push({ dir: d, records: readRunRecords(d).filter(keep) });
  }
  return new Results(folders);
}

const checkpointOf = (r: RunRecord): string | undefined => (r.files.readingParams ? resolveProjectPath(r.files.readingParams) : undefined);

/** The rows of `corpus` whose evaluated checkpoint is on this machine, as notebook 8's table would pick them. */
function rowsOnDisk(dirs: readonly string[], corpus: CorpusName): { results: Results; models: PickedModel[] } {
  const onDisk = (r: RunRecord) => r.verb !== 'evaluate' || (checkpointOf(r) !== undefined && fs.existsSync(checkpointOf(r)!));
  const results = loadFolders(dirs, onDisk);
  const models = tableOf(results, corpus)
    .filter((e) => (ASK_ROWS as readonly string[]).includes(e.row))
    .map((entry) => ({
      row: entry.row as AskRow, entry, checkpoint: checkpointOf(entry.evaluation)!,
      predictions: results.predictionsOf(entry.evaluation), course: COURSE_ACCURACY[entry.row],
    }));
  return { results, models };
}

/** The corpus behind a synthetic checkpoint: the world files beside it (as `results.sh` writes them), else world.json beside the records. */
function syntheticCorpus(results: Results, m: PickedModel): Corpus | undefined {
  const worldDir = path.join(path.dirname(m.checkpoint), 'world');
  if (missingCorpusFiles(worldDir).length === 0) return readRealCorpus(worldDir, 'the checkpoint folder');
  const options = path.join(path.dirname(resolveProjectPath(results.fileOf(m.entry.evaluation))), 'world.json');
  if (!fs.existsSync(options)) return undefined;
  const world = (JSON.parse(fs.readFileSync(options, 'utf8')) as { options: WorldOptions }).options;
  return loadCorpus({ corpus: 'synthetic', world });
}

export interface PickOptions {
  /** Folders of records (with their subfolders): the project's results/ and the build's own. */
  resultsDirs: string[];
  /** Where the build trains the synthetic models when no recorded ones have their checkpoints: `$RESULTS` of results.sh. */
  trainDir?: string;
  /** Extra environment for that training (SYN_PRETRAIN, SYN_FINETUNE ... of results.sh). */
  trainEnv?: Record<string, string>;
  /** Skip the real corpus's checkpoints (tests). */
  syntheticOnly?: boolean;
  log?: (line: string) => void;
}

/** Trains the synthetic rows with `scripts/results.sh synthetic` into `dir` (records in dir/synthetic, models in dir/tmp). */
export function trainSynthetic(dir: string, env: Record<string, string> = {}, log: (line: string) => void = console.log): void {
  const root = path.resolve(__dirname, '..', '..');
  log(`ask page: no synthetic checkpoints on this machine; training them: RESULTS=${path.relative(root, dir) || dir} bash scripts/results.sh synthetic`);
  const started = Date.now();
  const r = spawnSync('bash', [path.join(root, 'scripts', 'results.sh'), 'synthetic'], {
    cwd: root, env: { ...process.env, ...env, RESULTS: path.resolve(dir) }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) {
    throw new Error(`ask page: training the synthetic models failed (exit ${r.status ?? r.signal}):\n${(r.stderr || '').split('\n').slice(-15).join('\n')}`);
  }
  log(`ask page: trained in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/** The models of the page: see the module comment for the order of choice. */
export function pickAskModels(o: PickOptions): Picked {
  const log = o.log ?? console.log;
  const dirs = [...o.resultsDirs, ...(o.trainDir ? [o.trainDir] : [])];
  if (!o.syntheticOnly) {
    const real = rowsOnDisk(dirs, 'real');
    if (real.models.length > 0) {
      let data: Corpus | undefined;
      try {
        data = loadCorpus({ corpus: 'real' });
      } catch (e) {
        log(`ask page: the real corpus is not on this machine (${(e as Error).message.split('\n')[0]}): no dev questions to pick from`);
      }
      const some = real.models.length < ASK_ROWS.length ? ` (only ${real.models.length} of the ${ASK_ROWS.length} rows ${real.models.length === 1 ? 'has' : 'have'} a checkpoint there)` : '';
      const origin = `The real corpus's models, from their checkpoints on the machine that built this page${some}.`;
      return { corpus: 'real', origin, results: real.results, models: real.models, data };
    }
  }
  let synthetic = rowsOnDisk(dirs, 'synthetic');
  let origin = "The synthetic world's models (recorded by scripts/results.sh; the real corpus's checkpoints are not on the machine that built this page).";
  if (synthetic.models.length < ASK_ROWS.length) {
    if (!o.trainDir) throw new Error(`ask page: ${synthetic.models.length} of ${ASK_ROWS.length} synthetic rows have a checkpoint, and no folder to train the others in`);
    trainSynthetic(o.trainDir, o.trainEnv, log);
    synthetic = rowsOnDisk(dirs, 'synthetic');
    origin = "The synthetic world's models, trained by the build of this page with scripts/results.sh (the real corpus's checkpoints are not on the machine that built it).";
    if (synthetic.models.length < ASK_ROWS.length) throw new Error(`ask page: after training, still only ${synthetic.models.length} synthetic rows have a checkpoint`);
  }
  return { corpus: 'synthetic', origin, results: synthetic.results, models: synthetic.models, data: syntheticCorpus(synthetic.results, synthetic.models[0]) };
}

/**
 * What the pretrained model behind `m` completes for each probed dev person: from the probe's record when the
 * pretraining run has one, else probed here on its checkpoint; undefined without pretraining, corpus or checkpoint.
 */
export function recallFor(p: Picked, m: PickedModel): { source: string; window: number; byDev: Record<number, RecallShown> } | undefined {
  const pretrain = m.entry.pretrain;
  if (!pretrain || !p.data) return undefined;
  const probe = p.results.childrenOf(pretrain).filter((r) => r.verb === 'recall' && r.recall).pop();
  const window = probe?.recall?.window ?? visibleChars(m.entry.evaluation.model?.blockSize ?? pretrain.model?.blockSize ?? 0);
  const items = recallItems(p.data.pretrainText, p.data.dev, window).items;
  const byDev: Record<number, RecallShown> = {};
  if (probe?.recall) {
    for (const c of probe.recall.continuations) {
      const item = items.find((it) => it.dev === c.dev);
      if (item && item.answer === c.answer) byDev[c.dev] = { prefix: item.prefix, continuation: c.continuation, recalled: isRecall(c.continuation, c.answer) };
    }
    return { source: `record ${probe.id} (${probe.correct} of ${probe.total} recalled)`, window, byDev };
  }
  const file = pretrain.files.writingParams ? resolveProjectPath(pretrain.files.writingParams) : undefined;
  if (!file || !fs.existsSync(file)) return undefined;
  const { model, vocab } = loadCheckpoint(file);
  try {
    const result = recallProbe(model, vocab, items);
    items.forEach((it, i) => {
      byDev[it.dev] = { prefix: it.prefix, continuation: result.continuations[i], recalled: isRecall(result.continuations[i], it.answer) };
    });
    return { source: `probed by the build on ${path.basename(file)} (${result.correct} of ${result.total} recalled; no recall record of ${pretrain.id})`, window, byDev };
  } finally {
    model.dispose();
  }
}

/** The CLI's recorded dev predictions of an evaluation, found by id among the records of `dirs`. */
export function recordedPredictions(dirs: readonly string[], evaluationId: string): string[] | undefined {
  const results = loadFolders(dirs);
  const r = results.get(evaluationId);
  return r ? results.predictionsOf(r) : undefined;
}
