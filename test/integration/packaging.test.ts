// The packages an operator installs, installed as an operator would: the npm tarball with
// `npm install -g`, and the Debian package with `dpkg -i`, then `netmon --version` and
// `netmon check-config` from each; the systemd unit checked with `systemd-analyze verify`.
// The .deb goes into a root directory of the test's own (dpkg --root, with this host's package
// database copied in so dependencies are really checked, maintainer scripts run chrootless under
// DPKG_ROOT), so the test changes nothing on the host.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../common/package-root.js';

const root = repoRoot();
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
const work = mkdtempSync(join(tmpdir(), 'netmon-pkg-'));
let deb = '';
let tgz = '';

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 600_000, maxBuffer: 64 * 1024 * 1024, cwd: opts.cwd ?? work, env: opts.env ?? process.env });
  if (r.error) throw r.error;
  return r;
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  assert.equal(r.status, 0, `${what} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

before(() => {
  // The dist/ that `npm test` just built is what gets packed (npm pack --ignore-scripts).
  const out = ok(run(process.execPath, [join(root, 'scripts', 'package', 'build-deb.mjs'), '--fast', '--prebuilt'], { cwd: root }), 'npm run package:deb');
  deb = out.trim().split('\n').pop()!;
  const pkgDir = join(root, 'dist-pkg');
  tgz = join(pkgDir, readdirSync(pkgDir).find((f) => f.endsWith('.tgz'))!);
});

after(() => rmSync(work, { recursive: true, force: true }));

test('the npm tarball holds the program and no tests, and `npm install -g` gives a working netmon command', { timeout: 600_000 }, () => {
  const files = ok(run('tar', ['tzf', tgz]), 'tar tzf').split('\n');
  assert.ok(files.includes('package/bin/netmon.js') && files.includes('package/dist/cli/netmon.js') && files.includes('package/dashboard/public/index.html'), 'the program is packed');
  assert.deepEqual(files.filter((f) => /\.test\.|\.fixture\.|^package\/dist\/(test|bench)\//.test(f)), [], 'no test, fixture or benchmark is packed');
  const prefix = join(work, 'npm-prefix');
  ok(run('npm', ['install', '-g', '--prefix', prefix, tgz, '--no-audit', '--no-fund', '--loglevel=error']), 'npm install -g');
  const netmon = join(prefix, 'bin', 'netmon');
  assert.equal(ok(run(netmon, ['--version']), 'netmon --version').trim(), `netmon ${version} (node ${process.version}, ${process.platform}-${process.arch})`);
  const sample = join(prefix, 'lib', 'node_modules', 'netmon', 'config', 'netmon.yaml');
  assert.match(ok(run(netmon, ['check-config', '--config', sample]), 'netmon check-config'), /netmon\.yaml: OK\n.*devices\.yaml: OK \(1 device\)/);
});

test('dpkg -i installs the .deb: netmon on the PATH with its own Node.js 24, /etc/netmon conffiles, the unit; dpkg -P removes it all', { timeout: 600_000 }, () => {
  const info = ok(run('dpkg-deb', ['--info', deb]), 'dpkg-deb --info');
  assert.match(info, new RegExp(`Package: netmon\\n Version: ${version.replace(/\./g, '\\.')}\\n Architecture: amd64`));
  const conffiles = ok(run('dpkg-deb', ['--info', deb, 'conffiles']), 'dpkg-deb --info conffiles').split('\n').filter(Boolean);
  assert.deepEqual(conffiles.sort(), ['/etc/netmon/alerts.yaml', '/etc/netmon/devices.yaml', '/etc/netmon/netmon.env', '/etc/netmon/netmon.yaml']);

  const r = join(work, 'root');
  for (const d of ['var/lib/dpkg/info', 'var/lib/dpkg/updates', 'var/lib/dpkg/triggers', 'etc', 'usr/share']) mkdirSync(join(r, d), { recursive: true });
  cpSync('/var/lib/dpkg/status', join(r, 'var/lib/dpkg/status'));
  writeFileSync(join(r, 'var/lib/dpkg/available'), '');
  const install = ok(run('dpkg', ['--root', r, '--force-script-chrootless', '--force-not-root', '-i', deb]), 'dpkg -i');
  assert.match(install, /Setting up netmon \(/);
  assert.match(install, /systemctl enable --now netmon@all/, 'postinst says how to start it');

  const bin = join(r, 'usr', 'bin', 'netmon');
  assert.ok(lstatSync(bin).isSymbolicLink());
  assert.equal(readlinkSync(bin), '../lib/netmon/bin/netmon');
  const v = ok(run(bin, ['--version']), 'netmon --version').trim();
  assert.match(v, new RegExp(`^netmon ${version.replace(/\./g, '\\.')} \\(node v24\\.\\d+\\.\\d+, linux-x64\\)$`), 'the bundled Node.js 24 runs it');
  const etc = join(r, 'etc', 'netmon');
  const check = ok(run(bin, ['check-config', '--config', join(etc, 'netmon.yaml')]), 'netmon check-config');
  assert.match(check, /netmon\.yaml: OK\n.*devices\.yaml: OK \(1 device\)\nalert rules: OK/);
  for (const f of ['netmon.yaml', 'devices.yaml', 'alerts.yaml', 'netmon.env']) assert.ok(existsSync(join(etc, f)), `/etc/netmon/${f}`);
  assert.ok(!existsSync(join(r, 'usr', 'lib', 'netmon', 'config')), 'the program files carry no config of their own (so /etc/netmon is found)');
  assert.ok(existsSync(join(r, 'var', 'lib', 'netmon')), 'postinst made the state directory');

  // The unit, in the installed root with the host's own systemd units beside it (targets it names).
  mkdirSync(join(r, 'usr', 'lib', 'systemd'), { recursive: true });
  cpSync('/usr/lib/systemd/system', join(r, 'usr', 'lib', 'systemd', 'system'), { recursive: true, dereference: false, verbatimSymlinks: true });
  for (const part of ['all', 'collector', 'processor', 'dashboard']) {
    const verify = run('systemd-analyze', ['verify', `--root=${r}`, `netmon@${part}.service`]);
    assert.equal(verify.status, 0, verify.stderr);
    assert.equal(verify.stderr.trim(), '', `systemd-analyze verify netmon@${part}.service says nothing: ${verify.stderr}`);
  }
  const security = ok(run('systemd-analyze', ['security', '--offline=true', `--root=${r}`, 'netmon@all.service']), 'systemd-analyze security');
  const exposure = Number(/Overall exposure level for netmon@all\.service: ([\d.]+)/.exec(security)?.[1]);
  console.log(`systemd-analyze security netmon@all.service: exposure ${exposure} (0 = locked down, 10 = exposed)`);
  assert.ok(exposure <= 2.5, `the unit is hardened (exposure ${exposure})`);

  ok(run('dpkg', ['--root', r, '--force-script-chrootless', '--force-not-root', '-P', 'netmon']), 'dpkg -P');
  assert.ok(!existsSync(join(r, 'usr', 'lib', 'netmon', 'dist')) && !existsSync(bin) && !existsSync(join(etc, 'netmon.yaml')) && !existsSync(join(r, 'var', 'lib', 'netmon')), 'purge removes program, configuration and state');
});
