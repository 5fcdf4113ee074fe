/**
 * The notebooks in git, and the executor that runs them through a real Jupyter kernel for the build.
 *
 * Committed notebooks carry no outputs (the build executes copies into build/notebooks/), have cell ids and use
 * the project's kernel `workbook-tslab`. The executor tests start real tslab kernels (a few seconds each).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { listNotebooks, parseArgs } from '../scripts/build';
import { executeNotebook, KernelSetup, NotebookExecutionError, prepareKernel } from '../scripts/site/execute';
import { skipOrFail } from './system_helpers';
import { Notebook, NotebookCell, readNotebook, text, toLines, writeNotebook } from '../scripts/site/notebook';

const ROOT = path.resolve(__dirname, '..');
const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'notebooks', 'demo.ipynb');

function committedNotebooks(): string[] {
  const dir = path.join(ROOT, 'notebooks');
  const inFolder = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.ipynb')).map((f) => path.join(dir, f)) : [];
  return [...inFolder, FIXTURE];
}

/** Problems that keep a notebook from being committed, one message per problem. */
function commitProblems(file: string): string[] {
  const problems: string[] = [];
  const nb = readNotebook(file);
  const name = path.relative(ROOT, file);
  if (nb.metadata.kernelspec?.name !== 'workbook-tslab') problems.push(`${name}: kernelspec is "${nb.metadata.kernelspec?.name}", expected "workbook-tslab"`);
  if (nb.nbformat !== 4 || nb.nbformat_minor < 5) problems.push(`${name}: nbformat ${nb.nbformat}.${nb.nbformat_minor}, cell ids need 4.5 or later`);
  const ids = new Set<string>();
  nb.cells.forEach((cell, i) => {
    const where = `${name}: cell ${i + 1}`;
    if (!cell.id) problems.push(`${where} has no id`);
    else if (ids.has(cell.id)) problems.push(`${where} repeats id "${cell.id}"`);
    else if (!/^[a-zA-Z0-9-_]{1,64}$/.test(cell.id)) problems.push(`${where} has an invalid id "${cell.id}"`);
    if (cell.id) ids.add(cell.id);
    if (cell.cell_type === 'code') {
      if ((cell.outputs ?? []).length > 0) problems.push(`${where} has outputs (clear them before committing)`);
      if (cell.execution_count !== null && cell.execution_count !== undefined) problems.push(`${where} has execution_count ${cell.execution_count}`);
    }
  });
  return problems;
}

describe('committed notebooks', () => {
  it('are output-free, have unique cell ids and the workbook-tslab kernelspec', () => {
    const problems = committedNotebooks().flatMap(commitProblems);
    assert.deepEqual(problems, []);
  });

  it('the check itself catches outputs, missing ids and another kernel', () => {
    const nb = readNotebook(FIXTURE);
    nb.metadata.kernelspec = { name: 'python3' };
    delete nb.cells[0].id;
    const code = nb.cells.find((c) => c.cell_type === 'code') as NotebookCell;
    code.outputs = [{ output_type: 'stream', name: 'stdout', text: 'x' }];
    code.execution_count = 1;
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nbcheck-')), 'bad.ipynb');
    writeNotebook(file, nb);
    const problems = commitProblems(file).join('\n');
    assert.match(problems, /kernelspec is "python3"/);
    assert.match(problems, /cell 1 has no id/);
    assert.match(problems, /cell 2 has outputs/);
    assert.match(problems, /cell 2 has execution_count 1/);
  });

  it('readNotebook names the file when it is not a notebook', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nbread-'));
    fs.writeFileSync(path.join(dir, 'broken.ipynb'), '{"cells": [');
    assert.throws(() => readNotebook(path.join(dir, 'broken.ipynb')), /broken\.ipynb: not valid JSON/);
    fs.writeFileSync(path.join(dir, 'other.ipynb'), '{"hello": 1}');
    assert.throws(() => readNotebook(path.join(dir, 'other.ipynb')), /other\.ipynb: not a Jupyter notebook/);
  });

  it('toLines splits like nbformat and text joins back', () => {
    assert.deepEqual(toLines('a\nb\n'), ['a\n', 'b\n']);
    assert.deepEqual(toLines('a\nb'), ['a\n', 'b']);
    assert.deepEqual(toLines(''), []);
    for (const s of ['a\nb\n', 'a\nb', 'x', '\n\n']) assert.equal(text(toLines(s)), s);
  });
});

