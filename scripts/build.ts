/**
 * `npm run build`: executes every notebook in `notebooks/` in order through a real Jupyter kernel session (the
 * project's tslab kernel) and renders the executed copies to a static site.
 *
 *   npx tsx scripts/build.ts [--scale smoke] [--only 01,03] [--no-execute] [--no-ask] [--cell-timeout 1800]
 *                            [--notebooks notebooks] [--executed build/notebooks] [--site site]
 *
 * The notebooks in git carry no outputs and are never modified: executed copies go to `build/notebooks/`, the site
 * to `site/`. The scale reaches the notebooks as the environment variable WORKBOOK_SCALE. A failing cell stops the
 * build with the notebook's name, the cell's number and the error; the partly executed copy is kept for inspection.
 * `--no-execute` renders the executed copies left by an earlier build. Then the "ask the models" page goes to
 * `site/ask/` (scripts/site/ask_page.ts; it trains the synthetic models into `build/ask/` when no checkpoints are
 * on the machine); `--no-ask` leaves it out.
 */
import * as fs from 'fs';
import * as path from 'path';
import { notebookCorpusChoice } from '../lib/data/corpus';
import { claimProblems, recordProblems } from './site/claims';
import { executeNotebook, ExecutionResult, NotebookExecutionError, prepareKernel } from './site/execute';
import { readNotebook } from './site/notebook';
import { SiteNotebook, writeSite } from './site/site';
import { writeAskPage } from './site/ask_page';

const ROOT = path.resolve(__dirname, '..');

export interface BuildOptions {
  scale: string;
  notebooksDir: string;
  executedDir: string;
  siteDir: string;
  /** Prefixes (e.g. `01`) or names of the notebooks to build; all when empty. */
  only: string[];
  execute: boolean;
  /** Write the "ask the models" page (site/ask/). */
  ask: boolean;
  cellTimeoutS: number;
}

function usage(message: string): never {
  throw new Error(`${message}\nusage: npx tsx scripts/build.ts [--scale smoke] [--only 01,03] [--no-execute] [--no-ask] [--cell-timeout SECONDS] [--notebooks DIR] [--executed DIR] [--site DIR]`);
}

export function parseArgs(argv: string[]): BuildOptions {
  const o: BuildOptions = {
    scale: process.env.WORKBOOK_SCALE || 'smoke',
    notebooksDir: path.join(ROOT, 'notebooks'),
    executedDir: path.join(ROOT, 'build', 'notebooks'),
    siteDir: path.join(ROOT, 'site'),
    only: [],
    execute: true,
    ask: true,
    cellTimeoutS: 1800,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) usage(`${flag} needs a value`);
      return v;
    };
    if (flag === '--scale') o.scale = value();
    else if (flag === '--notebooks') o.notebooksDir = path.resolve(value());
    else if (flag === '--executed') o.executedDir = path.resolve(value());
    else if (flag === '--site') o.siteDir = path.resolve(value());
    else if (flag === '--only') o.only = value().split(',').map((s) => s.trim()).filter(Boolean);
    else if (flag === '--no-execute') o.execute = false;
    else if (flag === '--no-ask') o.ask = false;
    else if (flag === '--cell-timeout') {
      o.cellTimeoutS = Number(value());
      if (!Number.isFinite(o.cellTimeoutS) || o.cellTimeoutS <= 0) usage(`--cell-timeout must be a positive number of seconds`);
    } else usage(`unknown argument "${flag}"`);
  }
  if (!/^[a-z][a-z0-9_-]*$/i.test(o.scale)) usage(`--scale "${o.scale}" is not a scale name`);
  return o;
}

/** The notebooks to build, in course order (file names sort by their number prefix). */
export function listNotebooks(dir: string, only: string[] = []): string[] {
  if (!fs.existsSync(dir)) throw new Error(`notebook folder ${dir} does not exist`);
  const all = fs.readdirSync(dir).filter((f) => f.endsWith('.ipynb') && !f.startsWith('.')).sort();
  const chosen = only.length ? all.filter((f) => only.some((p) => f === p || f.startsWith(p))) : all;
  const unmatched = only.filter((p) => !all.some((f) => f === p || f.startsWith(p)));
  if (unmatched.length) throw new Error(`--only ${unmatched.join(', ')}: no such notebook in ${dir} (have: ${all.join(', ') || 'none'})`);
  if (!chosen.length) throw new Error(`no notebooks (*.ipynb) in ${dir}`);
  return chosen;
}

