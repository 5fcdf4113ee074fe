/**
 * Executes notebooks through a real Jupyter kernel session (nbclient), one fresh kernel per notebook.
 *
 * The kernel is the project's tslab kernel `workbook-tslab`. The one that scripts/setup-jupyter.sh registers finds
 * its checkout from the notebook's folder (scripts/jupyter-kernel.sh); the build executes notebooks that may lie
 * outside any checkout (the tests write some to a temporary folder), so it writes its own kernelspec, pinned to THIS
 * checkout, under `<buildDir>/jupyter/kernels/` and puts that folder first on JUPYTER_PATH for the executor.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const KERNEL_NAME = 'workbook-tslab';

export interface KernelSetup {
  /** Python interpreter that can import nbclient (the one Jupyter runs on). */
  python: string;
  /** Folder to put first on JUPYTER_PATH: holds kernels/workbook-tslab/kernel.json for `root`. */
  jupyterPath: string;
}

export interface ExecuteOptions {
  kernel: KernelSetup;
  /** Seconds one cell may run before the build fails. */
  cellTimeoutS: number;
  /** Extra environment for the kernel, e.g. { WORKBOOK_SCALE: 'smoke' }. */
  env?: Record<string, string>;
  /** Called after each code cell finishes. */
  onCell?: (cellNumber: number, seconds: number) => void;
}

export interface ExecutionResult {
  input: string;
  output: string;
  seconds: number;
  codeCells: number;
}

/** A cell failed: names the notebook, the cell (1-based, counting every cell) and the kernel's error text. */
export class NotebookExecutionError extends Error {
  constructor(
    readonly notebook: string,
    readonly cellNumber: number | undefined,
    readonly detail: string,
    /** The kernel process itself died (a crash, not an error in the cell's code). */
    readonly kernelDied = false,
  ) {
    super(`${notebook}: ${cellNumber === undefined ? 'execution failed' : `cell ${cellNumber} failed`}\n${detail}`);
    this.name = 'NotebookExecutionError';
  }
}

/** The interpreter of the `jupyter` command (its shebang), where nbclient lives; $WORKBOOK_PYTHON overrides. */
export function findJupyterPython(): string {
  if (process.env.WORKBOOK_PYTHON) return process.env.WORKBOOK_PYTHON;
  for (const command of ['jupyter-nbconvert', 'jupyter']) {
    const which = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
    const file = which.stdout.trim();
    if (which.status !== 0 || !file) continue;
    const first = fs.readFileSync(file, 'utf8').split('\n', 1)[0];
    const m = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(first);
    if (m) return m[1].endsWith('/env') && m[2] ? m[2] : m[1];
  }
  return 'python3';
}

/**
 * Checks that Jupyter can run here and writes the kernelspec for `root`.
 * @throws Error that says how to install Jupyter when nbclient cannot be imported.
 */
