import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main, EXIT } from '../lib/cli/main';
import { CliArgs, parseCli } from '../lib/cli/args';
import { generateWorld } from '../lib/data/synthetic_world';

/** Runs the CLI in this process, capturing what it prints. */
async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('mingpt CLI: usage errors', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mingpt-cli-'));
  const existing = path.join(dir, 'exists.txt');
  fs.writeFileSync(existing, 'x\n');
  after(() => fs.rmSync(dir, { recursive: true }));

  const cases: [string, string[], RegExp][] = [
    ['no verb', [], /missing the verb/],
    ['an unknown verb', ['train'], /unknown verb "train": use one of pretrain, finetune, evaluate, london/],
    ['an unknown flag', ['pretrain', '--writing-params', 'x', '--learnin-rate', '1'], /Unknown option '--learnin-rate'/],
    ['a missing required path', ['pretrain'], /pretrain needs --writing-params FILE/],
    ['evaluate without a model', ['evaluate', '--outputs', 'o.txt'], /evaluate needs --reading-params FILE/],
    ['a path that does not exist', ['finetune', '--writing-params', 'x', '--reading-params', path.join(dir, 'nope.params')], /--reading-params .*nope\.params: no such file/],
    ['a directory for a file', ['london', '--eval-corpus', dir], /--eval-corpus .*: not a file/],
    ['a negative seed', ['pretrain', '--writing-params', 'x', '--seed=-1'], /--seed must be an integer from 0 to 4294967295, got "-1"/],
    ['zero epochs', ['pretrain', '--writing-params', 'x', '--epochs', '0'], /--epochs must be an integer from 1 to 100000, got "0"/],
    ['a learning rate that is not a number', ['pretrain', '--writing-params', 'x', '--learning-rate', 'fast'], /--learning-rate must be a number in \(0, 10\), got "fast"/],
    ['dropout out of range', ['pretrain', '--writing-params', 'x', '--dropout', '1.5'], /--dropout must be a number in \[0, 1\), got "1.5"/],
    ['an unknown variant', ['pretrain', '--writing-params', 'x', '--variant', 'alibi'], /--variant must be one of vanilla, rope, got "alibi"/],
    ['an unknown scale', ['pretrain', '--writing-params', 'x', '--scale', 'huge'], /--scale must be one of smoke, cpu, full, got "huge"/],
    ['a zero micro-batch', ['pretrain', '--writing-params', 'x', '--micro-batch', '0'], /--micro-batch must be an integer from 1 to 65536, got "0"/],
    ['training flags on evaluate', ['london', '--epochs', '3'], /london does not train/],
    ['three threads', ['pretrain', '--writing-params', 'x', '--threads', '3'], /--threads must be an integer from 1 to 2, got "3"/],
    ['zero decay epochs', ['pretrain', '--writing-params', 'x', '--decay-epochs', '0'], /--decay-epochs must be an integer from 1 to 100000, got "0"/],
    ['a decay on evaluate', ['london', '--decay-epochs', '30'], /london does not train: .*--decay-epochs do not apply/],
    ['snapshot epochs out of order', ['pretrain', '--writing-params', 'x', '--snapshot-epochs', '20,10'], /--snapshot-epochs must list epochs in ascending order without repeats, got "20,10"/],
    ['a snapshot epoch that is not a number', ['pretrain', '--writing-params', 'x', '--snapshot-epochs', '10,ten'], /--snapshot-epochs must be an integer from 1 to 100000, got "ten"/],
    ['snapshots on evaluate', ['london', '--snapshot-epochs', '3'], /london does not train: --snapshot-epochs applies to pretrain and finetune/],
  ];
  for (const [what, argv, message] of cases) {
    it(`rejects ${what} with a usage message`, async () => {
      const r = await run(argv);
      assert.equal(r.code, EXIT.usage);
      assert.match(r.err, message);
      assert.match(r.err, /usage: mingpt <pretrain\|finetune\|evaluate\|london>/);
      assert.equal(r.out, '');
    });
  }

  it('prints the flags with --help', async () => {
    const r = await run(['--help']);
    assert.equal(r.code, EXIT.ok);
    assert.match(r.out, /--reading-params FILE/);
    assert.match(r.out, /--scale smoke\|cpu\|full/);
  });

  it('parses the course flags and explicit sizes', () => {
    const a = parseCli(['finetune', '--variant', 'rope', '--reading-params', existing, '--writing-params', 'w.params',
      '--scale', 'full', '--epochs', '3', '--n-embd', '64', '--seed', '5', '--json']);
    assert.ok(a !== 'help');
    assert.equal(a.verb, 'finetune');
    assert.equal(a.variant, 'rope');
    assert.equal(a.scale, 'full');
    assert.equal(a.seed, 5);
    assert.equal(a.json, true);
    assert.deepEqual({ epochs: a.overrides.epochs, nEmbd: a.overrides.nEmbd, nLayer: a.overrides.nLayer }, { epochs: 3, nEmbd: 64, nLayer: undefined });
  });
});

