/**
 * scripts/migrate_records.ts: records of the formats before ids become `mingpt-run/2` with ids, parents, runs,
 * presets as data, project-relative paths, per-epoch curves and predictions named by id; checkpoints get their
 * run's id; running it again changes nothing, and records written in the old formats later are converted too.
 * And on the real records: the table the old code computed from them is the table the new code computes from
 * their migration (the old code and records are taken from git, at the last commit before the migration).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { execFileSync, spawnSync } from 'child_process';
import { migrateResults } from '../scripts/migrate_records';
import { RunRecord, readRunRecords } from '../lib/results/record';
import { loadResults } from '../lib/results/load';
import { tableOf } from '../lib/results/pick';
import { sweeps } from '../lib/results/finetune_sweep';
import { readSafetensors, writeSafetensors } from '../lib/mingpt/safetensors';

const ROOT = path.resolve(__dirname, '..');
/** The last commit whose records and code are of the first format. */
const BEFORE_MIGRATION = 'daba63f25ec57ef4ce0c21009cc28e26384547df';

const MACHINE = '/home/someone/work/checkout';
const abs = (rel: string): string => `${MACHINE}/${rel}`;
const base = { backend: 'wasm', commit: 'c0ffee', wallSeconds: 10 };
const trainer = (o: Record<string, unknown>) => ({ betas: [0.9, 0.95], gradNormClip: 1, weightDecay: 0.1, decay: true, tokenCounting: 'block', maxEpochs: 650, batchSize: 128, learningRate: 6e-3, warmupTokens: 10240, seed: 0, ...o });
const model = { vocabSize: 256, variant: 'rope', blockSize: 128, nLayer: 4, nHead: 8, nEmbd: 256, dropout: 0.1 };
/** Two steps per epoch of 2,937 documents x 127 tokens. */
const curve = (epochs: number) => Array.from({ length: 2 * epochs }, (_, i) => ({ step: i + 1, epoch: Math.floor(i / 2) + 1, tokens: Math.round(((i + 1) / 2) * 2937 * 127), loss: 3 - i / 100, lr: 0.006 * (1 - i / 1000) }));

function write(dir: string, name: string, json: unknown): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, name), JSON.stringify(json, null, 1));
}

