/**
 * A live notebook, as a reader runs it: a real Jupyter Notebook server (the classic Notebook 6 that Debian
 * packages) on 127.0.0.1 with the workbook's kernel, registered by scripts/setup-jupyter.sh in a temporary
 * JUPYTER_DATA_DIR; headless Chromium opens a notebook, runs every cell through the menu (Cell > Run All), waits
 * for the kernel to go idle, and checks that every figure has drawn, that the page logged no error and that
 * nothing left the machine. Then it saves the notebook through the page and checks that the saved file does
 * not carry plotly.js. A screenshot of each notebook goes to screenshots/live/.
 *
 * The notebooks run from a copy under build/ (inside the checkout, where the kernel finds it), so the committed
 * ones are never touched. It skips, saying why, only where Jupyter's notebook server or Chromium is absent.
 * JupyterLab / Notebook 7 are checked too where `jupyter lab` runs (WORKBOOK_JUPYTERLAB names its `jupyter`).
 * Last, an exported page: the fixture executed as `npm run build` executes it, converted by `jupyter nbconvert --to
 * html` and opened from file:// with the network refused, draws its figures.
 */
import * as assert from 'node:assert/strict';
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { Browser, chromium, Page } from 'playwright-core';
import { executeNotebook, prepareKernel } from '../scripts/site/execute';

const ROOT = path.resolve(__dirname, '..');
const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'notebooks', 'demo.ipynb');
const NOTEBOOK_01 = path.join(ROOT, 'notebooks', '01-single-head-attention.ipynb');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const SHOTS = path.join(ROOT, 'screenshots', 'live');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** Why the live test cannot run here, or undefined when it can. */
function missingTools(jupyter: string, subcommand: string): string | undefined {
  const probe = spawnSync(jupyter, [subcommand, '--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return `"${jupyter} ${subcommand}" does not run (${probe.error?.message ?? probe.stderr.trim().split('\n').pop()})`;
  if (!fs.existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;
  return undefined;
}

interface Server {
  url: string;
  token: string;
  dir: string;
  runtime: string;
  process: ChildProcess;
  log: () => string;
}

/** Environment of a Jupyter isolated from the user's: its own data, config and runtime folders. */
function isolatedEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    JUPYTER_DATA_DIR: path.join(home, 'data'),
    JUPYTER_CONFIG_DIR: path.join(home, 'config'),
    JUPYTER_RUNTIME_DIR: path.join(home, 'runtime'),
    WORKBOOK_SCALE: 'smoke',
  };
  delete env.JUPYTER_PATH;
  delete env.WORKBOOK_PLOTLY;
  return env;
}

/** Starts `jupyter <args>` on a free port of 127.0.0.1 with a random token (`tokenFlag`=TOKEN) serving `dir`. */
async function startServer(jupyter: string, args: string[], tokenFlag: string, dir: string, env: NodeJS.ProcessEnv): Promise<Server> {
  const port = await freePort();
  const token = crypto.randomBytes(16).toString('hex');
  // CI runs as root, which Jupyter refuses without --allow-root.
  const root = process.getuid?.() === 0 ? ['--allow-root'] : [];
  const child = spawn(jupyter, [...args, ...root, `${tokenFlag}=${token}`, '--no-browser', '--ip=127.0.0.1', `--port=${port}`, `--notebook-dir=${dir}`], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  // An interrupted run (Ctrl-C) skips mocha's after hooks: the server (and with it its kernels) goes with the process.
  process.once('exit', () => child.kill('SIGTERM'));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the notebook server exited (${child.exitCode}):\n${log}`);
    try {
      const r = await fetch(`${url}/api/status?token=${token}`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the notebook server did not answer within 60 s:\n${log}`);
    await new Promise((r) => setTimeout(r, 300));
  }
  return { url, token, dir, runtime: env.JUPYTER_RUNTIME_DIR as string, process: child, log: () => log };
}

