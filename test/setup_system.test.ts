/**
 * scripts/setup-system.sh decides what to install, and how, on a machine made to lack the packages: it runs with a
 * PATH of a few real tools plus fakes of apt-get (records its calls, and "installs" by creating what the probes look
 * for), id and sudo, and with CHROMIUM_PATH, MINGPT_BLAS_LIB and TORCH_PYTHON pointing into an empty folder.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const SCRIPT = path.resolve(__dirname, '..', 'scripts', 'setup-system.sh');
const TOOLS = ['bash', 'sh', 'env', 'grep', 'tail', 'tr', 'rm', 'mktemp', 'cat', 'chmod', 'touch', 'mkdir', 'dirname'];
const ALL = 'jupyter-notebook jupyter-nbconvert chromium libopenblas0-pthread python3-torch';

interface Machine {
  uid?: number;
  /** 'none': no sudo; 'password': sudo -n fails; 'ok': passwordless. */
  sudo?: 'none' | 'password' | 'ok';
  apt?: 'works' | 'fails' | 'absent';
  /** Packages already there. */
  have?: string[];
  /** More fake commands: name to bash body. */
  fakes?: Record<string, string>;
  env?: Record<string, string>;
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Each apt-get call, with "sudo " before it when it came through sudo. */
  apt: string[];
}

function which(tool: string): string {
  const r = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${tool} is not on this machine`);
  return r.stdout.trim();
}

function run(machine: Machine, args: string[]): Run {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'setup-system-'));
  const bin = path.join(dir, 'bin');
  const box = path.join(dir, 'box');
  fs.mkdirSync(bin);
  fs.mkdirSync(box);
  for (const tool of TOOLS) fs.symlinkSync(which(tool), path.join(bin, tool));
  const log = path.join(dir, 'apt.log');
  const chromium = path.join(box, 'chromium');
  const blas = path.join(box, 'libopenblas.so.0');
  const python = path.join(box, 'python3');
  const install: Record<string, string> = {
    chromium: `touch '${chromium}' && chmod +x '${chromium}'`,
    'libopenblas0-pthread': `touch '${blas}'`,
    'python3-torch': `printf '#!/bin/sh\\nexit 0\\n' > '${python}' && chmod +x '${python}'`,
    'jupyter-nbconvert': `touch '${bin}/jupyter' '${bin}/jupyter-nbconvert' && chmod +x '${bin}/jupyter' '${bin}/jupyter-nbconvert'`,
    'jupyter-notebook': `touch '${bin}/jupyter' '${bin}/jupyter-notebook' && chmod +x '${bin}/jupyter' '${bin}/jupyter-notebook'`,
  };
  const fake = (name: string, body: string): void => fs.writeFileSync(path.join(bin, name), `#!${which('bash')}\n${body}\n`, { mode: 0o755 });
  if (machine.apt !== 'absent') {
    fake('apt-get', [
      `echo "\${VIA_SUDO:+sudo }$*" >> '${log}'`,
      machine.apt === 'fails' ? 'echo "E: Unable to locate package" >&2; exit 100' : '',
      'for p in "$@"; do case "$p" in',
      ...Object.entries(install).map(([p, cmd]) => `  ${p}) ${cmd} ;;`),
      'esac; done',
    ].join('\n'));
  }
  fake('id', `echo ${machine.uid ?? 0}`);
  for (const [name, body] of Object.entries(machine.fakes ?? {})) fake(name, body);
  if ((machine.sudo ?? 'none') !== 'none') {
    fake('sudo', machine.sudo === 'ok' ? '[ "$1" = -n ] && shift; [ "$1" = true ] && exit 0; VIA_SUDO=1 exec "$@"' : 'exit 1');
  }
  // What the machine already has.
  const env: Record<string, string> = { PATH: bin, HOME: dir, CHROMIUM_PATH: chromium, MINGPT_BLAS_LIB: blas, TORCH_PYTHON: python, ...machine.env };
  for (const pkg of machine.have ?? []) spawnSync(which('bash'), ['-c', install[pkg]], { env });
  const r = spawnSync(which('bash'), [SCRIPT, ...args], { env, encoding: 'utf8' });
  const apt = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : [];
  fs.rmSync(dir, { recursive: true, force: true });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, apt };
}

