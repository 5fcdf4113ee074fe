/**
 * A site with only the "ask the models" page, for timing it (bench/ask_page.ts) at a chosen model size without the
 * real corpus: the synthetic world's three rows, trained briefly by `scripts/results.sh synthetic` at the given
 * preset, records and checkpoints kept in OUT (git-ignored build/ by default).
 *
 *   npx tsx bench/ask_fixture.ts [--scale smoke|cpu|full] [--out build/ask-bench/SCALE]
 *                                [--pretrain "--epochs 1"] [--finetune "--epochs 1 --learning-rate 6e-4"]
 *   npx tsx bench/ask_fixture.ts --rebundle [--out ...]     only rewrites ask.js (the page's code) in OUT/site
 *
 * At `full` the models are the course's size (4 layers x 8 heads x 256 wide, block 128, 3.3M parameters): a few
 * minutes of training here. They answer badly (an epoch or so of training), often without a closing MASK, so each
 * writes the full 32 characters: slower per question than well-trained models, which stop after a name.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { bundleAskPage, writeAskPage } from '../scripts/site/ask_page';
import { writeAssets } from '../scripts/site/site';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scale: { type: 'string', default: 'full' },
      out: { type: 'string' },
      pretrain: { type: 'string', default: '--epochs 1' },
      finetune: { type: 'string', default: '--epochs 1 --learning-rate 6e-4' },
      rebundle: { type: 'boolean', default: false },
    },
  });
  const out = path.resolve(values.out ?? path.join('build', 'ask-bench', values.scale!));
  const siteDir = path.join(out, 'site');
  if (values.rebundle) {
    const file = path.join(siteDir, 'ask', 'ask.js');
    if (!fs.existsSync(file)) throw new Error(`${file} is missing: make the fixture first (without --rebundle)`);
    fs.writeFileSync(file, await bundleAskPage());
    console.log(`rewrote ${path.relative(process.cwd(), file)}`);
    return;
  }
  const started = Date.now();
  writeAssets(siteDir);
  const { dir, data } = await writeAskPage({
    siteDir, resultsDirs: [], trainDir: path.join(out, 'results'), syntheticOnly: true,
    trainEnv: { SYN_SCALE: values.scale!, SYN_PRETRAIN: values.pretrain!, SYN_FINETUNE: values.finetune! },
  });
  const m = data.models[0];
  console.log(`${path.relative(process.cwd(), path.join(dir, 'index.html'))}: ${data.models.length} models of ${m.params.toLocaleString('en')} parameters ` +
    `(${m.config.nLayer} layers x ${m.config.nHead} heads x ${m.config.nEmbd}, block ${m.config.blockSize}) in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