describe('build command line', () => {
  it('lists notebooks in course order and rejects an unknown --only', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nblist-'));
    for (const f of ['02-b.ipynb', '10-c.ipynb', '01-a.ipynb', 'notes.md']) fs.writeFileSync(path.join(dir, f), '{}');
    assert.deepEqual(listNotebooks(dir), ['01-a.ipynb', '02-b.ipynb', '10-c.ipynb']);
    assert.deepEqual(listNotebooks(dir, ['02', '10-c.ipynb']), ['02-b.ipynb', '10-c.ipynb']);
    assert.throws(() => listNotebooks(dir, ['07']), /--only 07: no such notebook/);
    assert.throws(() => listNotebooks(path.join(dir, 'nope')), /does not exist/);
  });

  it('parses flags and names the bad one', () => {
    const o = parseArgs(['--scale', 'full', '--only', '01,02', '--no-execute']);
    assert.equal(o.scale, 'full');
    assert.deepEqual(o.only, ['01', '02']);
    assert.equal(o.execute, false);
    assert.throws(() => parseArgs(['--bogus']), /unknown argument "--bogus"/);
    assert.throws(() => parseArgs(['--scale']), /--scale needs a value/);
    assert.throws(() => parseArgs(['--cell-timeout', '-3']), /--cell-timeout must be a positive/);
  });
});

