import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { RunRecord, latestRows, readRunRecords, writeRunRecord } from '../lib/results/record';
import { writeFileAtomic } from '../lib/util/atomic';

function record(over: Partial<RunRecord>): RunRecord {
  return {
    format: 'mingpt-run/1', verb: 'evaluate', corpus: 'synthetic', scale: 'smoke', seed: 0, backend: 'wasm', commit: null,
    startedAt: '2026-01-01T10:00:00.000Z', wallSeconds: 1, files: {}, ...over,
  };
}

describe('run records', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mingpt-records-'));
  after(() => fs.rmSync(dir, { recursive: true }));

  it('writes one JSON file per run, never overwriting, with absolute paths, and reads them back', () => {
    const a = writeRunRecord(dir, record({ row: 'london', verb: 'london', accuracy: 0.05, files: { evalCorpus: 'dev.tsv' } }));
    const b = writeRunRecord(dir, record({ row: 'london', verb: 'london', accuracy: 0.05 }));
    assert.notEqual(a, b);
    assert.match(path.basename(a), /^20260101T100000Z-london-smoke-seed0\.json$/);
    fs.writeFileSync(path.join(dir, 'notes.json'), '{"not": "a record"}');
    fs.writeFileSync(path.join(dir, 'broken.json'), '{');
    const all = readRunRecords(dir);
    assert.equal(all.length, 2);
    assert.deepEqual(all.map((r) => r.files.evalCorpus).sort(), [path.resolve('dev.tsv'), undefined]);
    assert.deepEqual(fs.readdirSync(dir).filter((n) => n.includes('.tmp-')), []);
  });

  it('picks the latest scored record of each table row', () => {
    const rows = latestRows([
      record({ row: 'vanilla-pretrain', accuracy: 0.1, startedAt: '2026-01-01T10:00:00.000Z' }),
      record({ row: 'vanilla-pretrain', accuracy: 0.2, startedAt: '2026-01-02T10:00:00.000Z' }),
      record({ row: 'vanilla-pretrain', verb: 'finetune', startedAt: '2026-01-03T10:00:00.000Z' }), // no accuracy
      record({ row: 'london', verb: 'london', accuracy: 0.05 }),
    ]);
    assert.equal(rows['vanilla-pretrain']!.accuracy, 0.2);
    assert.equal(rows.london!.accuracy, 0.05);
    assert.equal(rows['rope-pretrain'], undefined);
  });

  it('replaces files atomically: the target holds the old or the new content, never a mix', () => {
    const f = path.join(dir, 'state.bin');
    writeFileAtomic(f, 'old content');
    writeFileAtomic(f, new Uint8Array([110, 101, 119]));
    assert.equal(fs.readFileSync(f, 'utf8'), 'new');
    // A write that fails before the rename leaves the previous file as it was.
    fs.mkdirSync(path.join(dir, '.blocked.bin.tmp-' + process.pid)); // the temporary path is taken by a directory
    const blocked = path.join(dir, 'blocked.bin');
    fs.writeFileSync(blocked, 'previous');
    assert.throws(() => writeFileAtomic(blocked, 'next'));
    assert.equal(fs.readFileSync(blocked, 'utf8'), 'previous');
  });
});
