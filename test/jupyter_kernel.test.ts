/**
 * The registered kernel "TypeScript (workbook)" runs the checkout that holds the notebook (scripts/jupyter-kernel.sh):
 * two checkouts side by side, one kernelspec, each notebook's first line names its own checkout. Notebooks run
 * through `jupyter nbconvert --execute`, which starts the kernel in the notebook's folder as the notebook servers
 * do; the kernelspec is registered by scripts/setup-jupyter.sh in a temporary JUPYTER_DATA_DIR.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Notebook, readNotebook, text, writeNotebook } from '../scripts/site/notebook';

const ROOT = path.resolve(__dirname, '..');

function hasNbconvert(): boolean {
  return spawnSync('jupyter', ['nbconvert', '--version'], { encoding: 'utf8' }).status === 0;
}

/** A notebook of one cell that prints the checkout whose lib/ it runs and the kernel's folder. */
function whoAmI(): Notebook {
  return {
    cells: [
      {
        cell_type: 'code',
        id: 'who',
        metadata: {},
        // checkoutRoot() is what the first line of every notebook names (describeSession); this module loads fast.
        source: "import { checkoutRoot } from './lib/util/checkout';\nconsole.log(`checkout ${checkoutRoot()}`);\nconsole.log(`cwd ${process.cwd()}`);",
        outputs: [],
        execution_count: null,
      },
    ],
    metadata: { kernelspec: { name: 'workbook-tslab', display_name: 'TypeScript (workbook)', language: 'typescript' } },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

describe('the workbook kernel runs the checkout that holds the notebook', function () {
  this.timeout(600_000);
  let home: string;
  let env: NodeJS.ProcessEnv;
  const cleanup: string[] = [];

  before(function () {
    if (!hasNbconvert()) {
      console.log('      skipped: "jupyter nbconvert" does not run here (bash scripts/setup-jupyter.sh installs it)');
      this.skip();
    }
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'kernel-home-'));
    cleanup.push(home);
    env = { ...process.env, JUPYTER_DATA_DIR: path.join(home, 'data'), JUPYTER_CONFIG_DIR: path.join(home, 'config'), JUPYTER_RUNTIME_DIR: path.join(home, 'runtime') };
    delete env.JUPYTER_PATH;
    const setup = spawnSync('bash', [path.join(ROOT, 'scripts', 'setup-jupyter.sh'), '--quiet'], { env, encoding: 'utf8' });
    assert.equal(setup.status, 0, setup.stderr);
  });

  after(() => {
    for (const dir of cleanup) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Executes `nb` saved as `<dir>/who.ipynb` with nbconvert; returns its stdout text, or the failure's stderr. */
  function execute(dir: string): { ok: boolean; out: string; stderr: string } {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'who.ipynb');
    writeNotebook(file, whoAmI());
    const r = spawnSync('jupyter', ['nbconvert', '--to', 'notebook', '--execute', '--output', 'who.out', '--ExecutePreprocessor.timeout=300', file], { env, encoding: 'utf8', cwd: os.tmpdir() });
    if (r.status !== 0) return { ok: false, out: '', stderr: r.stderr };
    const nb = readNotebook(path.join(dir, 'who.out.ipynb'));
    return { ok: true, out: (nb.cells[0].outputs ?? []).map((o) => text(o.text)).join(''), stderr: r.stderr };
  }

  /** A second checkout beside this one: its own package.json and lib/, this checkout's installed packages. */
  function copyCheckout(): string {
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'workbook-copy-'));
    cleanup.push(other);
    fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(other, 'package.json'));
    fs.cpSync(path.join(ROOT, 'lib'), path.join(other, 'lib'), { recursive: true });
    fs.symlinkSync(fs.realpathSync(path.join(ROOT, 'node_modules')), path.join(other, 'node_modules'));
    return other;
  }

  it('setup-jupyter.sh registers one launcher and installs plotly.js for both kinds of notebook server', () => {
    const data = env.JUPYTER_DATA_DIR as string;
    const spec = JSON.parse(fs.readFileSync(path.join(data, 'kernels', 'workbook-tslab', 'kernel.json'), 'utf8')) as { argv: string[] };
    assert.deepEqual(spec.argv, ['/bin/sh', '{resource_dir}/jupyter-kernel.sh', '{connection_file}']);
    assert.equal(fs.readFileSync(path.join(data, 'kernels', 'workbook-tslab', 'jupyter-kernel.sh'), 'utf8'), fs.readFileSync(path.join(ROOT, 'scripts', 'jupyter-kernel.sh'), 'utf8'));
    const plotly = fs.statSync(require.resolve('plotly.js-dist-min/plotly.min.js')).size;
    for (const served of ['nbextensions/transformers-workbook/plotly.min.js', 'labextensions/transformers-workbook/static/plotly.min.js']) {
      assert.equal(fs.statSync(path.join(data, served)).size, plotly, served);
    }
  });

  it('two checkouts side by side: each notebook runs the lib of the checkout it is in', () => {
    const other = copyCheckout();
    fs.mkdirSync(path.join(ROOT, 'build'), { recursive: true });
    const inHere = fs.mkdtempSync(path.join(ROOT, 'build', 'kernel-test-'));
    cleanup.push(inHere);
    const here = execute(inHere);
    const there = execute(path.join(other, 'notebooks'));
    assert.ok(here.ok, here.stderr);
    assert.ok(there.ok, there.stderr);
    assert.match(here.out, new RegExp(`^checkout ${escapeRegExp(ROOT)}\\ncwd ${escapeRegExp(ROOT)}\\n$`));
    assert.match(there.out, new RegExp(`^checkout ${escapeRegExp(other)}\\ncwd ${escapeRegExp(other)}\\n$`));
  });

  it('a notebook outside any checkout gets no kernel, and the reason', () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'no-workbook-'));
    cleanup.push(outside);
    const r = execute(outside);
    assert.equal(r.ok, false);
    assert.match(r.stderr, new RegExp(`the notebook's folder ${escapeRegExp(fs.realpathSync(outside))} is not inside a workbook checkout`));
  });

  it('a checkout without node_modules is named, with the command that fixes it', () => {
    const other = copyCheckout();
    fs.unlinkSync(path.join(other, 'node_modules'));
    const r = execute(path.join(other, 'notebooks'));
    assert.equal(r.ok, false);
    assert.match(r.stderr, new RegExp(`the workbook checkout ${escapeRegExp(other)} has no .*tslab: run 'npm ci' in ${escapeRegExp(other)}`));
  });
});

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