function seconds(s: number): string {
  return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

export async function build(o: BuildOptions): Promise<void> {
  const names = listNotebooks(o.notebooksDir, o.only);
  const timings: { name: string; seconds: number }[] = [];
  const started = Date.now();
  if (o.execute) {
    const kernel = prepareKernel(ROOT, path.join(ROOT, 'build'));
    console.log(`executing ${names.length} notebook(s) with WORKBOOK_SCALE=${o.scale} (kernel workbook-tslab, ${kernel.python})`);
    for (const [i, name] of names.entries()) {
      const tag = `[${i + 1}/${names.length}] ${name}`;
      const live = process.stdout.isTTY;
      if (!live) console.log(`${tag} running`);
      // Without a terminal to redraw, a long notebook still says every 30 s that it is alive.
      const began = Date.now();
      let said = began;
      const run = (): Promise<ExecutionResult> => executeNotebook(path.join(o.notebooksDir, name), path.join(o.executedDir, name), {
        kernel,
        cellTimeoutS: o.cellTimeoutS,
        // plotly.js once in each executed copy, so that `jupyter nbconvert --to html build/notebooks/X.ipynb` draws
        // offline too (the site drops it and loads its own copy).
        env: { WORKBOOK_SCALE: o.scale, WORKBOOK_PLOTLY: 'inline' },
        onCell: (cell, s) => {
          if (live) process.stdout.write(`\r${tag} running, cell ${cell} done (${seconds(s)})\u001b[K`);
          else if (Date.now() - said > 30_000) {
            said = Date.now();
            console.log(`${tag} running, cell ${cell} done, ${seconds((said - began) / 1000)} so far`);
          }
        },
      });
      // A kernel that crashes (rarely, seen once in notebook 7's training) gets one more run from the top, said
      // aloud; an error in a cell's code, or a second crash, fails the build.
      const result = await run().catch((e: unknown) => {
        if (!(e instanceof NotebookExecutionError) || !e.kernelDied) throw e;
        console.log(`${tag}: the kernel died (${e.message.split('\n')[0]}); running the notebook again, once\n${e.detail}`);
        return run();
      });
      if (live) process.stdout.write('\r\u001b[K');
      console.log(`${tag} ok ${seconds(result.seconds)}`);
      timings.push({ name, seconds: Math.round(result.seconds * 10) / 10 });
    }
  }
  const notebooks: SiteNotebook[] = names.map((name) => {
    const file = path.join(o.executedDir, name);
    if (!fs.existsSync(file)) throw new Error(`${file} is missing: build without --no-execute first`);
    return { name, nb: readNotebook(file) };
  });
  const total = (Date.now() - started) / 1000;
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { description?: string };
  const when = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const also = o.ask ? [{ href: 'ask/index.html', title: 'Ask the models', text: 'the finetuned models answer "Where was NAME born?" in your browser, side by side, and show where they look.' }] : [];
  const site = writeSite(o.siteDir, notebooks, {
    title: 'Transformers workbook',
    description: pkg.description ?? '',
    footer: o.execute
      ? `Executed with WORKBOOK_SCALE=${o.scale} on ${when}, ${names.length} notebook(s) in ${seconds(total)}.`
      : `Rendered on ${when} from notebooks executed earlier.`,
    also,
  });
  if (o.ask) {
    const ask = await writeAskPage({ siteDir: o.siteDir, resultsDirs: [path.join(ROOT, 'results')], trainDir: path.join(ROOT, 'build', 'ask', 'results'), footer: `Built on ${when}.` });
    console.log(`ask page: ${path.relative(process.cwd(), path.join(ask.dir, 'index.html'))} (${ask.data.corpus} corpus, ${ask.data.models.length} model${ask.data.models.length === 1 ? '' : 's'})`);
  }
  if (o.execute) {
    const report = { scale: o.scale, finished: when, notebooks: timings };
    fs.writeFileSync(path.join(o.executedDir, 'build.json'), JSON.stringify(report, null, 2) + '\n');
  }
  const figures = site.pages.reduce((n, p) => n + p.figures, 0);
  console.log(`site: ${path.relative(process.cwd(), path.join(o.siteDir, 'index.html'))} (${site.pages.length} page(s), ${figures} figure(s))`);
  // What the prose says of the results must hold in them, and notebook 7's scores must be the recorded rows.
  const corpus = notebookCorpusChoice();
  const problems = notebooks.flatMap(({ name, nb }) => [...claimProblems(name, nb), ...recordProblems(name, nb, ROOT, corpus)]);
  if (problems.length > 0) throw new Error(`the executed notebooks contradict their text or the records:\n  ${problems.join('\n  ')}`);
}

async function main(argv: string[]): Promise<void> {
  let options: BuildOptions | undefined;
  try {
    options = parseArgs(argv);
    await build(options);
  } catch (e) {
    console.error(`\nbuild failed: ${e instanceof Error ? e.message : String(e)}`);
    if (e instanceof NotebookExecutionError && options) {
      console.error(`the partly executed copy is ${path.relative(process.cwd(), path.join(options.executedDir, e.notebook))}`);
    }
    process.exit(1);
  }
}

if (require.main === module) void main(process.argv.slice(2));
