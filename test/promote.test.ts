/** scripts/promote.ts: a run of one's own reaches the curated results only when asked, with its ancestors. */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promote } from '../scripts/promote';
import { RECORD_FORMAT, RunRecord, writeRunRecord } from '../lib/results/record';

describe('promoting runs into the curated results (scripts/promote.ts)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mingpt-promote-'));
  const runs = path.join(dir, 'runs');
  const to = path.join(dir, 'results', 'real');
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const add = (id: string, over: Partial<RunRecord>): void => {
    writeRunRecord(runs, { format: RECORD_FORMAT, id, verb: 'pretrain', corpus: 'real', seed: 0, backend: 'wasm', commit: null, startedAt: '2026-01-01T00:00:00.000Z', wallSeconds: 1, files: {}, ...over });
  };

  it('copies a record with its ancestors and its predictions, once, and refuses to replace another', () => {
    add('pre', {});
    add('ft', { verb: 'finetune', parent: 'pre' });
    add('ev', { verb: 'evaluate', parent: 'ft', accuracy: 0.5, correct: 1, total: 2 });
    add('other', {});
    fs.mkdirSync(path.join(runs, 'predictions'));
    fs.writeFileSync(path.join(runs, 'predictions', 'ev.txt'), 'Paris\nRome\n');
    assert.deepEqual(promote(['ev'], runs, to), [`ev: copied to ${to}/`, `ft: copied to ${to}/`, `pre: copied to ${to}/`]);
    assert.deepEqual(fs.readdirSync(to).sort(), ['ev.json', 'ft.json', 'pre.json', 'predictions']);
    assert.equal(fs.readFileSync(path.join(to, 'predictions', 'ev.txt'), 'utf8'), 'Paris\nRome\n');
    assert.deepEqual(promote(['ft'], runs, to), [`ft: already in ${to}/`, `pre: already in ${to}/`]);
    fs.writeFileSync(path.join(to, 'pre.json'), '{}');
    assert.throws(() => promote(['pre'], runs, to), /pre\.json exists with other content/);
    assert.throws(() => promote(['nope'], runs, to), /no record nope in/);
  });
});
