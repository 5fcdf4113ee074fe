/**
 * Run records (lib/results/record.ts): one file per run named by its id, paths relative to the project, curves
 * per epoch, no machine path in the notes; and atomic writes.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  PROJECT_ROOT, RECORD_FORMAT, RunRecord, formatRecord, perEpoch, projectPath, readRunRecords, runId, withoutMachinePaths, writeNewRunRecord,
  writeRunRecord,
} from '../lib/results/record';
import { writeFileAtomic, writeFileExclusive } from '../lib/util/atomic';

function record(over: Partial<RunRecord>): RunRecord {
  return {
    format: RECORD_FORMAT, id: 'x', verb: 'evaluate', corpus: 'synthetic', seed: 0, backend: 'wasm', commit: null,
    startedAt: '2026-01-01T10:00:00.123Z', wallSeconds: 1, files: {}, ...over,
  };
}

describe('run records', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mingpt-records-'));
  after(() => fs.rmSync(dir, { recursive: true }));

  it('names a run by its start, verb, variant, preset and seed, and a snapshot by its epoch', () => {
    const startedAt = '2026-11-27T08:41:11.841Z';
    assert.equal(runId({ startedAt, verb: 'pretrain', variant: 'vanilla', preset: 'full', seed: 0 }), '20261127T084111.841Z-pretrain-vanilla-full-seed0');
    assert.equal(runId({ startedAt, verb: 'pretrain', variant: 'rope', preset: 'full', seed: 3, epoch: 100 }), '20261127T084111.841Z-pretrain-rope-full-seed3-e100');
    assert.equal(runId({ startedAt, verb: 'london', seed: 0 }), '20261127T084111.841Z-london-seed0');
  });

  it('writes one file per run named by its id, paths relative to the project, and refuses to replace one', () => {
    const inside = path.join(PROJECT_ROOT, 'results', 'tmp', 'real', 'm.params');
    const file = writeRunRecord(dir, record({ id: 'a', row: 'london', verb: 'london', accuracy: 0.05, files: { evalCorpus: inside, outputs: '/elsewhere/p.txt' } }));
    assert.equal(file, path.join(dir, 'a.json'));
    writeRunRecord(dir, record({ id: 'b', row: 'london', verb: 'london', accuracy: 0.05, startedAt: '2026-01-01T09:00:00.000Z' }));
    assert.throws(() => writeRunRecord(dir, record({ id: 'a' })), /a\.json exists already/);
    fs.writeFileSync(path.join(dir, 'notes.json'), '{"not": "a record"}');
    fs.writeFileSync(path.join(dir, 'broken.json'), '{');
    const all = readRunRecords(dir);
    assert.deepEqual(all.map((r) => r.id), ['b', 'a'], 'oldest first; other files skipped');
    assert.deepEqual(all[1].files, { evalCorpus: 'results/tmp/real/m.params', outputs: '/elsewhere/p.txt' });
    assert.deepEqual(fs.readdirSync(dir).filter((n) => n.includes('.tmp-')), []);
  });

  it('gives a run that starts in the same millisecond as another the next free one, replacing nothing', () => {
    const same = fs.mkdtempSync(path.join(os.tmpdir(), 'mingpt-records-'));
    const idAt = (startedAt: string) => runId({ startedAt, verb: 'evaluate', variant: 'vanilla', seed: 9 });
    const startedAt = '2026-01-01T10:00:00.999Z';
    const base = (accuracy: number) => record({ id: idAt(startedAt), startedAt, accuracy });
    const first = writeNewRunRecord(same, base(0.1));
    const second = writeNewRunRecord(same, base(0.2));
    const third = writeNewRunRecord(same, base(0.3));
    assert.equal(first.record.id, '20260101T100000.999Z-evaluate-vanilla-seed9');
    assert.equal(second.record.id, '20260101T100001.000Z-evaluate-vanilla-seed9', 'the next millisecond, across a second');
    assert.equal(second.record.startedAt, '2026-01-01T10:00:01.000Z', 'the start moves with the id');
    assert.equal(third.record.id, '20260101T100001.001Z-evaluate-vanilla-seed9');
    assert.deepEqual(readRunRecords(same).map((r) => r.accuracy), [0.1, 0.2, 0.3], 'each record kept, none replaced');
    assert.throws(() => writeNewRunRecord(same, record({ startedAt: 'soon' })), /startedAt "soon" is not a time/);
    assert.throws(() => writeNewRunRecord(same, record({ id: 'x', startedAt })), /id x does not begin with its start, 20260101T100000\.999Z/);
    fs.rmSync(same, { recursive: true });
  });

  it('writes a file exclusively: false, and the old content kept, when the name is taken', () => {
    const f = path.join(dir, 'claim.txt');
    assert.equal(writeFileExclusive(f, 'first'), true);
    assert.equal(writeFileExclusive(f, 'second'), false);
    assert.equal(fs.readFileSync(f, 'utf8'), 'first');
    assert.deepEqual(fs.readdirSync(dir).filter((n) => n.includes('.tmp-')), [], 'no temporary file left');
  });

  it('refuses a record whose id is not its file name', () => {
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'mingpt-records-'));
    fs.writeFileSync(path.join(other, 'renamed.json'), formatRecord(record({ id: 'original' })));
    assert.throws(() => readRunRecords(other), /renamed\.json: the record's id is "original", its file name should be original\.json/);
    fs.rmSync(other, { recursive: true });
  });

  it('keeps a curve as one point per epoch: mean loss, tokens and rate at the epoch end', () => {
    const steps = [
      { step: 1, epoch: 1, tokens: 10, loss: 4, lr: 0.1 }, { step: 2, epoch: 1, tokens: 20, loss: 2, lr: 0.09000000000000001 },
      { step: 3, epoch: 2, tokens: 30, loss: 1.5, lr: 0.05 },
    ];
    assert.deepEqual(perEpoch(steps), [{ epoch: 1, tokens: 20, loss: 3, lr: 0.09 }, { epoch: 2, tokens: 30, loss: 1.5, lr: 0.05 }]);
    assert.deepEqual(perEpoch([]), []);
  });

  it('takes machine paths out of notes, and writes lists of flat objects one per line', () => {
    assert.equal(withoutMachinePaths('real corpus from /srv/data/birthplaces (via MINGPT_DATA_DIR): 2000 train / 500 dev pairs'),
      'real corpus from birthplaces (via MINGPT_DATA_DIR): 2000 train / 500 dev pairs');
    assert.equal(withoutMachinePaths(`model ${path.join(PROJECT_ROOT, 'results', 'x.params')}`), 'model results/x.params');
    const text = formatRecord(record({ id: 'c', notes: { data: 'from /home/someone/data' }, curve: [{ epoch: 1, tokens: 5, loss: 2, lr: 0.1 }, { epoch: 2, tokens: 10, loss: 1, lr: 0.1 }] }));
    assert.match(text, /"notes": \{"data":"from data"\}/);
    assert.match(text, /"curve": \[\n  \{"epoch":1,"tokens":5,"loss":2,"lr":0\.1\},\n  \{"epoch":2/);
    assert.ok(text.indexOf('"id"') < text.indexOf('"verb"') && text.indexOf('"files"') < text.indexOf('"curve"'), 'fields in order');
    assert.equal(projectPath('/elsewhere/x'), '/elsewhere/x');
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