/** A results tree of the first format: an earlier-recipe run resumed without its first start, a course-recipe one with it. */
function oldTree(): string {
  const root = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mingpt-migrate-')), 'results');
  const real = path.join(root, 'real');
  const t = (h: number) => `2026-11-26T${String(h).padStart(2, '0')}:00:00.000Z`;
  const earlier = trainer({ shuffle: true, finalTokens: 200 * 2937 * 128 });
  const course = trainer({ shuffle: false, weightDecayOn: 'course-names', finalTokens: 650 * 2937 * 128 });
  const pre = (name: string, startedAt: string, o: Record<string, unknown>) => write(real, name, {
    format: 'mingpt-run/1', verb: 'pretrain', variant: 'rope', corpus: 'real', scale: 'full', seed: 0, ...base, startedAt, model, ...o,
  });
  pre('a-e1.json', t(1), { trainer: earlier, snapshot: { epoch: 1, ofEpochs: 650 }, completed: false, curve: curve(1), files: { writingParams: abs('results/tmp/real/a.e1.params'), runWritingParams: abs('results/tmp/real/a.params') }, notes: { data: 'real birthplace corpus from /srv/birthplaces (via MINGPT_DATA_DIR): 2938 lines' } });
  pre('a-e2.json', t(2), { trainer: earlier, snapshot: { epoch: 2, ofEpochs: 650 }, completed: false, curve: curve(2), files: { writingParams: abs('results/tmp/real/a.e2.params'), runWritingParams: abs('results/tmp/real/a.params') } });
  pre('a.json', t(3), { trainer: earlier, completed: true, curve: curve(3), tokens: 5, files: { writingParams: abs('results/tmp/real/a.params') } });
  pre('b-e1.json', t(4), { runStartedAt: '2026-11-26T04:00:00.123Z', trainer: course, snapshot: { epoch: 1, ofEpochs: 650 }, completed: false, curve: curve(1), tokens: 373000, files: { writingParams: abs('results/tmp/real/b.e1.params'), runWritingParams: abs('results/tmp/real/b.params') } });
  // The earlier run's first snapshot finetuned with flags, evaluated; its predictions in the old place.
  write(real, 'ft.json', { format: 'mingpt-run/1', verb: 'finetune', row: 'rope-pretrain', variant: 'rope', corpus: 'real', scale: 'custom', seed: 0, ...base, startedAt: t(5), trainer: trainer({ shuffle: false, weightDecayOn: 'course-names', maxEpochs: 20 }), curve: curve(1), files: { readingParams: abs('results/tmp/real/a.e1.params'), writingParams: abs('results/tmp/real/ft.params') }, notes: { preset: 'full with {"epochs":20}' } });
  write(real, 'ev.json', { format: 'mingpt-run/1', verb: 'evaluate', row: 'rope-pretrain', variant: 'rope', corpus: 'real', scale: 'custom', seed: 0, ...base, startedAt: t(6), accuracy: 0.5, correct: 1, total: 2, files: { readingParams: abs('results/tmp/real/ft.params'), outputs: abs('results/real/predictions/rope.dev.txt') } });
  fs.mkdirSync(path.join(real, 'predictions'));
  fs.writeFileSync(path.join(real, 'predictions', 'rope.dev.txt'), 'Paris\nRome\n');
  write(real, 'recall-b.e1.json', { format: 'mingpt-recall/1', checkpoint: 'b.e1.params', pretrainStartedAt: t(4), pretrainParams: abs('results/tmp/real/b.e1.params'), corpus: 'real', variant: 'rope', model, window: 112, commit: 'c0ffee', backend: 'wasm', measuredAt: t(7), wallSeconds: 60, devQuestions: 2, notInText: 0, outsideWindow: 0, total: 2, correct: 1, accuracy: 0.5, continuations: [{ dev: 0, answer: 'Paris', continuation: 'Paris' }, { dev: 1, answer: 'Oslo', continuation: 'Lima' }] });
  write(real, 'projection-full-real.json', { format: 'mingpt-projection/1', scale: 'full' });
  // The course-recipe run's snapshot checkpoint, written after its record's session started, without a run id.
  fs.mkdirSync(path.join(root, 'tmp', 'real'), { recursive: true });
  fs.writeFileSync(path.join(root, 'tmp', 'real', 'b.e1.params'), writeSafetensors([['w', { shape: [2], data: new Float32Array([1, 2]) }]], { config: '{}', stage: 'pretrain' }));
  return root;
}

const byId = (root: string): Map<string, RunRecord> => new Map(loadResults(root).records.map((r) => [r.id, r]));

function snapshotOf(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of fs.readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const file = path.join(dir, f);
    if (fs.statSync(file).isFile()) out.set(f, fs.readFileSync(file, 'base64'));
  }
  return out;
}

