/**
 * The "ask the models" page (site/ask/) in headless Chromium: it answers dev questions exactly as the CLI's recorded
 * evaluation of the same checkpoint did, character for character, on the WebAssembly backend from file:// and on
 * WebGL from a static server; every attention row it draws sums to 1; nothing leaves the machine; no console error.
 *
 * By default the page is built here from small synthetic models that `scripts/results.sh synthetic` trains in a
 * temporary folder (shortened: the test checks agreement, not accuracy). With SITE_DIR=site (`npm run test:site`,
 * after `npm run build`) the checks run on the built page instead, against the records it names (found in results/
 * and build/ask/results/, or in the folders of ASK_RESULTS_DIRS).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { AddressInfo } from 'net';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';
import { openingQuestion, recalledByAll, writeAskPage } from '../scripts/site/ask_page';
import { recordedPredictions } from '../scripts/site/ask_models';
import { writeAssets } from '../scripts/site/site';
import type { AskData } from '../scripts/site/ask/data';

const ROOT = path.resolve(__dirname, '..');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
/** Dev questions checked per backend (all of them when the dev set is smaller). */
const QUESTIONS = 16;

function serve(dir: string): Promise<http.Server> {
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.woff2': 'font/woff2' };
  const server = http.createServer((req, res) => {
    const rel = decodeURIComponent((req.url ?? '/').split('?')[0]);
    const file = path.join(dir, rel.endsWith('/') ? rel + 'index.html' : rel);
    if (!file.startsWith(dir) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Reads models.js back into its data. */
function readData(askDir: string): AskData {
  const text = fs.readFileSync(path.join(askDir, 'models.js'), 'utf8');
  const json = /^window\.askPage\.setData\((.*)\);\s*$/s.exec(text);
  if (!json) throw new Error(`${askDir}/models.js is not what ask_page.ts writes`);
  return JSON.parse(json[1]) as AskData;
}

/** Spread over the dev set, so that several answers (right and wrong) are checked. */
function sample(n: number, k: number): number[] {
  if (n <= k) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: k }, (_, i) => Math.floor((i * n) / k));
}

describe('ask page: the question it opens on', () => {
  const dev = ['Paris', 'Rome', 'Oslo', 'Lima'].map((answer, i) => ({ question: `Where was P${i} born?`, answer, line: i + 1, file: 'dev' }));
  const answers = (rows: Record<string, string[]>): Map<string, string[]> => new Map(Object.entries(rows));

  it('one both pretrained models answer right and the model without pretraining gets wrong', () => {
    const rows = {
      'vanilla-nopretrain': ['Paris', 'Rome', 'Lima', 'Lima'],
      'vanilla-pretrain': ['Paris', 'Rome', 'Oslo', 'Lima'],
      'rope-pretrain': ['Paris', 'Rome', 'Oslo', 'Lima'],
    };
    const opening = openingQuestion(dev, answers(rows));
    assert.equal(opening.index, 2);
    assert.match(opening.why, /because the pretrained models answer it right and the model without pretraining does not;/);
  });

  it('prefers a person both pretrained models also recalled before finetuning', () => {
    const rows = {
      'vanilla-nopretrain': ['x', 'x', 'x', 'x'],
      'vanilla-pretrain': ['Paris', 'Rome', 'Oslo', 'x'],
      'rope-pretrain': ['Paris', 'Rome', 'Oslo', 'Lima'],
    };
    const stored = openingQuestion(dev, answers(rows), new Set([2, 3]));
    assert.equal(stored.index, 2, 'dev 3 is recalled, but vanilla answers it wrong; dev 0 and 1 are answered but not recalled');
    assert.match(stored.why, /and both recalled the place before finetuning;/);
    assert.equal(openingQuestion(dev, answers(rows), new Set([3])).index, 0, 'no stored-and-retrieved question: the lesson alone');
    const recall = (recalled: number[]) => ({ source: '', window: 64, byDev: Object.fromEntries([0, 1, 2, 3].map((i) => [i, { prefix: '', continuation: '', recalled: recalled.includes(i) }])) });
    assert.deepEqual([...recalledByAll([{ pretrain: 'v', recall: recall([0, 2, 3]) }, { pretrain: 'r', recall: recall([2, 3]) }, {}])], [2, 3]);
    assert.deepEqual([...recalledByAll([{ pretrain: 'v', recall: recall([0]) }, { pretrain: 'r' }])], [], 'a pretrained model without a probe: nothing known');
  });

  it('failing that, one both pretrained models answer right, then one RoPE answers right, else the first', () => {
    const both = openingQuestion(dev, answers({ 'vanilla-nopretrain': ['Paris', 'Rome', 'Oslo', 'Lima'], 'vanilla-pretrain': ['x', 'Rome', 'x', 'x'], 'rope-pretrain': ['x', 'Rome', 'Oslo', 'x'] }));
    assert.deepEqual([both.index, /because the pretrained models answer it right;/.test(both.why)], [1, true]);
    const rope = openingQuestion(dev, answers({ 'vanilla-pretrain': ['x', 'x', 'x', 'x'], 'rope-pretrain': ['x', 'x', 'x', 'Lima'] }));
    assert.deepEqual([rope.index, /because the RoPE model answers it right;/.test(rope.why)], [3, true]);
    assert.deepEqual(openingQuestion(dev, answers({ 'vanilla-pretrain': ['x', 'x', 'x', 'x'], 'rope-pretrain': ['x', 'x', 'x', 'x'] })), { index: 0, why: '' });
    assert.deepEqual(openingQuestion(dev, new Map()), { index: 0, why: '' }, 'no answers at all (no dev set on the build machine)');
    const onlyRope = openingQuestion(dev, answers({ 'rope-pretrain': ['Paris', 'x', 'x', 'x'] }));
    assert.deepEqual([onlyRope.index, /RoPE model/.test(onlyRope.why)], [0, true], 'one pretrained row alone is not "the pretrained models"');
    const onlyVanilla = openingQuestion(dev, answers({ 'vanilla-pretrain': ['x', 'Rome', 'Oslo', 'x'] }), new Set([2]));
    assert.equal(onlyVanilla.index, 2, 'a page with one pretrained model opens on a question it answers and recalled');
    assert.match(onlyVanilla.why, /because the pretrained vanilla model answers it right, and it recalled the place before finetuning;/);
    assert.doesNotMatch(onlyVanilla.why, /without pretraining/, 'no claim about a model the page does not have');
    const noNopre = openingQuestion(dev, answers({ 'vanilla-pretrain': ['x', 'Rome', 'x', 'x'], 'rope-pretrain': ['x', 'Rome', 'x', 'x'] }));
    assert.deepEqual([noNopre.index, noNopre.why.includes('without pretraining')], [1, false]);
  });
});

describe('ask page in headless Chromium', function () {
  this.timeout(900_000);
  let siteDir: string;
  let askDir: string;
  let resultsDirs: string[];
  let data: AskData;
  let browser: Browser;
  let context: BrowserContext;
  let server: http.Server;
  const offMachine: string[] = [];
  const shots = path.join(ROOT, 'screenshots', process.env.SITE_DIR ? 'ask' : 'ask-fixture');

  before(async () => {
    if (process.env.SITE_DIR) {
      siteDir = path.resolve(process.env.SITE_DIR);
      // The records the build read (ASK_RESULTS_DIRS, colon-separated, for a page built from other folders).
      resultsDirs = process.env.ASK_RESULTS_DIRS?.split(':') ?? [path.join(ROOT, 'results'), path.join(ROOT, 'build', 'ask', 'results')];
    } else {
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ask-'));
      siteDir = path.join(tmp, 'site');
      resultsDirs = [path.join(tmp, 'results')];
      writeAssets(siteDir);
      await writeAskPage({
        siteDir, resultsDirs: [], trainDir: resultsDirs[0], syntheticOnly: true, log: () => undefined,
        trainEnv: { SYN_PRETRAIN: '--epochs 4', SYN_FINETUNE: '--epochs 4 --learning-rate 6e-4' },
      });
    }
    askDir = path.join(siteDir, 'ask');
    if (!fs.existsSync(path.join(askDir, 'index.html'))) throw new Error(`${askDir}/index.html is missing: run 'npm run build' first`);
    data = readData(askDir);
    if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install it (Debian: apt-get install chromium) or set CHROMIUM_PATH`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-background-networking', '--enable-unsafe-swiftshader'] });
    context = await browser.newContext({ viewport: { width: 1300, height: 1000 } });
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      const local = ['file:', 'data:', 'blob:', 'about:'].includes(url.protocol) || url.hostname === '127.0.0.1';
      if (local) return route.continue();
      offMachine.push(url.href);
      return route.abort();
    });
    server = await serve(siteDir);
    fs.mkdirSync(shots, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    server?.close();
  });

  /** Opens the page, waits for its first answers; collects console errors and failed requests. */
  async function open(url: string): Promise<{ page: Page; problems: string[] }> {
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
    await page.goto(url, { waitUntil: 'load', timeout: 120_000 }); // a loaded machine parses the 1 MB of scripts slowly
    await page.waitForFunction(() => document.body.dataset.failed === 'true' || Array.from(document.querySelectorAll('.model')).every((m) => (m as HTMLElement).dataset.done === 'true' && document.body.dataset.ready), null, { timeout: 300_000 }); // WebGL in software compiles its shaders slowly
    const failed = await page.evaluate(() => (document.body.dataset.failed ? document.getElementById('status')!.textContent : undefined));
    if (failed) problems.push(failed);
    return { page, problems };
  }

  /** The page's answers to dev question i, model by model. */
  async function answersTo(page: Page, question: string): Promise<Record<string, string>> {
    await page.evaluate((q) => (window as unknown as { askPage: { page: { ask(q: string): Promise<void> } } }).askPage.page.ask(q), question);
    return page.evaluate(() => Object.fromEntries(Array.from(document.querySelectorAll<HTMLElement>('.model')).map((m) => [m.dataset.row!, m.dataset.answer ?? ''])));
  }

  /** Compares the page's answers with the recorded predictions of each model's evaluation, on a spread of dev questions. */
  async function compare(page: Page, count: number): Promise<{ checked: number; mismatches: string[] }> {
    const mismatches: string[] = [];
    const recorded = Object.fromEntries(data.models.map((m) => [m.row, recordedPredictions(resultsDirs, m.evaluation)]));
    for (const m of data.models) assert.ok(recorded[m.row]?.length === data.dev.length, `${m.evaluation}: no recorded predictions for the ${data.dev.length} dev questions`);
    let checked = 0;
    for (const i of sample(data.dev.length, count)) {
      const got = await answersTo(page, data.dev[i].question);
      for (const m of data.models) {
        checked++;
        if (got[m.row] !== recorded[m.row]![i]) mismatches.push(`${m.row}, dev ${i} "${data.dev[i].question}": page ${JSON.stringify(got[m.row])}, CLI ${JSON.stringify(recorded[m.row]![i])}`);
      }
    }
    return { checked, mismatches };
  }

  it('from file:// (WebAssembly): answers dev questions as the CLI recorded them, character for character', async () => {
    assert.ok(data.dev.length > 0, 'the page has no dev questions');
    assert.deepEqual(data.models.map((m) => m.row), ['vanilla-nopretrain', 'vanilla-pretrain', 'rope-pretrain']);
    const { page, problems } = await open('file://' + path.join(askDir, 'index.html?backend=wasm'));
    assert.equal(await page.evaluate(() => document.body.dataset.backend), 'wasm');
    assert.equal(await page.inputValue('#question'), data.dev[data.opening.index].question, 'the page opens on the question the build chose');
    if (data.opening.why) assert.ok((await page.textContent('#gold'))!.endsWith(data.opening.why));
    await page.screenshot({ path: path.join(shots, 'ask.png'), fullPage: true });
    const { checked, mismatches } = await compare(page, QUESTIONS);
    await page.close();
    assert.deepEqual(mismatches, []);
    assert.ok(checked >= 3 * Math.min(QUESTIONS, data.dev.length));
    assert.deepEqual(problems, []);
    assert.deepEqual(offMachine, []);
  });

  it('the heatmaps: one per layer and head, rows sum to 1, click a head to see it large', async () => {
    const { page, problems } = await open('file://' + path.join(askDir, 'index.html?backend=wasm'));
    for (const m of data.models) {
      await page.click(`#attention-models button[data-row="${m.row}"]`);
      const thumbs = await page.$$('#heads canvas.thumb');
      assert.equal(thumbs.length, m.config.nLayer * m.config.nHead, `${m.row}: thumbnails`);
      const last = thumbs[thumbs.length - 1];
      await last.click();
      const big = await page.evaluate(() => {
        const c = document.getElementById('big') as HTMLCanvasElement;
        return { model: c.dataset.model, layer: Number(c.dataset.layer), head: Number(c.dataset.head), weights: JSON.parse(c.dataset.weights ?? '[]') as number[][], width: c.width };
      });
      assert.deepEqual([big.model, big.layer, big.head], [m.row, m.config.nLayer - 1, m.config.nHead - 1]);
      assert.ok(big.weights.length > 0 && big.width > 0, `${m.row}: an empty heatmap`);
      big.weights.forEach((row, r) => {
        const sum = row.reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(sum - 1) < 1e-4, `${m.row} row ${r} sums to ${sum}`);
        assert.ok(row.every((w) => w >= 0));
      });
    }
    await page.screenshot({ path: path.join(shots, 'ask-heatmap.png'), fullPage: true });
    await page.close();
    assert.deepEqual(problems, []);
    assert.deepEqual(offMachine, []);
  });

  it('from a static server on WebGL (software here): the same answers; nothing leaves the machine', async function () {
    const port = (server.address() as AddressInfo).port;
    const { page, problems } = await open(`http://127.0.0.1:${port}/ask/index.html?backend=webgl`);
    const backend = await page.evaluate(() => document.body.dataset.backend);
    if (backend !== 'webgl') {
      await page.close();
      this.skip(); // this Chromium offers no WebGL at all; the wasm checks above still ran
    }
    const { mismatches } = await compare(page, Math.min(6, QUESTIONS));
    await page.close();
    assert.deepEqual(mismatches, []);
    assert.deepEqual(problems, []);
    assert.deepEqual(offMachine, []);
  });
});