/** Shuts every kernel down through the API, then the server, and waits for it to exit. */
async function stopServer(server: Server): Promise<void> {
  try {
    const kernels = (await (await fetch(`${server.url}/api/kernels?token=${server.token}`)).json()) as { id: string }[];
    for (const k of kernels) await fetch(`${server.url}/api/kernels/${k.id}?token=${server.token}`, { method: 'DELETE' });
  } catch {
    // the server is already gone
  }
  if (server.process.exitCode === null) {
    const exited = new Promise((r) => server.process.once('exit', r));
    server.process.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (server.process.exitCode === null && server.process.signalCode === null) server.process.kill('SIGKILL');
  }
}

/** Kernel processes still running with a connection file of this server's runtime folder. */
function leftoverKernels(runtime: string): string[] {
  const ps = spawnSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return ps.stdout.split('\n').filter((l) => l.includes(runtime) && l.includes('kernel'));
}

interface PageProblems {
  /**
   * Logged while the page loaded, before any cell ran: the front end's own, not the workbook's. Debian's Notebook 6
   * logs four: its hard-coded attempt to load the ipywidgets extension (a 404, then a refused script) and MathJax's
   * probe of a font at about:blank (refused, then failed).
   */
  beforeRun: string[];
  /** Logged from Run All on. */
  errors: string[];
  external: string[];
}

function watch(page: Page, origin: string): PageProblems {
  const problems: PageProblems = { beforeRun: [], errors: [], external: [] };
  page.on('console', (m) => {
    if (m.type() === 'error') problems.errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.errors.push(`pageerror: ${e.message}`));
  void page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
    problems.external.push(url);
    return route.abort();
  });
  return problems;
}

interface FigureState {
  figures: number;
  drawn: number;
  texts: string[];
}

/** Counts figure divs and those that plotly has drawn (its svg inside the div). */
async function figureState(page: Page): Promise<FigureState> {
  return page.evaluate(() => {
    const plots = Array.from(document.querySelectorAll('.workbook-plot'));
    return {
      figures: plots.length,
      drawn: plots.filter((p) => p.classList.contains('js-plotly-plot') && p.querySelector('.main-svg')).length,
      texts: plots.filter((p) => !p.querySelector('.main-svg')).map((p) => (p.textContent ?? '').slice(0, 300)),
    };
  });
}

/** Waits (up to 2 minutes: plotly.js is 4.8 MB to parse) until every figure div has drawn; returns the last count. */
async function drawnFigures(page: Page): Promise<FigureState> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const state = await figureState(page);
    if ((state.figures > 0 && state.drawn === state.figures) || Date.now() > deadline) return state;
    await page.waitForTimeout(500);
  }
}

/** How to drive one Jupyter front end: its server command, its pages and its menus. */
interface FrontEnd {
  /** For test titles and screenshot names. */
  name: string;
  jupyter: string;
  /** `jupyter <subcommand>`, e.g. 'notebook' or 'lab'. */
  subcommand: string;
  tokenFlag: string;
  notebookPath(file: string): string;
  /** True once the notebook's kernel has started and answered. */
  kernelReady(page: Page): Promise<boolean>;
  /** Runs every cell through the menus, as a reader would. */
  clickRunAll(page: Page): Promise<void>;
  /** True when every code cell has run (none queued or running) and the kernel is idle. */
  allRun(page: Page): Promise<boolean>;
  /** Selectors of a cell's error output and of one output. */
  errorOutput: string;
  output: string;
  /** The element that scrolls the notebook (for screenshots). */
  scroller: string;
  /** Errors the front end itself logs while cells run, whatever the kernel; each with the reason it is not ours. */
  ownErrors: { pattern: RegExp; why: string }[];
}

