/**
 * Mocha root hook (loaded by .mocharc.json): the suites of test files that need a system package but do not check for
 * it themselves are skipped, saying what is missing, where `npm test`'s set-up (scripts/setup-system.sh) could not
 * install it. The other tests that need one (notebooks, live notebook, Jupyter kernel, PyTorch parity, OpenBLAS) skip
 * in their own before hooks. Under WORKBOOK_REQUIRE_SYSTEM=1 (CI) nothing is skipped here: the suites then fail with
 * their own errors.
 *
 * A package counts as present in the same terms as in scripts/setup-system.sh, by probes that load nothing.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

type Package = 'browser' | 'jupyter';

/** The suites (test file under test/, top-level describe's title) and what they need. */
const NEEDS: { file: string; suite: string; needs: () => Package[] }[] = [
  // The site is built from the fixture notebook through the tslab kernel unless SITE_DIR names a built site.
  { file: 'site.test.ts', suite: 'built site in headless Chromium', needs: () => (process.env.SITE_DIR ? ['browser'] : ['browser', 'jupyter']) },
];

/** Why the package is missing, or undefined when it is present. */
function missing(p: Package): string | undefined {
  if (p === 'browser') {
    const chromium = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
    try {
      fs.accessSync(chromium, fs.constants.X_OK);
      return undefined;
    } catch {
      return `Chromium not found at ${chromium} (apt-get install chromium, or set CHROMIUM_PATH)`;
    }
  }
  const r = spawnSync('sh', ['-c', 'command -v jupyter && command -v jupyter-nbconvert'], { stdio: 'ignore' });
  return r.status === 0 ? undefined : 'jupyter and jupyter-nbconvert are not on PATH (apt-get install jupyter-notebook jupyter-nbconvert)';
}

export const mochaHooks = {
  beforeAll(this: Mocha.Context): void {
    if (process.env.WORKBOOK_REQUIRE_SYSTEM === '1') return;
    const root = this.test?.parent;
    if (!root) return;
    const known = new Map<Package, string | undefined>();
    const why = (p: Package) => {
      if (!known.has(p)) known.set(p, missing(p));
      return known.get(p);
    };
    for (const suite of root.suites) {
      const entry = NEEDS.find((n) => suite.file && path.basename(suite.file) === n.file && suite.title === n.suite);
      if (!entry) continue;
      const absent = entry.needs().map(why).filter((w): w is string => w !== undefined);
      if (absent.length === 0) continue;
      console.log(`  (skipped: "${suite.title}" in ${path.basename(suite.file!)}: ${absent.join('; ')}; ` +
        'bash scripts/setup-system.sh test installs what is missing where it can)');
      // A pending suite runs none of its hooks and reports its tests as pending.
      suite.pending = true;
    }
  },
};
