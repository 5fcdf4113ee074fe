/**
 * End to end through the real command: `mingpt pretrain`, `finetune` and `evaluate` at the `smoke` scale on
 * the synthetic world, as a user or CI would run them (about two minutes on a 2-core machine).
 */
import * as assert from 'node:assert/strict';
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { generateWorld } from '../lib/data/synthetic_world';
import { answerProfile } from '../lib/eval/answers';
import { readRunRecords } from '../lib/results/record';
import { SCALES } from '../lib/mingpt/presets';

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'mingpt.js');

function mingpt(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** The single JSON line a --json run prints on stdout. */
function jsonLine(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  assert.equal(lines.length, 1, `expected one JSON line on stdout, got:\n${stdout}`);
  return JSON.parse(lines[0]) as Record<string, unknown>;
}

describe('mingpt smoke run on the synthetic world: pretrain -> finetune -> evaluate', function () {
  this.timeout(600000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mingpt-smoke-'));
  const results = path.join(dir, 'results');
  const common = ['--corpus', 'synthetic', '--scale', 'smoke', '--seed', '0', '--json', '--quiet', '--results-dir', results];
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('pretrains (loss falls well below its start), finetunes, and answers with the world\'s places', async () => {
    const pre = await mingpt(['pretrain', ...common, '--writing-params', path.join(dir, 'pre.params')]);
    assert.equal(pre.code, 0, pre.stderr);
    const p = jsonLine(pre.stdout);
    for (const k of ['final_loss', 'tokens', 'seconds']) assert.equal(typeof p[k], 'number', `pretrain JSON lacks ${k}`);
    assert.ok((p.final_loss as number) < 0.65 * (p.first_loss as number), `pretraining loss ${p.first_loss} -> ${p.final_loss}`);

    const ft = await mingpt(['finetune', ...common, '--reading-params', path.join(dir, 'pre.params'), '--writing-params', path.join(dir, 'ft.params')]);
    assert.equal(ft.code, 0, ft.stderr);
    const f = jsonLine(ft.stdout);
    assert.ok((f.final_loss as number) < 0.5 * (f.first_loss as number), `finetuning loss ${f.first_loss} -> ${f.final_loss}`);

    const world = generateWorld({ seed: 0 }); // the world --corpus synthetic trains on
    const nDev = world.dev.length;
    const outputs = path.join(dir, 'predictions.txt');
    const ev = await mingpt(['evaluate', ...common, '--reading-params', path.join(dir, 'ft.params'), '--outputs', outputs]);
    assert.equal(ev.code, 0, ev.stderr);
    const e = jsonLine(ev.stdout);
    assert.match(ev.stderr, new RegExp(`Correct: \\d+ out of ${nDev}: \\d+\\.\\d\\d%`));
    assert.equal(e.total, nDev);
    assert.equal(e.row, 'vanilla-pretrain');
    assert.equal(e.accuracy, (e.correct as number) / nDev);

    // Right or wrong, the answers should be birthplaces of the world, spelled out: at least half of them.
    const places = new Set(world.people.map((x) => x.birthplace));
    const predictions = fs.readFileSync(outputs, 'utf8').split('\n').slice(0, -1);
    assert.equal(predictions.length, nDev);
    const named = predictions.filter((x) => places.has(x)).length;
    assert.ok(named >= nDev / 2, `only ${named}/${nDev} predictions are place names of the world: ${predictions.join(', ')}`);
    // Beside the accuracy: what the same answers would score dealt at random (lib/eval/answers.ts).
    const profile = answerProfile(predictions, world.dev);
    assert.equal(profile.correct, e.correct);
    assert.equal(e.by_chance, profile.byChance);
    assert.match(ev.stderr, new RegExp(`${profile.distinct} different answers? \\(most given: "[^"]+" \\d+x.*\\); the same answers dealt to the questions ` +
      `at random would get ${profile.byChance.toFixed(1)} right, against ${e.correct} here`));

    const records = readRunRecords(results);
    assert.deepEqual(records.map((r) => r.verb).sort(), ['evaluate', 'finetune', 'pretrain']);
    const [preRecord, ftRecord, evRecord] = (['pretrain', 'finetune', 'evaluate'] as const).map((v) => records.find((r) => r.verb === v)!);
    assert.deepEqual(preRecord.preset, { base: 'smoke', overrides: {} });
    assert.equal(preRecord.corpus, 'synthetic');
    assert.equal(preRecord.curve!.length, SCALES.smoke.pretrain.epochs, 'one point per epoch');
    assert.equal(preRecord.trainer!.maxEpochs, SCALES.smoke.pretrain.epochs);
    assert.equal(preRecord.model!.dropout, 0);
    // Lineage by id: each run names the run whose checkpoint it read, and keeps its predictions under its id.
    assert.equal(ftRecord.parent, preRecord.id);
    assert.equal(evRecord.parent, ftRecord.id);
    assert.equal(e.id, evRecord.id);
    assert.deepEqual(fs.readFileSync(path.join(results, 'predictions', `${evRecord.id}.txt`), 'utf8'), fs.readFileSync(outputs, 'utf8'));
  });
});