const CLASSIC: FrontEnd = {
  name: 'classic',
  jupyter: 'jupyter',
  subcommand: 'notebook',
  tokenFlag: '--NotebookApp.token',
  notebookPath: (file) => `/notebooks/${file}`,
  kernelReady: (page) =>
    page.evaluate(() => {
      const J = (window as unknown as { Jupyter?: { notebook?: { kernel?: { is_connected(): boolean; info_reply?: unknown } } } }).Jupyter;
      return !!J?.notebook?.kernel?.is_connected() && !!J.notebook.kernel.info_reply;
    }),
  clickRunAll: async (page) => {
    await page.click('#celllink');
    await page.click('#run_all_cells > a');
  },
  allRun: (page) =>
    page.evaluate(() => {
      const J = (window as unknown as { Jupyter: { notebook: { get_cells(): { cell_type: string; input_prompt_number?: number | string | null }[] } } }).Jupyter;
      const code = J.notebook.get_cells().filter((c) => c.cell_type === 'code');
      return code.every((c) => typeof c.input_prompt_number === 'number') && document.querySelector('#kernel_indicator_icon.kernel_idle_icon') !== null;
    }),
  errorOutput: '.output_error',
  output: '.output_area',
  scroller: '#site',
  ownErrors: [],
};

/** JupyterLab 4 and Notebook 7 share their notebook panel, menus and toolbar. */
function labLike(name: string, jupyter: string, subcommand: 'lab' | 'notebook'): FrontEnd {
  return {
    name,
    jupyter,
    subcommand,
    tokenFlag: '--IdentityProvider.token',
    notebookPath: (file) => (subcommand === 'lab' ? `/lab/tree/${file}` : `/notebooks/${file}`),
    // The indicator says idle before any kernel is chosen: wait for the workbook's kernel by name too.
    kernelReady: (page) =>
      page.evaluate(
        () =>
          (document.querySelector('.jp-Toolbar-kernelName')?.textContent ?? '').includes('TypeScript (workbook)') &&
          document.querySelector('.jp-Notebook-ExecutionIndicator[data-status="idle"]') !== null,
      ),
    clickRunAll: async (page) => {
      await page.click('.lm-MenuBar-itemLabel:text-is("Run")');
      await page.click('.lm-Menu-itemLabel:text-is("Run All Cells")');
    },
    allRun: (page) =>
      page.evaluate(() => {
        const prompts = Array.from(document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')).map((p) => (p.textContent ?? '').trim());
        return prompts.length > 0 && prompts.every((p) => /^\[\d+\]:$/.test(p)) && document.querySelector('.jp-Notebook-ExecutionIndicator[data-status="idle"]') !== null;
      }),
    errorOutput: '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"].jp-mod-error, .jp-RenderedText[data-mime-type="application/vnd.jupyter.error"]',
    output: '.jp-OutputArea-output',
    scroller: '.jp-WindowedPanel-outer',
    ownErrors: [{ pattern: /^pageerror: No active debugger session$/, why: "JupyterLab's debugger panel asks every kernel for a debug session; tslab has none" }],
  };
}

/** The front ends installed here: the classic Notebook always; JupyterLab and Notebook 7 where their `jupyter` has them. */
function frontEnds(): FrontEnd[] {
  const list = [CLASSIC];
  const lab = process.env.WORKBOOK_JUPYTERLAB || 'jupyter';
  if (!missingTools(lab, 'lab')) list.push(labLike('lab', lab, 'lab'));
  const nb7 = spawnSync(lab, ['notebook', '--version'], { encoding: 'utf8' });
  if (nb7.status === 0 && /^7\./.test(nb7.stdout.trim())) list.push(labLike('notebook7', lab, 'notebook'));
  return list;
}

for (const front of frontEnds()) {
  describe(`a live notebook in ${front.name === 'classic' ? 'the classic Jupyter Notebook' : front.name === 'lab' ? 'JupyterLab' : 'Notebook 7'}`, function () {
    this.timeout(600_000);
    let home: string;
    let work: string;
    let server: Server | undefined;
    let browser: Browser | undefined;

    before(async function () {
      const missing = missingTools(front.jupyter, front.subcommand);
      if (missing) {
        console.log(`      skipped: ${missing}`);
        this.skip();
      }
      home = fs.mkdtempSync(path.join(os.tmpdir(), 'live-jupyter-'));
      fs.mkdirSync(path.join(ROOT, 'build'), { recursive: true });
      work = fs.mkdtempSync(path.join(ROOT, 'build', 'live-notebooks-'));
      for (const file of [FIXTURE, NOTEBOOK_01]) fs.copyFileSync(file, path.join(work, path.basename(file)));
      const env = isolatedEnv(home);
      const setup = spawnSync('bash', [path.join(ROOT, 'scripts', 'setup-jupyter.sh'), '--quiet'], { env, encoding: 'utf8' });
      assert.equal(setup.status, 0, setup.stderr);
      server = await startServer(front.jupyter, [front.subcommand], front.tokenFlag, work, env);
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
      fs.mkdirSync(SHOTS, { recursive: true });
    });

    after(async () => {
      await browser?.close();
      if (server) {
        await stopServer(server);
        assert.deepEqual(leftoverKernels(server.runtime), [], 'no kernel outlives the server');
      }
      if (work) fs.rmSync(work, { recursive: true, force: true });
      if (home) fs.rmSync(home, { recursive: true, force: true });
    });

    /** Opens `file`, runs all cells through the menu, waits for idle; returns the page and what it logged. */
    async function runAll(file: string): Promise<{ page: Page; problems: PageProblems }> {
      const s = server as Server;
      const page = await (browser as Browser).newPage({ viewport: { width: 1200, height: 900 } });
      const problems = watch(page, s.url);
      await page.goto(`${s.url}${front.notebookPath(file)}?token=${s.token}`);
      await poll(page, () => front.kernelReady(page), 120_000, 'the kernel to start');
      problems.beforeRun = problems.errors.splice(0);
      await front.clickRunAll(page);
      await poll(page, () => front.allRun(page), 480_000, 'every cell to run');
      return { page, problems };
    }

    async function poll(page: Page, check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
      const deadline = Date.now() + ms;
      while (!(await check())) {
        if (Date.now() > deadline) {
          await page.screenshot({ path: path.join(SHOTS, `${front.name}-timeout.png`) });
          throw new Error(`waited ${ms / 1000} s for ${what} (screenshots/live/${front.name}-timeout.png)\nserver log:\n${(server as Server).log().slice(-3000)}`);
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    }

    /** The errors logged from Run All on, less those the front end logs by itself (`ownErrors`). */
    function ourErrors(problems: PageProblems): string[] {
      return problems.errors.filter((e) => !front.ownErrors.some((o) => o.pattern.test(e)));
    }

    /** NAME-top.png: the first screen; NAME.png: the whole notebook (the front ends scroll a panel, not the page). */
    async function screenshots(page: Page, name: string): Promise<void> {
      await page.evaluate((sel) => document.querySelector(sel)?.scrollTo(0, 0), front.scroller);
      await page.screenshot({ path: path.join(SHOTS, `${name}-top.png`) });
      if (front.name !== 'classic') return;
      await page.addStyleTag({ content: 'html, body { height: auto !important; overflow: visible !important; } #site { height: auto !important; overflow: visible !important; }' });
      await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
    }

    /** Saves through the page (Ctrl-S in command mode) and returns the saved file's text and size. */
    async function save(page: Page, file: string): Promise<{ bytes: number; text: string }> {
      const saved = path.join(work, file);
      const before = fs.statSync(saved).mtimeMs;
      await page.keyboard.press('Escape');
      await page.keyboard.press('Control+s');
      const deadline = Date.now() + 30_000;
      while (fs.statSync(saved).mtimeMs === before && Date.now() < deadline) await page.waitForTimeout(200);
      const text = fs.readFileSync(saved, 'utf8');
      return { bytes: Buffer.byteLength(text), text };
    }

    it('Run All draws both figures of the fixture notebook, logs no error, and saves without plotly.js', async () => {
      const { page, problems } = await runAll('demo.ipynb');
      const state = await drawnFigures(page);
      await screenshots(page, `${front.name}-demo`);
      assert.equal(state.figures, 2, 'two figure outputs');
      assert.equal(state.drawn, 2, `every figure drawn; undrawn ones say: ${state.texts.join(' | ')}`);
      assert.deepEqual(await page.locator(front.errorOutput).allTextContents(), [], 'no cell failed');
      assert.deepEqual(ourErrors(problems), []);
      assert.deepEqual(problems.external, [], 'nothing fetched from outside the machine');
      const saved = await save(page, 'demo.ipynb');
      assert.ok(saved.text.includes('application/vnd.plotly.v1+json'), "the figure is saved in plotly's own mime type too");
      assert.ok(!saved.text.includes('data-workbook=\\"plotly-lib\\"'), 'no copy of plotly.js in the saved notebook');
      assert.ok(saved.bytes < 100_000, `the saved notebook holds ${saved.bytes} bytes`);
      await page.close();
    });

    it('Run All on notebook 01 draws every figure and names this checkout first', async () => {
      const file = path.basename(NOTEBOOK_01);
      const { page, problems } = await runAll(file);
      const state = await drawnFigures(page);
      await screenshots(page, `${front.name}-01`);
      assert.ok(state.figures >= 3, `notebook 01 has figures (found ${state.figures})`);
      assert.equal(state.drawn, state.figures, `every figure drawn; undrawn ones say: ${state.texts.join(' | ')}`);
      assert.deepEqual(await page.locator(front.errorOutput).allTextContents(), [], 'no cell failed');
      assert.deepEqual(ourErrors(problems), []);
      assert.deepEqual(problems.external, []);
      const first = (await page.locator(front.output).first().textContent()) ?? '';
      assert.match(first.trim(), new RegExp(`^tfjs \\w+ · matMul .* · checkout ${ROOT.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`));
      const saved = await save(page, file);
      assert.ok(saved.bytes < 1_000_000, `the saved notebook holds ${saved.bytes} bytes (${state.figures} figures)`);
      await page.close();
    });
  });
}

describe('an exported page: nbconvert HTML of a notebook executed as `npm run build` executes it', function () {
  this.timeout(300_000);
  let tmp: string;

  before(function () {
    const missing = missingTools('jupyter', 'nbconvert');
    if (missing) {
      console.log(`      skipped: ${missing}`);
      this.skip();
    }
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nbconvert-html-'));
  });

  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('draws every figure from file://, with no network', async () => {
    const executed = path.join(tmp, 'demo.ipynb');
    await executeNotebook(FIXTURE, executed, { kernel: prepareKernel(ROOT, tmp), cellTimeoutS: 120, env: { WORKBOOK_SCALE: 'smoke', WORKBOOK_PLOTLY: 'inline' } });
    const r = spawnSync('jupyter', ['nbconvert', '--to', 'html', executed], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const problems = watch(page, 'file://');
      // 5 MB of HTML (plotly.js inline) and MathJax: slow to load on a busy 2-core machine.
      await page.goto(`file://${path.join(tmp, 'demo.html')}`, { waitUntil: 'domcontentloaded', timeout: 180_000 });
      const state = await drawnFigures(page);
      fs.mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: path.join(SHOTS, 'nbconvert-demo.png'), fullPage: true });
      assert.equal(state.figures, 2);
      assert.equal(state.drawn, 2, `undrawn figures say: ${state.texts.join(' | ')}`);
      // nbconvert's template loads require.js and MathJax (Debian's from /usr/share/javascript, others' from the
      // network: refused here, and not the figures' concern).
      const ours = problems.errors.filter((e) => !/Failed to load resource: net::ERR_FAILED/.test(e));
      assert.deepEqual(ours, []);
      assert.ok(problems.external.every((u) => /require|mathjax/i.test(u)), problems.external.join('\n'));
    } finally {
      await browser.close();
    }
  });
});
