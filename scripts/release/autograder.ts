/**
 * The Gradescope autograder bundle (https://gradescope-autograders.readthedocs.io/en/latest/specs/), written by
 * `npm run release` next to the student release:
 *
 *     dist/autograder/            (and dist/autograder.zip, the same files at the zip's root, to upload)
 *       setup.sh                  Node.js 20 when missing, then `npm ci` in workbook/ (Gradescope runs it once)
 *       run_autograder            grades /autograder/submission, writes /autograder/results/results.json
 *       README.md                 what it does, and how to rehearse it locally
 *       workbook/
 *         lib/                    the student release's lib: stubs where students write
 *         test/graded/            the instructor's graded tests, hidden ones included
 *         scripts/grade.ts, scripts/release/gradescope.ts
 *         grading.json            the graded files and the hidden tests
 *         package.json, package-lock.json, tsconfig.json
 *
 * No solution is in it: a graded file the submission lacks is graded as its stub.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { GradingManifest, MANIFEST_FILE } from '../grade';

const SETUP_SH = `#!/usr/bin/env bash
# Gradescope runs this once, as root on its Ubuntu image, when it builds the autograder: Node.js 20 (from NodeSource
# when the image has none, or an older one), OpenBLAS where apt has it (faster training checks), then the workbook's
# npm packages.
set -euo pipefail
cd "$(dirname "$0")/workbook"
major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if ! command -v node >/dev/null 2>&1 || [ "$(major)" -lt 20 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ca-certificates curl gnupg >/dev/null
  curl -fsSL https://deb.nodesource.com/setup_20.x | bash - >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs >/dev/null
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libopenblas0-pthread >/dev/null 2>&1 || true
npm ci --no-audit --no-fund
echo "setup.sh: node $(node --version), npm packages installed in $(pwd)"
`;

const RUN_AUTOGRADER = `#!/usr/bin/env bash
# Gradescope runs this for every submission (in /autograder): it grades the graded files of
# /autograder/submission with the tests in source/workbook and writes /autograder/results/results.json.
# AUTOGRADER_ROOT stands in for /autograder in a rehearsal elsewhere.
set -uo pipefail
root="\${AUTOGRADER_ROOT:-/autograder}"
here="$(cd "$(dirname "\${BASH_SOURCE[0]}")" && pwd)"
workbook="$root/source/workbook"
[ -d "$workbook" ] || workbook="$here/workbook"
cd "$workbook"
exec ./node_modules/.bin/tsx scripts/release/gradescope.ts --root "$root"
`;

function readme(manifest: GradingManifest, hiddenPoints: number): string {
  return `# Autograder bundle (Gradescope)

Made by \`npm run release\` from the reference workbook. Upload \`autograder.zip\` (these files at its root) as a
Gradescope "Programming Assignment" autograder (Ubuntu base image).

- \`setup.sh\` installs Node.js 20 when the image lacks it (NodeSource) and runs \`npm ci\` in \`workbook/\`.
- \`run_autograder\` grades each submission: it takes only the graded files from \`/autograder/submission\` (the
  workbook folder, a folder holding it, or the files alone) and runs the tests in \`workbook/test/graded\`, hidden
  ones included, then writes \`/autograder/results/results.json\`: one test per check, with its part, points and
  output (what the check called, expected and got, and a hint for known mistakes); hidden tests show one score line
  per part until the grades are published, and their details after. Whatever the student's code prints goes only to
  the instructor's stdout.

Graded files: ${manifest.gradedFiles.map((f) => `\`${f}\``).join(', ')}.
Hidden tests: ${manifest.hiddenTests.length} (${hiddenPoints} points).

Rehearse it anywhere (Node.js 20):

    cd workbook && npm ci && cd ..
    mkdir -p /tmp/ag/submission && cp -r path/to/student-workbook/lib /tmp/ag/submission/
    AUTOGRADER_ROOT=/tmp/ag ./run_autograder && cat /tmp/ag/results/results.json
`;
}

/** Writes the bundle into `out` (replacing it) from the reference `root` and its student release `student`. */
export function writeAutograder(root: string, student: string, out: string, manifest: GradingManifest, hiddenPoints: number): string[] {
  fs.rmSync(out, { recursive: true, force: true });
  const workbook = path.join(out, 'workbook');
  const copy = (from: string, rel: string): void => {
    const to = path.join(workbook, rel);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.cpSync(path.join(from, rel), to, { recursive: true });
  };
  copy(student, 'lib');
  copy(root, 'test/graded');
  copy(root, 'scripts/grade.ts');
  copy(root, 'scripts/release/gradescope.ts');
  for (const f of ['package.json', 'package-lock.json', 'tsconfig.json']) copy(student, f);
  fs.writeFileSync(path.join(workbook, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
  fs.writeFileSync(path.join(out, 'setup.sh'), SETUP_SH, { mode: 0o755 });
  fs.writeFileSync(path.join(out, 'run_autograder'), RUN_AUTOGRADER, { mode: 0o755 });
  fs.writeFileSync(path.join(out, 'README.md'), readme(manifest, hiddenPoints));
  return fs.readdirSync(out);
}

/** Zips the bundle's files (not its folder) into `zip`, with Python's zipfile (permissions kept). */
export function zipAutograder(out: string, zip: string): void {
  fs.rmSync(zip, { force: true });
  const entries = fs.readdirSync(out).sort();
  const r = spawnSync('python3', ['-m', 'zipfile', '-c', path.resolve(zip), ...entries], { cwd: out, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`zipping ${out} failed: ${(r.stderr || String(r.error)).trim()}`);
}
