#!/usr/bin/env node
// The first-run command (`npm start`): from a fresh clone to a live dashboard. Installs the
// dependencies when node_modules is missing or does not match package-lock.json (`npm ci`, which also
// builds), builds when dist/ is missing or older than a source, brings the local stack up
// (scripts/stack/up.sh: Kafka, InfluxDB, snmpd on loopback), then runs `netmon demo` in the foreground.
// Ctrl-C (SIGINT) or SIGTERM stops the demo, then the stack if this run started it from nothing; a
// stack that was running, even in part (a live pid, a port of the stack in use), is left running. Extra arguments go to
// `netmon demo` (`npm start -- --base-port 17000`).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stackPresent } from './stack-present.mjs';

const root = join(fileURLToPath(import.meta.url), '..', '..');
process.chdir(root);
const say = (line) => console.log(`[start] ${line}`);

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { stdio: 'inherit', ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

function fail(line) {
  console.error(`[start] ${line}`);
  process.exit(1);
}

/** Why node_modules must be (re)installed, or null when it matches package-lock.json. */
function installReason() {
  const nm = join(root, 'node_modules');
  if (!existsSync(nm)) return 'node_modules is missing';
  const hidden = join(nm, '.package-lock.json');
  if (!existsSync(hidden)) return 'node_modules was not installed by npm from package-lock.json';
  const want = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')).packages ?? {};
  const have = JSON.parse(readFileSync(hidden, 'utf8')).packages ?? {};
  for (const [path, p] of Object.entries(want)) {
    if (path === '') continue;
    const h = have[path];
    // npm leaves out optional packages for other platforms: only a required one must be there.
    if (!h) {
      if (p.optional || p.devOptional) continue;
      return `${path} is not installed`;
    }
    if (h.version !== p.version || (p.integrity && h.integrity !== p.integrity)) return `${path} is ${h.version}, package-lock.json wants ${p.version}`;
  }
  for (const path of Object.keys(have)) if (!want[path]) return `${path} is installed but not in package-lock.json`;
  return null;
}

/** Newest modification time (ms) of the build's inputs: TypeScript sources and the build config. */
function newestSource() {
  let newest = 0;
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
      const p = join(dir, name);
      const s = statSync(p);
      if (s.isDirectory()) walk(p);
      else if (name.endsWith('.ts')) newest = Math.max(newest, s.mtimeMs);
    }
  };
  for (const top of ['common', 'collector', 'processor', 'dashboard', 'cli']) if (existsSync(top)) walk(top);
  for (const f of ['tsconfig.json', 'tsconfig.build.json', 'package.json']) if (existsSync(f)) newest = Math.max(newest, statSync(f).mtimeMs);
  return newest;
}

// tsc writes every output on each build, so the CLI's entry point dates the last build.
function buildReason() {
  const entry = join(root, 'dist', 'cli', 'netmon.js');
  if (!existsSync(entry)) return 'dist/ is missing';
  return statSync(entry).mtimeMs < newestSource() ? 'a source is newer than dist/' : null;
}

// The real path: the stack scripts recognise their servers by the stack directory in their command
// lines, so a .stack that is a symbolic link must be named the way the servers were started.
const stackDir = (() => {
  const dir = resolve(process.env.NETMON_STACK_DIR || join(root, '.stack'));
  mkdirSync(dir, { recursive: true });
  return realpathSync(dir);
})();
const stackEnv = join(stackDir, 'env');
const stackScriptEnv = { ...process.env, NETMON_STACK_DIR: stackDir };

// --- 1. dependencies -------------------------------------------------------------------
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) say(`Node.js ${process.versions.node}: netmon supports Node.js 22 and 24 (it still runs here, but please upgrade)`);
const why = installReason();
if (why) {
  if (existsSync('node_modules') && lstatSync('node_modules').isSymbolicLink()) {
    fail(`node_modules is a link to another checkout's and ${why}: run npm ci there (this command does not touch it)`);
  }
  say(`installing dependencies (${why}): npm ci`);
  if (run('npm', ['ci', '--no-audit', '--no-fund']) !== 0) fail('npm ci failed (see above)');
}

// --- 2. build ---------------------------------------------------------------------------
const stale = buildReason();
if (stale) {
  say(`building (${stale}): npm run build`);
  if (run('npm', ['run', 'build']) !== 0) fail('the build failed (see above)');
}

// --- 3. the local stack -----------------------------------------------------------------
const wasRunning = await stackPresent(stackDir);
say(wasRunning ? `local stack already running, or part of it (${stackDir}): checking it; it stays running afterwards` : 'starting the local stack (Kafka, InfluxDB, snmpd on loopback): bash scripts/stack/up.sh');
if (run('bash', ['scripts/stack/up.sh'], { env: stackScriptEnv }) !== 0) fail('the local stack did not come up (see above); `bash scripts/stack/check.sh` tells what is missing');
const startedStack = !wasRunning;

function stopStack() {
  if (!startedStack) return;
  say('stopping the local stack this run started: bash scripts/stack/down.sh');
  run('bash', ['scripts/stack/down.sh'], { env: stackScriptEnv });
}

// --- 4. the demo ------------------------------------------------------------------------
say('starting the demo: netmon demo');
const child = spawn(process.execPath, ['bin/netmon.js', 'demo', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, NETMON_STACK_ENV: process.env.NETMON_STACK_ENV || stackEnv, NETMON_STACK_DIR: stackDir },
});
let signalled = null;
// Ctrl-C in a terminal reaches the demo too (same process group); a signal sent to this process alone
// (a supervisor, a test) is passed on. Either way this process waits for the demo, then the stack.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    signalled = sig;
    if (child.exitCode === null && child.signalCode === null) child.kill(sig === 'SIGHUP' ? 'SIGTERM' : sig);
  });
}
child.on('exit', (code, signal) => {
  stopStack();
  process.exit(signalled ? 0 : code ?? (signal ? 1 : 0));
});
child.on('error', (err) => {
  console.error(`[start] could not run netmon demo: ${err.message}`);
  stopStack();
  process.exit(1);
});