describe('executing notebooks through the tslab kernel', function () {
  // A kernel starts in seconds on an idle machine, in a minute or two when other work shares its 2 cores.
  this.timeout(300_000);
  let kernel: KernelSetup;
  let tmp: string;

  before(function () {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nbexec-'));
    try {
      kernel = prepareKernel(ROOT, tmp);
    } catch (e) {
      skipOrFail(this, e instanceof Error ? e.message : String(e));
    }
  });

  it('writes a kernelspec for this checkout', () => {
    const spec = JSON.parse(fs.readFileSync(path.join(kernel.jupyterPath, 'kernels', 'workbook-tslab', 'kernel.json'), 'utf8')) as { argv: string[] };
    assert.equal(spec.argv[0], '/bin/sh');
    assert.ok(spec.argv[2].includes(`cd '${ROOT}'`), spec.argv[2]);
    assert.equal(spec.argv[3], '{connection_file}');
  });

  it('executes a copy with outputs, passes WORKBOOK_SCALE and leaves the source untouched', async () => {
    const before = fs.readFileSync(FIXTURE, 'utf8');
    const out = path.join(tmp, 'demo.ipynb');
    const seen: number[] = [];
    const env = { WORKBOOK_SCALE: 'smoke', WORKBOOK_PLOTLY: 'inline' }; // as `npm run build` executes
    const result = await executeNotebook(FIXTURE, out, { kernel, cellTimeoutS: 240, env, onCell: (n) => seen.push(n) });
    assert.equal(fs.readFileSync(FIXTURE, 'utf8'), before);
    const nb: Notebook = readNotebook(out);
    const codeNumbers = nb.cells.map((c, i) => (c.cell_type === 'code' ? i + 1 : 0)).filter((n) => n > 0);
    assert.deepEqual(seen, codeNumbers);
    assert.equal(result.codeCells, codeNumbers.length);
    const outputsOf = (i: number) => nb.cells[i].outputs ?? [];
    assert.equal(text(outputsOf(1)[0].text), 'scale is smoke\n');
    assert.equal(outputsOf(2)[0].name, 'stderr');
    assert.match(text(outputsOf(3)[0].data?.['text/html'] as string[]), /<table>/);
    const outputs = nb.cells.flatMap((c) => c.outputs ?? []);
    const figureHtml = outputs.map((o) => text(o.data?.['text/html'] as string[] | undefined));
    assert.equal(figureHtml.filter((h) => h.includes('class="workbook-plot"')).length, 2);
    // WORKBOOK_PLOTLY=inline: plotly.js once, in an output of its own before the first figure.
    assert.deepEqual(figureHtml.map((h) => (h.includes('data-workbook="plotly-lib"') ? 'lib' : h.includes('workbook-plot') ? 'figure' : '')).filter(Boolean), ['lib', 'figure', 'figure']);
    // Each figure is one output that also holds the figure in plotly's own mime type (VS Code, JupyterLab's plotly renderer).
    const plotly = outputs.map((o) => o.data?.['application/vnd.plotly.v1+json'] as { data: { type: string }[]; layout: { title: { text: string } } } | undefined).filter((d) => d !== undefined);
    assert.deepEqual(plotly.map((f) => [f?.data[0].type, f?.layout.title.text]), [['scatter', 'squares'], ['heatmap', 'a 2x2 heatmap']]);
    assert.deepEqual(nb.cells.filter((c) => c.cell_type === 'code').map((c) => c.execution_count), codeNumbers.map((_, k) => k + 1));
    // 40 progress updates of one display: the executed copy keeps one output, the last state.
    const progress = nb.cells.find((c) => text(c.source).includes('progressDisplay('))?.outputs ?? [];
    assert.equal(progress.length, 1, JSON.stringify(progress).slice(0, 500));
    assert.match(text(progress[0].data?.['text/plain'] as string | string[]), /^demo \[#{24}\] 40\/40 epoch 1 loss 0\.0250 /);
  });

  function notebookWith(sources: string[]): string {
    const nb = readNotebook(FIXTURE);
    nb.cells = [
      { cell_type: 'markdown', id: 'm', metadata: {}, source: '# Broken on purpose' },
      ...sources.map((s, i): NotebookCell => ({ cell_type: 'code', id: `c${i}`, metadata: {}, source: toLines(s), outputs: [], execution_count: null })),
    ];
    const file = path.join(tmp, `broken-${sources.length}-${Math.abs(sources.join('').length)}.ipynb`);
    writeNotebook(file, nb);
    return file;
  }

  it('a thrown error names the notebook, the cell number and the error, and stops there', async () => {
    const file = notebookWith(['const ok = 1;\nconsole.log(ok);', "throw new RangeError('deliberate failure');", "console.log('never');"]);
    const out = path.join(tmp, 'broken-out.ipynb');
    const err = await executeNotebook(file, out, { kernel, cellTimeoutS: 60 }).then(
      () => assert.fail('expected the notebook to fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof NotebookExecutionError, String(err));
    assert.equal(err.cellNumber, 3);
    assert.match(err.message, new RegExp(`^${path.basename(file).replace('.', '\\.')}: cell 3 failed`));
    assert.match(err.message, /RangeError: deliberate failure/);
    const partial = readNotebook(out);
    assert.equal(text(partial.cells[1].outputs?.[0].text), '1\n');
    assert.deepEqual(partial.cells[3].outputs, []);
  });

  it('a type error is reported with the compiler message', async () => {
    const file = notebookWith(["const n: number = 'not a number';"]);
    const err = await executeNotebook(file, path.join(tmp, 'type-out.ipynb'), { kernel, cellTimeoutS: 60 }).then(
      () => assert.fail('expected the notebook to fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof NotebookExecutionError);
    assert.equal(err.cellNumber, 2);
    assert.match(err.message, /Type 'string' is not assignable to type 'number'/);
  });
});