describe('migrating records to mingpt-run/2 (scripts/migrate_records.ts)', function () {
  this.timeout(120_000);

  it('gives every record an id, its parent, its run and its preset as data, relative paths, per-epoch curves', () => {
    const root = oldTree();
    migrateResults(root);
    const r = byId(root);
    assert.deepEqual([...r.keys()].sort(), ['a', 'a-e1', 'a-e2', 'b-e1', 'ev', 'ft', 'recall-b.e1']);
    // The earlier run resumed without its first start: its snapshots and end share the first session's start.
    assert.equal(r.get('a-e1')!.run, '20261126T010000.000Z-pretrain-rope-full-seed0');
    assert.equal(r.get('a-e2')!.run, r.get('a-e1')!.run);
    assert.equal(r.get('a')!.run, r.get('a-e1')!.run);
    assert.equal(r.get('b-e1')!.run, '20261126T040000.123Z-pretrain-rope-full-seed0');
    // The earlier recipe is the full preset with what differed from it now; the course's recipe has no overrides.
    assert.deepEqual(r.get('a-e1')!.preset, { base: 'full', overrides: { shuffle: true, weightDecayOn: 'matmul-weights', decayEpochs: 200 } });
    assert.deepEqual(r.get('b-e1')!.preset, { base: 'full', overrides: {} });
    assert.deepEqual(r.get('ft')!.preset, { base: 'full', overrides: { epochs: 20 } });
    assert.equal(r.get('ev')!.preset, undefined);
    // Lineage by id, once: the finetuning read the earlier run's first snapshot, the evaluation the finetuned model.
    assert.equal(r.get('ft')!.parent, 'a-e1');
    assert.equal(r.get('ev')!.parent, 'ft');
    assert.equal(r.get('recall-b.e1')!.parent, 'b-e1');
    assert.equal(r.get('recall-b.e1')!.startedAt, '2026-11-26T06:59:00.000Z', 'the probe started its wall time before it was measured');
    assert.equal(r.get('a-e1')!.parent, undefined);
    assert.deepEqual(r.get('a-e1')!.files, { writingParams: 'results/tmp/real/a.e1.params', runWritingParams: 'results/tmp/real/a.params' });
    assert.equal(r.get('a-e1')!.notes!.data, 'real birthplace corpus from birthplaces (via MINGPT_DATA_DIR): 2938 lines');
    assert.deepEqual(r.get('a-e2')!.curve!.map((p) => p.epoch), [1, 2]);
    assert.equal(r.get('a-e2')!.curve![0].loss, 2.995, 'the mean of the epoch\'s two steps');
    // The predictions follow the evaluation's id; no machine path is left anywhere.
    assert.equal(fs.readFileSync(path.join(root, 'real', 'predictions', 'ev.txt'), 'utf8'), 'Paris\nRome\n');
    assert.ok(!fs.existsSync(path.join(root, 'real', 'predictions', 'rope.dev.txt')));
    assert.equal(r.get('ev')!.files.outputs, undefined);
    for (const [name, content] of snapshotOf(path.join(root, 'real'))) {
      assert.ok(!Buffer.from(content, 'base64').toString('utf8').includes('/home/') && !Buffer.from(content, 'base64').toString('utf8').includes('/srv/'), `${name} has a machine path`);
    }
    // The checkpoint now carries the id of the run that wrote it.
    assert.equal(readSafetensors(fs.readFileSync(path.join(root, 'tmp', 'real', 'b.e1.params'))).metadata.runId, 'b-e1');
    assert.equal(JSON.parse(fs.readFileSync(path.join(root, 'real', 'projection-full-real.json'), 'utf8')).format, 'mingpt-projection/1', 'other files untouched');
  });

  it('changes nothing when run again, and converts records of the old formats written later', () => {
    const root = oldTree();
    migrateResults(root);
    const once = snapshotOf(root);
    assert.deepEqual(migrateResults(root), []);
    assert.deepEqual(snapshotOf(root), once, 'a second run changes no byte');
    // Later, old code finetunes the stamped snapshot and evaluates the model; new code evaluates it again.
    const real = path.join(root, 'real');
    write(real, 'ft2.json', { format: 'mingpt-run/1', verb: 'finetune', row: 'rope-pretrain', variant: 'rope', corpus: 'real', scale: 'full', seed: 0, ...base, startedAt: '2026-11-27T01:00:00.000Z', trainer: trainer({ shuffle: false, weightDecayOn: 'course-names' }), curve: curve(1), files: { readingParams: abs('results/tmp/real/b.e1.params'), writingParams: abs('results/tmp/real/ft2.params') } });
    write(real, 'ev2.json', { format: 'mingpt-run/1', verb: 'evaluate', row: 'rope-pretrain', variant: 'rope', corpus: 'real', scale: 'full', seed: 0, ...base, startedAt: '2026-11-27T02:00:00.000Z', accuracy: 0, correct: 0, total: 2, files: { readingParams: abs('results/tmp/real/ft2.params'), outputs: abs('results/real/predictions/ev2.dev.txt') } });
    fs.writeFileSync(path.join(real, 'predictions', 'ev2.dev.txt'), 'Lima\nLima\n');
    // New code, run by the old results.sh: its predictions by id, and the copy asked for with --outputs.
    write(real, 'ev3.json', { format: 'mingpt-run/2', id: 'ev3', verb: 'evaluate', row: 'rope-pretrain', variant: 'rope', corpus: 'real', seed: 0, ...base, startedAt: '2026-11-27T03:00:00.000Z', accuracy: 0, correct: 0, total: 2, files: { readingParams: 'results/tmp/real/ft2.params', outputs: 'results/real/predictions/ev3.dev.txt' } });
    fs.writeFileSync(path.join(real, 'predictions', 'ev3.txt'), 'Lima\nLima\n');
    fs.writeFileSync(path.join(real, 'predictions', 'ev3.dev.txt'), 'Lima\nLima\n');
    const report = migrateResults(root);
    assert.deepEqual(report.filter((l) => !l.includes('stamped')).sort(), [
      'results/real/ev2.json: converted from mingpt-run/1', 'results/real/ev3.json: parent settled', 'results/real/ft2.json: converted from mingpt-run/1',
    ]);
    const r = byId(root);
    assert.equal(r.get('ft2')!.parent, 'b-e1');
    assert.equal(r.get('ev2')!.parent, 'ft2');
    assert.equal(r.get('ev3')!.parent, 'ft2');
    assert.ok(fs.existsSync(path.join(real, 'predictions', 'ev2.txt')));
    assert.deepEqual(fs.readdirSync(path.join(real, 'predictions')).sort(), ['ev.txt', 'ev2.txt', 'ev3.txt'], 'the --outputs copy is gone');
    assert.equal(r.get('ev3')!.files.outputs, undefined);
    assert.equal(r.get('ev')!.parent, 'ft', 'earlier records keep their parents');
  });

  it("gives the real records' migration the table the old code computed from them", function () {
    const have = spawnSync('git', ['cat-file', '-e', `${BEFORE_MIGRATION}^{commit}`], { cwd: ROOT });
    if (have.status !== 0) this.skip(); // a copy without the repository's history (a student release)
    fs.mkdirSync(path.join(ROOT, 'build'), { recursive: true });
    const work = fs.mkdtempSync(path.join(ROOT, 'build', 'records-v1-'));
    try {
      execFileSync('sh', ['-c', `git archive ${BEFORE_MIGRATION} lib results | tar -x -C '${work}'`], { cwd: ROOT });
      const fixture = path.join(ROOT, 'test', 'fixtures', 'records_v1_table.ts');
      const out = execFileSync(process.execPath, ['--import', 'tsx', fixture, path.join(work, 'lib'), path.join(work, 'results')], { cwd: ROOT, encoding: 'utf8' });
      const old = JSON.parse(out) as { real: unknown[]; synthetic: unknown[]; sweep: unknown };
      migrateResults(path.join(work, 'results'));
      const results = loadResults(path.join(work, 'results'));
      const rows = (corpus: 'real' | 'synthetic') => tableOf(results, corpus).map((e) => ({
        row: e.row, correct: e.score.correct, total: e.score.total, accuracy: e.score.accuracy, evaluation: e.evaluation.startedAt,
        ...(e.finetune ? { finetune: e.finetune.startedAt } : {}), ...(e.pretrain ? { pretrain: e.pretrain.startedAt } : {}),
      }));
      const chosen = sweeps(results).find((s) => s.chosen)?.chosen;
      const now = { real: rows('real'), synthetic: rows('synthetic'), sweep: chosen ? { correct: chosen.correct, total: chosen.total, accuracy: chosen.accuracy, evaluation: chosen.startedAt } : null };
      assert.deepEqual(now, old);
      // The committed records are this migration's output, byte for byte, where both have a file (world.json is
      // no record: the synthetic world's options, rewritten with its records when the world changes).
      for (const corpus of ['real', 'synthetic']) {
        const migrated = snapshotOf(path.join(work, 'results', corpus));
        const committed = snapshotOf(path.join(ROOT, 'results', corpus));
        for (const [name, content] of migrated) if (committed.has(name) && name !== 'world.json') assert.equal(committed.get(name), content, `results/${corpus}/${name}`);
      }
      assert.ok(readRunRecords(path.join(work, 'results', 'real')).length > 100);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
});