export function prepareKernel(root: string, buildDir: string): KernelSetup {
  const tslab = path.join(root, 'node_modules', '.bin', 'tslab');
  if (!fs.existsSync(tslab)) throw new Error(`${tslab} is missing: run 'npm ci' in ${root} first`);
  const python = findJupyterPython();
  const probe = spawnSync(python, ['-c', 'import nbclient, nbformat'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new Error(
      `Jupyter's nbclient cannot be imported by ${python} (${(probe.stderr || String(probe.error)).trim().split('\n').pop()}).\n` +
        `Install Jupyter with 'bash scripts/setup-jupyter.sh' (Debian: apt-get install jupyter-nbconvert), ` +
        `or set WORKBOOK_PYTHON to a Python that has nbclient.`,
    );
  }
  const jupyterPath = path.resolve(buildDir, 'jupyter');
  const specDir = path.join(jupyterPath, 'kernels', KERNEL_NAME);
  fs.mkdirSync(specDir, { recursive: true });
  const quoted = `'${path.resolve(root).replace(/'/g, `'\\''`)}'`;
  const spec = {
    // Jupyter substitutes {connection_file}; sh receives it as $0. The working directory is the project root so that
    // notebooks import the lib as './lib/...'.
    argv: ['/bin/sh', '-c', `cd ${quoted} && exec ./node_modules/.bin/tslab kernel --config-path "$0"`, '{connection_file}'],
    display_name: 'TypeScript (workbook)',
    language: 'typescript',
    metadata: { workbook_root: path.resolve(root) },
  };
  fs.writeFileSync(path.join(specDir, 'kernel.json'), JSON.stringify(spec, null, 2) + '\n');
  return { python, jupyterPath };
}

interface DriverEvent {
  event: 'start' | 'cell' | 'done' | 'error';
  index?: number;
  seconds?: number;
  ename?: string;
  evalue?: string;
  stderr?: string;
  source?: string;
}

const DRIVER = path.join(__dirname, 'execute_notebook.py');

/** Removes terminal colour codes from kernel output. */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
}

function describeFailure(e: DriverEvent, totalCells: number): string {
  const firstLine = (e.source ?? '').split('\n').find((l) => l.trim() !== '') ?? '';
  const message = [e.ename && e.ename !== '<Error>' ? e.ename : '', e.evalue ?? ''].filter(Boolean).join(': ');
  const stderr = stripAnsi(e.stderr ?? '').trim();
  const lines = [`  (cell ${(e.index ?? 0) + 1} of ${totalCells}, starting: ${firstLine.slice(0, 100)})`];
  if (message) lines.push(`  ${message}`);
  // Frames of Node's vm and of tslab itself say nothing about the notebook: keep the cell's own.
  const useful = stderr.split('\n').filter((l) => !/^\s+at .*(\(node:|node:internal|node:vm|tslab\/dist\/)/.test(l) && !/^\s+at async .*tslab/.test(l));
  if (stderr) lines.push(...useful.slice(0, 30).map((l) => `  | ${l}`));
  return lines.join('\n');
}

/** Executes `input` into `output` (the executed copy; written even when a cell fails). */
export function executeNotebook(input: string, output: string, options: ExecuteOptions): Promise<ExecutionResult> {
  const name = path.basename(input);
  const nb = JSON.parse(fs.readFileSync(input, 'utf8')) as { cells: { cell_type: string }[] };
  const codeCells = nb.cells.filter((c) => c.cell_type === 'code').length;
  fs.mkdirSync(path.dirname(output), { recursive: true });
  const started = Date.now();
  const env = {
    ...process.env,
    ...options.env,
    JUPYTER_PATH: [options.kernel.jupyterPath, process.env.JUPYTER_PATH].filter(Boolean).join(path.delimiter),
    PYTHONUNBUFFERED: '1',
  };
  const args = [DRIVER, input, output, KERNEL_NAME, String(options.cellTimeoutS)];
  return new Promise((resolve, reject) => {
    const child = spawn(options.kernel.python, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let pending = '';
    let stderr = '';
    let failure: DriverEvent | undefined;
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl).trim();
        pending = pending.slice(nl + 1);
        if (!line.startsWith('{')) continue;
        const e = JSON.parse(line) as DriverEvent;
        if (e.event === 'cell' && options.onCell) options.onCell((e.index ?? 0) + 1, e.seconds ?? 0);
        if (e.event === 'error') failure = e;
      }
    });
    child.stderr.on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (err) => reject(new NotebookExecutionError(name, undefined, `  could not start ${options.kernel.python}: ${err.message}`)));
    child.on('close', (code) => {
      const seconds = (Date.now() - started) / 1000;
      if (failure) {
        const died = failure.ename === 'DeadKernelError';
        // A dead kernel leaves no output in its cell: its last words are on the driver's stderr.
        const last = died ? '\n  the kernel\'s last stderr lines:\n' + stripAnsi(stderr).trim().split('\n').slice(-15).map((l) => `  | ${l}`).join('\n') : '';
        return reject(new NotebookExecutionError(name, (failure.index ?? 0) + 1, describeFailure(failure, nb.cells.length) + last, died));
      }
      if (code !== 0) {
        const tail = stripAnsi(stderr).trim().split('\n').slice(-15).map((l) => `  | ${l}`).join('\n');
        return reject(new NotebookExecutionError(name, undefined, `  executor exited with status ${code}\n${tail}`));
      }
      resolve({ input, output, seconds, codeCells });
    });
  });
}
