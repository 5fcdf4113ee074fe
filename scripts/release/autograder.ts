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
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
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
- The bundle holds no corpus: a graded test that needs the real one skips itself here and counts for no one (shown
  as not graded, 0 of 0). \`run_autograder\`'s stdout says what full marks are; set the assignment's total to that.

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

/** 2024-01-01 in the DOS date format of ZIP headers. */
const DOS_DATE = ((2024 - 1980) << 9) | (1 << 5) | 1;

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * Zips the bundle's files (not its folder: Gradescope wants setup.sh at the zip's root) into `zip`, deflated, with
 * their Unix permissions (run_autograder must stay executable). Plain ZIP, written here: no zip tool is needed.
 */
export function zipAutograder(out: string, zip: string): void {
  const files: string[] = [];
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(out, rel), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else if (e.isFile()) files.push(r);
    }
  };
  walk('');
  const chunks: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const name of files) {
    const data = fs.readFileSync(path.join(out, name));
    const packed = zlib.deflateRawSync(data);
    const nameBuf = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt32LE(DOS_DATE << 16, 10); // 00:00 on a fixed date: the same bundle zips the same
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    local.writeUInt16LE(0, 28);
    chunks.push(local, nameBuf, packed);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE((3 << 8) | 20, 4); // made by Unix: the external attributes hold the mode
    entry.writeUInt16LE(20, 6);
    entry.writeUInt16LE(0x0800, 8);
    entry.writeUInt16LE(8, 10);
    entry.writeUInt32LE(DOS_DATE << 16, 12);
    entry.writeUInt32LE(crc, 16);
    entry.writeUInt32LE(packed.length, 20);
    entry.writeUInt32LE(data.length, 24);
    entry.writeUInt16LE(nameBuf.length, 28);
    entry.writeUInt32LE(0, 30); // extra and comment lengths
    entry.writeUInt32LE(0, 34); // disk, internal attributes
    entry.writeUInt32LE(((0o100000 | (fs.statSync(path.join(out, name)).mode & 0o777)) << 16) >>> 0, 38);
    entry.writeUInt32LE(offset, 42);
    central.push(entry, nameBuf);
    offset += local.length + nameBuf.length + packed.length;
  }
  const dir = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  fs.writeFileSync(zip, Buffer.concat([...chunks, dir, end]));
}