describe('scripts/setup-system.sh on a machine without the packages', () => {
  it('as root: installs everything the test command uses with apt, then finds it', () => {
    const r = run({ uid: 0 }, ['test']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.apt, ['update -qq', `install -y -qq --no-install-recommends ${ALL}`]);
    assert.match(r.stdout, new RegExp(`^setup-system: missing: jupyter browser blas torch; installing ${ALL} with apt\nsetup-system: installed ${ALL}; present: jupyter browser blas torch\n$`));
    assert.equal(r.stderr, '');
  });

  it('installs only what is missing, and nothing when all is there', () => {
    const some = run({ uid: 0, have: ['jupyter-notebook', 'jupyter-nbconvert', 'libopenblas0-pthread', 'python3-torch'] }, ['test']);
    assert.deepEqual(some.apt, ['update -qq', 'install -y -qq --no-install-recommends chromium']);
    const none = run({ uid: 0, have: ['jupyter-notebook', 'jupyter-nbconvert', 'chromium', 'libopenblas0-pthread', 'python3-torch'] }, ['test']);
    assert.deepEqual(none.apt, []);
    assert.equal(none.stdout, 'setup-system: present: jupyter browser blas torch\n');
    const jupyterOnly = run({ uid: 0 }, ['--quiet', 'jupyter']);
    assert.deepEqual(jupyterOnly.apt, ['update -qq', 'install -y -qq --no-install-recommends jupyter-notebook jupyter-nbconvert']);
    assert.equal(jupyterOnly.stdout, '');
  });

  it('as a user with sudo that needs no password: through sudo -n', () => {
    const r = run({ uid: 1000, sudo: 'ok' }, ['browser', 'torch']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.apt, ['sudo update -qq', 'sudo install -y -qq --no-install-recommends chromium python3-torch']);
  });

  it('where apt may not be used: says what to install and what is skipped, and does not fail (unless required)', () => {
    const r = run({ uid: 1000, sudo: 'password' }, ['test']);
    assert.equal(r.status, 0);
    assert.deepEqual(r.apt, []);
    assert.equal(r.stderr, [
      `setup-system: missing ${ALL} (not installed: not root, and sudo is missing or asks for a password).`,
      `  Install:  sudo apt-get install ${ALL}`,
      '            (or set CHROMIUM_PATH to a Chromium or Chrome binary)',
      '            (elsewhere: pip install jupyterlab nbconvert)',
      '  Until then, notebook execution (npm run build) and the notebook, live notebook and site tests are skipped.',
      '  Until then, the site tests in headless Chromium are skipped.',
      '  Until then, matrix products run on XNNPACK: training at about a quarter of the speed.',
      '  Until then, the PyTorch parity tests and bench --vs-pytorch are skipped.',
      '',
    ].join('\n'));
    const required = run({ uid: 1000, sudo: 'none', env: { WORKBOOK_REQUIRE_SYSTEM: '1' } }, ['browser']);
    assert.equal(required.status, 1);
    assert.match(required.stderr, /missing chromium \(not installed: not root, and sudo is missing or asks for a password\)[\s\S]*stopping here/);
    assert.equal(run({ uid: 1000, sudo: 'none' }, ['--require', 'browser']).status, 1);
  });

  it('off Debian, with WORKBOOK_NO_APT, or when apt fails: says why', () => {
    assert.match(run({ uid: 0, apt: 'absent' }, ['torch']).stderr, /^setup-system: missing python3-torch \(not installed: no apt-get here \(not Debian or Ubuntu\)\)\./);
    const noApt = run({ uid: 0, env: { WORKBOOK_NO_APT: '1' } }, ['blas']);
    assert.deepEqual(noApt.apt, []);
    assert.match(noApt.stderr, /^setup-system: missing libopenblas0-pthread \(not installed: WORKBOOK_NO_APT=1\)\.\n  Install:  sudo apt-get install libopenblas0-pthread\n  Until then, matrix products run on XNNPACK/);
    const fails = run({ uid: 0, apt: 'fails' }, ['browser']);
    assert.equal(fails.status, 0);
    assert.match(fails.stderr, /not installed: apt-get failed: E: Unable to locate package/);
  });

  it("finds OpenBLAS by name in ldconfig's cache, however long the cache", () => {
    // The library's line comes first, then thousands more: a reader that stops at its first match would kill
    // ldconfig with SIGPIPE, and under pipefail take OpenBLAS for missing.
    const ldconfig = [
      'echo "2000 libs found in cache \\`/etc/ld.so.cache\'"',
      'echo "\tlibopenblas.so.0 (libc6,x86-64) => /lib/x86_64-linux-gnu/libopenblas.so.0"',
      'for i in $(seq 1 3000); do echo "\tlibother$i.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libother$i.so.1"; done',
    ].join('\n');
    for (let i = 0; i < 5; i++) {
      const r = run({ uid: 0, fakes: { ldconfig, seq: `exec ${which('seq')} "$@"` }, env: { MINGPT_BLAS_LIB: '' } }, ['blas']);
      assert.equal(r.stdout, 'setup-system: present: blas\n', r.stderr);
      assert.deepEqual(r.apt, []);
    }
    const absent = run({ uid: 0, apt: 'fails', fakes: { ldconfig: 'echo "0 libs found"' }, env: { MINGPT_BLAS_LIB: '' } }, ['blas']);
    assert.match(absent.stderr, /^setup-system: missing libopenblas0-pthread/);
  });

  it('rejects an unknown group', () => {
    const r = run({ uid: 0 }, ['chrome']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown argument "chrome"/);
  });
});

