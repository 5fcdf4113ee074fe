/**
 * The same experiment on several worlds (lib/results/worlds.ts): which folders count as worlds, the averages and
 * their standard errors against hand-computed ones, the per-world gaps, the sentences and the figure.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { RECORD_FORMAT, RunRecord, TableRow, writeRunRecord } from '../lib/results/record';
import { loadResults } from '../lib/results/load';
import { resultsTable } from '../lib/results/format';
import { gapAcrossWorlds, loadWorldRuns, rowsAcrossWorlds, worldsFigure, worldsSection } from '../lib/results/worlds';

/** Writes one world's four rows (right answers out of `total` each) into `dir`, with its world.json. */
function writeWorldRuns(dir: string, seed: number, correct: Record<TableRow, number>, total = 200, options: Record<string, unknown> = { people: 280 }): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'world.json'), JSON.stringify({ generator: 'test', options: { seed, ...options } }));
  let n = 0;
  const add = (r: Partial<RunRecord> & Pick<RunRecord, 'verb'>): RunRecord => {
    const full: RunRecord = {
      format: RECORD_FORMAT, id: `w${seed}-${++n}`, corpus: 'synthetic', seed, backend: 'wasm', commit: 'abc',
      startedAt: new Date(Date.UTC(2026, 0, 1, 10, n)).toISOString(), wallSeconds: 1, files: {}, ...r,
    };
    writeRunRecord(dir, full);
    return full;
  };
  const score = (row: TableRow) => ({ row, accuracy: correct[row] / total, correct: correct[row], total });
  add({ verb: 'london', ...score('london') });
  const scratch = add({ verb: 'finetune', variant: 'vanilla', preset: { base: 'smoke', overrides: {} } });
  add({ verb: 'evaluate', variant: 'vanilla', parent: scratch.id, ...score('vanilla-nopretrain') });
  for (const variant of ['vanilla', 'rope'] as const) {
    const pre = add({ verb: 'pretrain', variant, preset: { base: 'smoke', overrides: {} }, tokens: 1e6, completed: true });
    const ft = add({ verb: 'finetune', variant, parent: pre.id, preset: { base: 'smoke', overrides: {} } });
    add({ verb: 'evaluate', variant, parent: ft.id, ...score(variant === 'rope' ? 'rope-pretrain' : 'vanilla-pretrain') });
  }
}

const rows = (london: number, nopre: number, vanilla: number, rope: number): Record<TableRow, number> =>
  ({ london, 'vanilla-nopretrain': nopre, 'vanilla-pretrain': vanilla, 'rope-pretrain': rope });

