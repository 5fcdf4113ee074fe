/**
 * Writes a synthetic world in the real corpus's layout (wiki.txt, birth_places_train.tsv, birth_dev.tsv and
 * world.json with its options), so that `mingpt` can train on it through MINGPT_DATA_DIR like on the real files.
 *
 *   npx tsx scripts/write_world.ts DIR ['{"people": 80, "places": 16, ...}']
 *
 * Options missing from the JSON take DEFAULT_WORLD_OPTIONS (lib/data/synthetic_world.ts).
 */
import { DataError } from '../lib/data/errors';
import { WorldOptions, describeWorld, generateWorld, writeWorld } from '../lib/data/synthetic_world';

function main(argv: string[]): void {
  const [dir, json] = argv;
  if (dir === undefined || argv.length > 2) throw new DataError('usage: npx tsx scripts/write_world.ts DIR [OPTIONS_JSON]');
  let options: Partial<WorldOptions> = {};
  if (json !== undefined) {
    try {
      options = JSON.parse(json) as Partial<WorldOptions>;
    } catch (e) {
      throw new DataError(`write_world: the options are not valid JSON (${(e as Error).message}): ${json}`);
    }
  }
  const world = generateWorld(options);
  const files = writeWorld(world, dir);
  console.log(`${describeWorld(world)}\nwritten to ${files.wiki}, ${files.train}, ${files.dev}, ${files.options}`);
}

try {
  main(process.argv.slice(2));
} catch (e) {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
}