describe('test/system_hooks.ts: suites that need a missing package', function () {
  this.timeout(300_000);
  const ROOT = path.resolve(__dirname, '..');

  /** Mocha, with this project's config, on test/site.test.ts (whose browser suite does not check for Chromium). */
  function mocha(env: Record<string, string>): { status: number | null; out: string } {
    const site = fs.mkdtempSync(path.join(os.tmpdir(), 'no-site-'));
    const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js'), 'test/site.test.ts'], {
      cwd: ROOT,
      encoding: 'utf8',
      // SITE_DIR names an empty folder, so that the suite, where it runs, fails at once in its before hook.
      env: { ...process.env, CHROMIUM_PATH: path.join(site, 'chromium'), SITE_DIR: site, WORKBOOK_REQUIRE_SYSTEM: '', ...env },
    });
    fs.rmSync(site, { recursive: true, force: true });
    return { status: r.status, out: r.stdout + r.stderr };
  }

  it('skips them, saying what is missing, and runs the rest of the file', () => {
    const r = mocha({});
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /\(skipped: "built site in headless Chromium" in site\.test\.ts: Chromium not found at \S+chromium \(apt-get install chromium, or set CHROMIUM_PATH\); bash scripts\/setup-system\.sh test installs/);
    assert.match(r.out, /site rendering\n\s+✔/);
    assert.match(r.out, /\d+ passing[\s\S]*\d+ pending/);
    assert.doesNotMatch(r.out, /failing/);
  });

  it('under WORKBOOK_REQUIRE_SYSTEM=1 skips nothing: the suite fails with its own error', () => {
    const r = mocha({ WORKBOOK_REQUIRE_SYSTEM: '1' });
    assert.notEqual(r.status, 0);
    assert.doesNotMatch(r.out, /skipped:/);
    assert.match(r.out, /"before all" hook[\s\S]*has no index\.html/);
  });
});
