/**
 * Times the "ask the models" page in headless Chromium, opened from file://: when the backend is up, when the
 * weights are in, when the first answers (all models) are complete, when their heatmaps are drawn, and how long
 * later questions take.
 *
 *   npx tsx bench/ask_page.ts [--site site] [--backend wasm|webgl|cpu] [--questions 10] [--runs 3]
 *
 * Times are from the start of navigation (the page's performance.now()), medians over the runs (fresh pages).
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { chromium } from 'playwright-core';

interface Run {
  domContentLoaded: number;
  backend: number;
  weights: number;
  firstAnswer: number;
  /** When the first question's heatmaps were drawn (a page built before it drew them apart: the answer time). */
  firstAttention: number;
  /** Later questions: until every model has answered, and until the heatmaps are drawn too. */
  perQuestion: number[];
  perQuestionWithMaps: number[];
  /** Live tensors after each later question. */
  tensors: number[];
  backendName: string;
  generated: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { site: { type: 'string', default: 'site' }, backend: { type: 'string' }, questions: { type: 'string', default: '10' }, runs: { type: 'string', default: '3' } } });
  const index = path.resolve(values.site!, 'ask', 'index.html');
  if (!fs.existsSync(index)) throw new Error(`${index} is missing: run 'npm run build' first (or name the site with --site)`);
  const weights = fs.readdirSync(path.join(path.dirname(index), 'weights')).map((f) => fs.statSync(path.join(path.dirname(index), 'weights', f)).size);
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: ['--no-sandbox', '--enable-unsafe-swiftshader'] });
  const runs: Run[] = [];
  try {
    for (let r = 0; r < Number(values.runs); r++) {
      const page = await browser.newPage();
      await page.goto(`file://${index}${values.backend ? `?backend=${values.backend}` : ''}`);
      await page.waitForFunction(() => document.body.dataset.failed || (document.body.dataset.ready && Array.from(document.querySelectorAll('.model')).every((m) => (m as HTMLElement).dataset.done === 'true')), null, { timeout: 300_000 });
      const run = await page.evaluate(async (n) => {
        type P = { timings: Record<string, number>; ask(q: string): Promise<void>; numTensors(): number };
        const g = (window as unknown as { askPage: { page: P; data: { dev: { question: string }[] } } }).askPage;
        if (document.body.dataset.failed) throw new Error(document.getElementById('status')!.textContent ?? 'failed');
        const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
        const perQuestion: number[] = [];
        const perQuestionWithMaps: number[] = [];
        const tensors: number[] = [];
        let generated = 0;
        for (let i = 1; i <= n && i < g.data.dev.length; i++) {
          const t = performance.now();
          await g.page.ask(g.data.dev[i].question);
          perQuestionWithMaps.push(performance.now() - t);
          perQuestion.push((g.page.timings.answered ?? performance.now()) - t);
          tensors.push(typeof g.page.numTensors === 'function' ? g.page.numTensors() : NaN); // NaN: a page built before it counted
          generated += document.querySelectorAll('.steps li').length;
        }
        return { domContentLoaded: nav.domContentLoadedEventEnd, backend: g.page.timings.backend, weights: g.page.timings.weights, firstAnswer: g.page.timings.firstAnswer, firstAttention: g.page.timings.firstAttention ?? g.page.timings.firstAnswer, perQuestion, perQuestionWithMaps, tensors, backendName: document.body.dataset.backend ?? '?', generated };
      }, Number(values.questions));
      runs.push(run);
      await page.close();
    }
  } finally {
    await browser.close();
  }
  const ms = (x: number) => `${x.toFixed(0)} ms`;
  const all = runs.flatMap((r) => r.perQuestion);
  const chars = runs.reduce((s, r) => s + r.generated, 0);
  console.log(`ask page ${index}, backend ${runs[0].backendName}, ${weights.length} models, weights ${(weights.reduce((a, b) => a + b, 0) / 1e6).toFixed(2)} MB of script; medians of ${runs.length} fresh page loads:`);
  console.log(`  page parsed (DOMContentLoaded)  ${ms(median(runs.map((r) => r.domContentLoaded)))}`);
  console.log(`  backend ready                   ${ms(median(runs.map((r) => r.backend)))}`);
  console.log(`  weights loaded (page loaded)    ${ms(median(runs.map((r) => r.weights)))}`);
  console.log(`  first answers, all models       ${ms(median(runs.map((r) => r.firstAnswer)))}  (${ms(median(runs.map((r) => r.firstAnswer - r.weights)))} after the weights)`);
  console.log(`  first heatmaps drawn            ${ms(median(runs.map((r) => r.firstAttention)))}`);
  console.log(`  a later question, all models    ${ms(median(all))} median of ${all.length} (${(chars / all.length).toFixed(1)} characters generated per question); ${ms(median(runs.flatMap((r) => r.perQuestionWithMaps)))} with the shown model's heatmaps`);
  const counts = [...new Set(runs.flatMap((r) => r.tensors))];
  if (!counts.every(Number.isNaN)) console.log(`  live tensors after each later question: ${counts.length === 1 ? `${counts[0]}, the same every time` : `${runs.map((r) => r.tensors.join(' ')).join('; ')}: NOT STABLE (a leak?)`}`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