describe('results across worlds (lib/results/worlds)', () => {
  const dirs: string[] = [];
  const lab = (): string => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'mingpt-worlds-'));
    dirs.push(d);
    return d;
  };
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it('reads notebook 7\'s world and every world under worlds/, by seed, and skips a world without four rows', () => {
    const dir = lab();
    writeWorldRuns(path.join(dir, 'synthetic'), 0, rows(10, 8, 25, 40));
    writeWorldRuns(path.join(dir, 'worlds', 'world2'), 2, rows(10, 6, 20, 30));
    writeWorldRuns(path.join(dir, 'worlds', 'world1'), 1, rows(10, 9, 30, 36));
    fs.mkdirSync(path.join(dir, 'worlds', 'world3'));
    fs.writeFileSync(path.join(dir, 'worlds', 'world3', 'world.json'), JSON.stringify({ options: { seed: 3, people: 280 } }));
    const runs = loadWorldRuns(dir);
    assert.deepEqual(runs.map((r) => r.world), [0, 1, 2]);
    assert.deepEqual(runs[1].table.map((e) => e.score.correct), [10, 9, 30, 36]);
  });

  it('refuses worlds that differ in more than their seed, naming the file and the option', () => {
    const dir = lab();
    writeWorldRuns(path.join(dir, 'synthetic'), 0, rows(10, 8, 25, 40));
    writeWorldRuns(path.join(dir, 'worlds', 'world1'), 1, rows(10, 9, 30, 36), 200, { people: 300 });
    assert.throws(() => loadWorldRuns(dir), /world1\/world\.json: option "people" is 300, but 280 in .*synthetic\/world\.json/);
  });

  it('averages each row over the worlds, with the larger of the spread\'s and the question count\'s standard error', () => {
    const dir = lab();
    // vanilla: 20%, 30%, 25% -> mean 25%, sd 5 points, spread se 5 / sqrt 3 = 2.887; count se sqrt(.25 .75 / 600) = 1.768.
    // London: 5% in every world -> no spread; count se sqrt(.05 .95 / 600) = 0.890.
    writeWorldRuns(path.join(dir, 'synthetic'), 0, rows(10, 8, 40, 40));
    writeWorldRuns(path.join(dir, 'worlds', 'a'), 1, rows(10, 8, 60, 40));
    writeWorldRuns(path.join(dir, 'worlds', 'b'), 2, rows(10, 8, 50, 40));
    const across = rowsAcrossWorlds(loadWorldRuns(dir));
    const vanilla = across.find((r) => r.row === 'vanilla-pretrain')!;
    assert.ok(Math.abs(vanilla.mean - 0.25) < 1e-12);
    assert.ok(Math.abs(vanilla.se - 0.05 / Math.sqrt(3)) < 1e-12);
    const london = across.find((r) => r.row === 'london')!;
    assert.ok(Math.abs(london.se - Math.sqrt((0.05 * 0.95) / 600)) < 1e-12);
    assert.deepEqual(vanilla.perWorld.map((p) => p.world), [0, 1, 2]);
  });

  it('measures a gap on the per-world differences and counts the worlds where it holds', () => {
    const dir = lab();
    // vanilla - London per world: +15, +25, -2 points -> mean 12.667, sd 13.65, spread se 7.88 (> count se 2.07).
    writeWorldRuns(path.join(dir, 'synthetic'), 0, rows(10, 8, 40, 40));
    writeWorldRuns(path.join(dir, 'worlds', 'a'), 1, rows(10, 8, 60, 40));
    writeWorldRuns(path.join(dir, 'worlds', 'b'), 2, rows(10, 8, 6, 40));
    const g = gapAcrossWorlds(loadWorldRuns(dir), 'vanilla-pretrain', 'london');
    const d = [0.15, 0.25, -0.02];
    const m = (0.15 + 0.25 - 0.02) / 3;
    const sd = Math.sqrt(d.reduce((s, x) => s + (x - m) ** 2, 0) / 2);
    assert.ok(Math.abs(g.mean - m) < 1e-12);
    assert.ok(Math.abs(g.se - sd / Math.sqrt(3)) < 1e-12);
    assert.ok(Math.abs(g.z - m / (sd / Math.sqrt(3))) < 1e-9);
    assert.equal(g.above, 2);
    assert.equal(g.worlds, 3);
  });

  it('says what the averages bear out, and draws one dot per world and row plus the averages', () => {
    const dir = lab();
    writeWorldRuns(path.join(dir, 'synthetic'), 0, rows(10, 8, 26, 40));
    writeWorldRuns(path.join(dir, 'worlds', 'a'), 1, rows(10, 9, 24, 36));
    writeWorldRuns(path.join(dir, 'worlds', 'b'), 2, rows(10, 7, 25, 30));
    const runs = loadWorldRuns(dir);
    const section = worldsSection(runs);
    const text = section.findings.join(' ');
    assert.match(text, /3 worlds, 600 dev questions in all/);
    assert.match(text, /pretrained vanilla scored from 12\.0% to 13\.0%/);
    assert.match(text, /Pretraining lifts vanilla above no pretraining, by several standard errors: 8\.5 points above, [\d.]+ standard errors; above in 3 of 3 worlds/);
    assert.match(text, /Pretrained vanilla beats the London baseline, by several standard errors: 7\.5 points above/);
    assert.match(text, /RoPE does at least as well as vanilla on average/);
    const fig = worldsFigure(rowsAcrossWorlds(runs));
    const dots = fig.data.filter((t) => t.type === 'scatter' && !t.error_y);
    assert.equal(dots.length, 3);
    assert.ok(dots.every((t) => t.type === 'scatter' && t.y.length === 4));
    assert.equal(dots.filter((t) => t.showlegend).length, 2, 'one legend entry for world 0, one for the others');
    const avg = fig.data.find((t) => t.type === 'scatter' && t.error_y);
    assert.ok(avg && avg.type === 'scatter');
    assert.deepEqual(avg.y.map((y) => +y.toFixed(6)), [5, 4, 12.5, 17.666667]);
  });

  it('with the gap within the spread, says the worlds do not bear the claim out', () => {
    const dir = lab();
    writeWorldRuns(path.join(dir, 'synthetic'), 0, rows(10, 8, 20, 40));
    writeWorldRuns(path.join(dir, 'worlds', 'a'), 1, rows(10, 9, 4, 36));
    const text = worldsSection(loadWorldRuns(dir)).findings.join(' ');
    assert.match(text, /The worlds do not bear out that pretraining lifts vanilla above no pretraining: 1\.8 points above, [\d.]+ standard errors; above in 1 of 2 worlds/);
  });

  it("gives notebook 8's table a sentence with the averages over the worlds, and none for one world", () => {
    const dir = lab();
    writeWorldRuns(path.join(dir, 'synthetic'), 0, rows(10, 8, 26, 40));
    assert.ok(!resultsTable(loadResults(dir), loadWorldRuns(dir)).findings.some((f) => f.includes('worlds')));
    writeWorldRuns(path.join(dir, 'worlds', 'a'), 1, rows(10, 9, 24, 36));
    const sentence = resultsTable(loadResults(dir), loadWorldRuns(dir)).findings.find((f) => f.includes('worlds'));
    assert.equal(sentence, 'Synthetic world: the same experiment on 2 worlds, each drawn and trained with its own seed (notebook 7, last section), ' +
      'averages Baseline ("London") 5.0% ± 1.1, Vanilla (no pretraining) 4.3% ± 1.0, Vanilla (pretraining) 12.5% ± 1.7, RoPE (pretraining) 19.0% ± 2.0.');
  });

  it('with one world, says that more are needed instead of drawing', () => {
    const dir = lab();
    writeWorldRuns(path.join(dir, 'synthetic'), 0, rows(10, 8, 20, 40));
    const section = worldsSection(loadWorldRuns(dir));
    assert.equal(section.figure, undefined);
    assert.match(section.findings[0], /Only 1 world is recorded; `scripts\/results\.sh worlds` records more/);
  });
});
