/**
 * The static site: rendering rules (fast, no browser), then every page opened in headless Chromium from file:// and
 * from a local static server, with the network blocked: no console errors, no request leaving the machine, math
 * typeset, every plotly figure drawn, navigation working. A screenshot of each page goes to screenshots/site/
 * (screenshots/site-fixture/ for the fixture site).
 *
 * By default the site is built here from the fixture notebook, executed through the real tslab kernel. With
 * SITE_DIR=site (`npm run test:site`, after `npm run build`) the browser checks run on that built site instead.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { AddressInfo } from 'net';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';
import { executeNotebook, prepareKernel } from '../scripts/site/execute';
import { createMarkdown } from '../scripts/site/markdown';
import { Notebook, readNotebook } from '../scripts/site/notebook';
import { cleanHtmlOutput, firstParagraph, firstParagraphHtml, renderNotebook } from '../scripts/site/render';
import { writeSite } from '../scripts/site/site';

const ROOT = path.resolve(__dirname, '..');
const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'notebooks', 'demo.ipynb');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

function markdownNotebook(title: string, body: string): Notebook {
  return {
    cells: [{ cell_type: 'markdown', id: 'a', metadata: {}, source: `# ${title}\n\n${body}` }],
    metadata: { kernelspec: { name: 'workbook-tslab' } },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

describe('site rendering', () => {
  const md = createMarkdown();
  const mathCount = (html: string) => (html.match(/<span class="katex">/g) ?? []).length;

  it('typesets $..$, $$..$$, \\(..\\) and \\[..\\] but not prices, escaped dollars or code', () => {
    const html = md.render('Inline $a_i$, \\(b\\), display\n\n$$\n\\sum_j c_j\n$$\n\nand \\[d\\]. Not math: $5 and $6, \\$e\\$, `$f$`.');
    assert.equal(mathCount(html), 4);
    assert.equal((html.match(/class="katex-display"/g) ?? []).length, 2);
    assert.match(html, /Not math: \$5 and \$6, \$e\$, <code>\$f\$<\/code>/);
  });

  it('highlights code and keeps HTML in markdown', () => {
    const html = md.render('```ts\nconst x = 1;\n```\n\n<b>bold</b>');
    assert.match(html, /<span class="hljs-keyword">const<\/span>/);
    assert.match(html, /<b>bold<\/b>/);
  });

  it('a TeX error names the notebook and the cell', () => {
    const nb = markdownNotebook('Bad', 'ok $x$');
    nb.cells.push({ cell_type: 'markdown', id: 'b', metadata: {}, source: 'broken $\\frac{1}$ here' });
    assert.throws(() => renderNotebook(nb, '09-bad.ipynb'), /09-bad\.ipynb: cell 2 \(markdown\): bad TeX \$\\frac\{1\}\$/);
  });

  it('drops the plotly library and figure scripts but keeps the figure divs', () => {
    const out = cleanHtmlOutput(
      '<script data-workbook="plotly-lib">var Plotly = {"a":"<\\/script>"};</script>' +
        '<div class="workbook-plot" id="p1" data-figure="{}"></div><script data-workbook="figure">draw()</script>' +
        '<div class="workbook-plot" id="p2" data-figure="{}"></div><script data-workbook="figure">draw()</script><script>keep()</script>',
    );
    assert.equal(out.figures, 2);
    assert.equal(out.html, '<div class="workbook-plot" id="p1" data-figure="{}"></div><div class="workbook-plot" id="p2" data-figure="{}"></div><script>keep()</script>');
  });

  it('removes the echo of displayed HTML from the text output and escapes text', () => {
    const figure = '<div class="workbook-plot" id="p1" data-figure="{}"></div>';
    const nb = markdownNotebook('Echo', 'x');
    nb.cells.push({
      cell_type: 'code',
      id: 'c',
      metadata: {},
      source: 'plot(f)',
      execution_count: 1,
      outputs: [
        { output_type: 'stream', name: 'stdout', text: 'loss <1>\n' },
        { output_type: 'display_data', data: { 'text/html': figure }, metadata: {} },
        { output_type: 'stream', name: 'stdout', text: figure + '\n' },
      ],
    });
    const page = renderNotebook(nb, '01-echo.ipynb');
    assert.equal(page.figures, 1);
    assert.equal((page.body.match(/workbook-plot/g) ?? []).length, 1);
    assert.match(page.body, /<pre class="output stream stdout">loss &lt;1&gt;\n<\/pre>/);
  });

  it('takes the title from the first heading and the summary from the first paragraph', () => {
    const page = renderNotebook(markdownNotebook('Self-attention', 'Queries meet keys: $q^\\top k$.\n\nMore.'), '01-x.ipynb');
    assert.equal(page.title, 'Self-attention');
    assert.equal(page.summary, 'Queries meet keys: $q^\\top k$.');
    assert.equal(firstParagraph('# only a heading'), '');
    const nb = markdownNotebook('T', 'x');
    nb.cells.push({ cell_type: 'markdown', id: 'b', metadata: {}, source: '## Scaled by $\\sqrt{d}$\n\n## Scaled by $\\sqrt{d}$' });
    const twice = renderNotebook(nb, '01-t.ipynb');
    assert.deepEqual(twice.sections.map((x) => x.id), ['scaled-by-sqrt-d', 'scaled-by-sqrt-d-2']);
    assert.match(twice.body, /<h2 id="scaled-by-sqrt-d-2">/);
    assert.equal(firstParagraph('word '.repeat(100), 40).length <= 40, true);
  });

  it('a summary ends at a sentence end, even where the paragraph runs on into an equation', () => {
    const runOn = 'A layer runs $h$ heads. Their outputs are\nconcatenated,\n\n$$c = [c_1; c_2]$$\n\nMore text.';
    assert.equal(firstParagraph(runOn), 'A layer runs $h$ heads.');
    assert.match(firstParagraphHtml(runOn), /^A layer runs <span class="katex">.*<\/span> heads\.$/);
    // A paragraph with no complete sentence gives way to the next one that has one.
    assert.equal(firstParagraph('Over a sequence it computes\n\n$$Z$$\n\nNothing here is ordered. Then'), 'Nothing here is ordered.');
    // A sentence that ends inside bold keeps its closing tag; "born?" inside quotes before a colon is not an end.
    assert.equal(firstParagraphHtml('A **bold claim.** Then more,'), 'A <strong>bold claim.</strong>');
    assert.equal(firstParagraph('Asked "Where was NAME born?": a table'), 'Asked "Where was NAME born?": a table');
    // Cut to length at a sentence end when one fits, else at a word with an ellipsis.
    assert.equal(firstParagraph('One two. Three four five six.', 20), 'One two.');
    assert.equal(firstParagraph('word '.repeat(10), 12), 'word word…');
  });
});

/** Serves `dir` on 127.0.0.1 (no directory listing, no network). */
function serve(dir: string): Promise<http.Server> {
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.woff2': 'font/woff2', '.woff': 'font/woff', '.ttf': 'font/ttf', '.png': 'image/png' };
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

interface PageReport {
  problems: string[];
  math: number;
  figures: number;
}

describe('built site in headless Chromium', function () {
  this.timeout(900_000); // nine pages, each given up to two minutes on a loaded machine
  let siteDir: string;
  let browser: Browser;
  let context: BrowserContext;
  let server: http.Server;
  const offMachine: string[] = [];
  // Screenshots of the real site and of the fixture site go to different folders (both git-ignored).
  const shots = path.join(ROOT, 'screenshots', process.env.SITE_DIR ? 'site' : 'site-fixture');

  before(async () => {
    if (process.env.SITE_DIR) {
      siteDir = path.resolve(process.env.SITE_DIR);
      if (!fs.existsSync(path.join(siteDir, 'index.html'))) throw new Error(`SITE_DIR=${process.env.SITE_DIR} has no index.html: run 'npm run build' first`);
    } else {
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'site-'));
      const executed = path.join(tmp, 'demo.ipynb');
      await executeNotebook(FIXTURE, executed, { kernel: prepareKernel(ROOT, tmp), cellTimeoutS: 60, env: { WORKBOOK_SCALE: 'smoke' } });
      siteDir = path.join(tmp, 'site');
      writeSite(siteDir, [
        { name: '01-demo.ipynb', nb: readNotebook(executed) },
        { name: '02-prose.ipynb', nb: markdownNotebook('Prose only', 'No code here, only $\\sqrt{d_k}$.') },
      ], { title: 'Fixture workbook', description: 'A site built from the test fixture.', footer: 'test build' });
    }
    if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install it (Debian: apt-get install chromium) or set CHROMIUM_PATH`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    // Every request is checked: only file://, data:, blob: and the local test server may be reached.
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

  function pages(): string[] {
    return fs.readdirSync(siteDir).filter((f) => f.endsWith('.html')).sort((a, b) => (a === 'index.html' ? -1 : b === 'index.html' ? 1 : a.localeCompare(b)));
  }

  async function check(page: Page, url: string): Promise<PageReport> {
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
    // Generous waits: on a loaded machine (a training run beside the tests) a page of figures takes its time.
    const response = await page.goto(url, { waitUntil: 'load', timeout: 120_000 });
    if (response && !response.ok()) problems.push(`HTTP ${response.status()} for ${url}`);
    await page
      .waitForFunction(() => Array.from(document.querySelectorAll('.workbook-plot')).every((el) => el.getAttribute('data-drawn')), null, { timeout: 120_000 })
      .catch(() => problems.push('figures still not drawn after 120 s'));
    const seen = await page.evaluate(async () => {
      await document.fonts.ready;
      const plots = Array.from(document.querySelectorAll<HTMLElement>('.workbook-plot')).map((el) => ({
        id: el.id,
        drawn: el.getAttribute('data-drawn'),
        svg: el.querySelectorAll('svg.main-svg').length,
        traces: ((el as HTMLElement & { data?: unknown[] }).data ?? []).length,
        marks: el.querySelectorAll('.main-svg g.trace, .main-svg g.hm').length,
      }));
      const katex = document.querySelectorAll('.katex').length;
      return {
        plots,
        katex,
        katexErrors: document.querySelectorAll('.katex-error').length,
        katexFont: katex === 0 || document.fonts.check('16px KaTeX_Main'),
        plotlyScripts: document.querySelectorAll('script[src$="plotly.min.js"]').length,
        inlineLibs: document.querySelectorAll('script[data-workbook]').length,
        // Code wider than its box is cut at the right edge (a scroll bar that headless pages and print hide).
        cutCode: Array.from(document.querySelectorAll<HTMLElement>('.cell.code pre')).filter((el) => el.scrollWidth > el.clientWidth + 1).length,
      };
    });
    for (const p of seen.plots) {
      if (p.drawn !== 'true' || p.svg === 0 || p.traces === 0 || p.marks === 0) problems.push(`figure ${p.id} not drawn (${JSON.stringify(p)})`);
    }
    if (seen.katexErrors) problems.push(`${seen.katexErrors} KaTeX error(s)`);
    if (!seen.katexFont) problems.push('KaTeX fonts did not load');
    if (seen.plots.length && seen.plotlyScripts !== 1) problems.push(`plotly.js loaded ${seen.plotlyScripts} times`);
    if (seen.cutCode) problems.push(`${seen.cutCode} code cell(s) wider than the page`);
    if (seen.inlineLibs) problems.push(`${seen.inlineLibs} inline workbook script(s) left in the page`);
    return { problems, math: seen.katex, figures: seen.plots.length };
  }

  it('every page opens from file:// with no errors, math typeset and every figure drawn', async () => {
    const problems: string[] = [];
    let math = 0;
    let figures = 0;
    for (const name of pages()) {
      const page = await context.newPage();
      const report = await check(page, 'file://' + path.join(siteDir, name));
      const expectedMath = (fs.readFileSync(path.join(siteDir, name), 'utf8').match(/<span class="katex">/g) ?? []).length;
      if (report.math !== expectedMath) problems.push(`${name}: ${report.math} formulas in the page, ${expectedMath} in the HTML`);
      problems.push(...report.problems.map((p) => `${name}: ${p}`));
      math += report.math;
      figures += report.figures;
      await page.screenshot({ path: path.join(shots, name.replace(/\.html$/, '.png')), fullPage: true });
      await page.close();
    }
    assert.deepEqual(problems, []);
    assert.deepEqual(offMachine, []);
    assert.ok(math > 0, 'no math anywhere on the site');
    assert.ok(figures > 0, 'no figure anywhere on the site');
  });

  it('every page works from a static server on this machine', async () => {
    const port = (server.address() as AddressInfo).port;
    const problems: string[] = [];
    for (const name of pages()) {
      const page = await context.newPage();
      problems.push(...(await check(page, `http://127.0.0.1:${port}/${name}`)).problems.map((p) => `${name}: ${p}`));
      await page.close();
    }
    assert.deepEqual(problems, []);
    assert.deepEqual(offMachine, []);
  });

  it('every blurb on the index ends at a sentence end', async () => {
    const page = await context.newPage();
    await page.goto('file://' + path.join(siteDir, 'index.html'));
    const blurbs = await page.$$eval('ol.parts > li > p', (ps) => ps.map((p) => (p.textContent ?? '').trim()));
    await page.close();
    assert.ok(blurbs.length > 0, 'no blurb on the index');
    assert.deepEqual(blurbs.filter((b) => !/[.!?]["'\u2019\u201d)\]]*$/.test(b)), []);
  });

  it('navigation: index to each part in order, next/previous links, back home', async () => {
    const page = await context.newPage();
    // Each step has its own limit and says which step stalled, rather than running into the test's timeout.
    page.setDefaultTimeout(60_000);
    const follow = async (selector: string, expected: string, step: string): Promise<void> => {
      await Promise.all([
        page.waitForURL((url) => path.basename(url.pathname) === expected, { waitUntil: 'domcontentloaded' }).catch((e: Error) => {
          throw new Error(`${step}: clicking ${selector} on ${page.url()} did not lead to ${expected}: ${e.message}`);
        }),
        page.click(selector, { noWaitAfter: true }),
      ]);
    };
    await page.goto('file://' + path.join(siteDir, 'index.html'), { waitUntil: 'domcontentloaded' });
    const parts = await page.$$eval('ol.parts a.part', (as) => as.map((a) => (a as HTMLAnchorElement).getAttribute('href')));
    const expected = pages().filter((p) => p !== 'index.html');
    assert.deepEqual(parts, expected);
    await follow('ol.parts > li:first-child a.part', expected[0], 'index to the first part');
    for (let i = 1; i < expected.length; i++) await follow('nav.pager a[rel="next"]', expected[i], `next from ${expected[i - 1]}`);
    if (expected.length > 1) await follow('nav.pager a[rel="prev"]', expected[expected.length - 2], `previous from ${expected[expected.length - 1]}`);
    await page.goto('file://' + path.join(siteDir, 'index.html'), { waitUntil: 'domcontentloaded' });
    const href = await page.$eval('ol.parts ul.sections a', (a) => a.getAttribute('href')).catch(() => null);
    if (href) {
      await follow(`ol.parts ul.sections a[href="${href}"]`, href.split('#')[0], `section link ${href}`);
      const id = decodeURIComponent(new URL(page.url()).hash.slice(1));
      assert.ok(id && (await page.$(`[id="${id}"]`)), `section link ${href} leads nowhere`);
    }
    await follow('header.site a.home', 'index.html', 'home link');
    await page.close();
  });
});