describe('mingpt CLI: london', () => {
  it('scores the always-London baseline and writes a record', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mingpt-london-'));
    const evalFile = path.join(dir, 'dev.tsv');
    fs.writeFileSync(evalFile, 'Where was A born?\tLondon\nWhere was B born?\tParis\nWhere was C born?\tLondon\nWhere was D born?\tRome\n');
    const r = await run(['london', '--eval-corpus', evalFile, '--results-dir', path.join(dir, 'results'), '--outputs', path.join(dir, 'p.txt'), '--json']);
    assert.equal(r.code, EXIT.ok, r.err);
    assert.match(r.err, /Correct: 2 out of 4: 50.00%/);
    const json = JSON.parse(r.out);
    assert.deepEqual({ accuracy: json.accuracy, correct: json.correct, total: json.total, row: json.row }, { accuracy: 0.5, correct: 2, total: 4, row: 'london' });
    assert.equal(fs.readFileSync(path.join(dir, 'p.txt'), 'utf8'), 'London\nLondon\nLondon\nLondon\n');
    const record = JSON.parse(fs.readFileSync(json.record, 'utf8'));
    assert.equal(record.row, 'london');
    assert.equal(record.correct, 2);
    assert.equal(record.notes, undefined, 'a run on given files has no generated data to note');
    // Named by its id, its predictions kept beside it under the same id.
    assert.equal(path.basename(json.record), `${record.id}.json`);
    assert.match(record.id, /^\d{8}T\d{6}\.\d{3}Z-london-seed0$/);
    assert.equal(fs.readFileSync(path.join(dir, 'results', 'predictions', `${record.id}.txt`), 'utf8'), 'London\nLondon\nLondon\nLondon\n');
    fs.rmSync(dir, { recursive: true });
  });

  it('every verb that reads questions and answers names the line of a mixed file that lacks its tab', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mingpt-mixed-'));
    const mixed = path.join(dir, 'mixed.tsv');
    fs.writeFileSync(mixed, 'Where was A born?\tLondon\nWhere was B born?\tParis\nWhere was C born? London\nWhere was D born?\tRome\n');
    const model = path.join(dir, 'model.params'); // evaluate reads the questions before it loads the model
    fs.writeFileSync(model, 'not read');
    const verbs: [string, string[]][] = [
      ['london', ['london', '--eval-corpus', mixed]],
      ['evaluate', ['evaluate', '--reading-params', model, '--eval-corpus', mixed, '--outputs', path.join(dir, 'p.txt'), '--corpus', 'synthetic']],
      ['finetune', ['finetune', '--finetune-corpus', mixed, '--writing-params', path.join(dir, 'ft.params'), '--corpus', 'synthetic', '--scale', 'smoke']],
    ];
    for (const [verb, argv] of verbs) {
      const r = await run([...argv, '--results-dir', path.join(dir, 'results')]);
      assert.equal(r.code, EXIT.error, `${verb}: ${r.err}`);
      assert.match(r.err, new RegExp(`${mixed.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} line 3: no tab in "Where was C born\\? London"`), `${verb}: ${r.err}`);
    }
    assert.equal(fs.existsSync(path.join(dir, 'p.txt')), false, 'nothing written');
    fs.rmSync(dir, { recursive: true });
  });

  it('writes the records of ad-hoc runs to runs/ or $MINGPT_RUNS_DIR, never to results/', async () => {
    const saved = process.env.MINGPT_RUNS_DIR;
    try {
      delete process.env.MINGPT_RUNS_DIR;
      assert.equal((parseCli(['london']) as CliArgs).resultsDir, 'runs');
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mingpt-runs-'));
      process.env.MINGPT_RUNS_DIR = dir;
      assert.equal((parseCli(['london']) as CliArgs).resultsDir, dir);
      const r = await run(['london', '--corpus', 'synthetic', '--json']);
      assert.equal(r.code, EXIT.ok, r.err);
      assert.equal(path.dirname(JSON.parse(r.out).record), dir);
      assert.equal((parseCli(['london', '--results-dir', 'elsewhere']) as CliArgs).resultsDir, 'elsewhere');
      fs.rmSync(dir, { recursive: true });
    } finally {
      if (saved === undefined) delete process.env.MINGPT_RUNS_DIR;
      else process.env.MINGPT_RUNS_DIR = saved;
    }
  });

  it('records the options of a generated synthetic world, so the run can be reproduced', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mingpt-london-'));
    const r = await run(['london', '--corpus', 'synthetic', '--world-seed', '5', '--results-dir', dir, '--json']);
    assert.equal(r.code, EXIT.ok, r.err);
    const record = JSON.parse(fs.readFileSync(JSON.parse(r.out).record, 'utf8'));
    const options = JSON.parse(record.notes.world);
    const world = generateWorld(options);
    assert.equal(options.seed, 5);
    assert.equal(world.dev.length, record.total);
    assert.equal(world.dev.filter((q) => q.answer === 'London').length, record.correct);
    assert.match(record.notes.data, /^synthetic world \(seed 5\)/);
    fs.rmSync(dir, { recursive: true });
  });
});
