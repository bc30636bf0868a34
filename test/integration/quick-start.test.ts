// The README's quick start, run exactly as written, as a new user would: the commands are read from
// README.md's "Quick start" block (never copied here), the one placeholder <repository-url> becomes
// this repository (its committed state, `git clone`d into a temp dir), and the lines run in one bash
// in that dir. No node_modules is copied: `npm start` must install (from the npm cache), build, bring
// up the clone's own stack and start the demo. The clone's stack gets ports of its own through the
// environment (NETMON_*_PORT), so it never meets the test stack. A real Chromium then opens the URL
// the demo printed: the first screen must show every device up and windows arriving; a screenshot
// goes to test-artifacts/. Stopping is what a person does, Ctrl-C (SIGINT to the process group this
// test started); afterwards every pid of the clone's stack must be gone (any left is killed by pid and
// fails the test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../common/package-root.js';
import { parseEnvFile } from '../../cli/stack-env.js';
import { artifactPath, launchChromium, openRecordedPage } from './browser.js';
import { waitFor } from './stack.js';

const root = repoRoot();

/** The shell lines of README.md's Quick start block (comments and blank lines dropped). */
export function quickStartCommands(readme: string): string[] {
  const section = /^## Quick start\b[^\n]*\n([\s\S]*?)(?=^## |^### )/m.exec(readme)?.[1];
  if (!section) throw new Error('README.md has no "## Quick start" section');
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('the Quick start section has no ```sh block');
  return block.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()).filter((l) => l && !l.startsWith('#'));
}

async function freeTcpPort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => ok(port));
    });
  });
}

async function freeUdpPort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createSocket('udp4');
    s.once('error', fail);
    s.bind(0, '127.0.0.1', () => {
      const port = s.address().port;
      s.close(() => ok(port));
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

void test('README quick start on a fresh clone: npm start installs, builds, starts its own stack and the demo; the overview shows every device up with windows arriving', { timeout: 290_000 }, async (t) => {
  const commands = quickStartCommands(readFileSync(join(root, 'README.md'), 'utf8'));
  assert.ok(commands.length >= 2 && commands.length <= 3, `a short quick start: ${JSON.stringify(commands)}`);
  assert.ok(commands.some((c) => c.includes('<repository-url>')), 'the clone command names <repository-url>');
  const script = commands.map((c) => c.replaceAll('<repository-url>', `'${root}'`)).join('\n');

  const work = mkdtempSync(join(tmpdir(), 'netmon-quick-start-'));
  // Nothing of this machine's netmon settings leaks in: the clone finds its own stack by itself.
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('NETMON_') && !k.startsWith('npm_')));
  Object.assign(env, {
    NETMON_KAFKA_PORT: String(await freeTcpPort()),
    NETMON_KAFKA_CONTROLLER_PORT: String(await freeTcpPort()),
    NETMON_INFLUX_PORT: String(await freeTcpPort()),
    NETMON_INFLUX_RPC_PORT: String(await freeTcpPort()),
    NETMON_SNMP_PORT: String(await freeUdpPort()),
    NETMON_DASHBOARD_PORT: String(await freeTcpPort()),
    NETMON_DEMO_BASE_PORT: String(20000 + Math.floor(Math.random() * 20000)),
  });

  let output = '';
  const child: ChildProcess = spawn('bash', ['-e', '-c', script], { cwd: work, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (output += b.toString()));
  const exited = new Promise<number | null>((ok) => child.on('exit', (code) => ok(code)));
  const clone = join(work, 'netmon');
  const stackPids = (): number[] => {
    const file = join(clone, '.stack', 'env');
    if (!existsSync(file)) return [];
    const e = parseEnvFile(readFileSync(file, 'utf8'));
    return ['NETMON_KAFKA_PID_FILE', 'NETMON_INFLUX_PID_FILE', 'NETMON_SNMPD_PID_FILE']
      .map((k) => (e[k] && existsSync(e[k]) ? Number(readFileSync(e[k], 'utf8').trim()) : 0))
      .filter((p) => p > 0);
  };
  let pids: number[] = [];
  t.after(async () => {
    // Ctrl-C, as a person stops it; then nothing of it may be left (bash and npm may return before
    // start.mjs has stopped the demo and the stack, so wait for the pids themselves, bounded).
    if (child.exitCode === null && child.pid) process.kill(-child.pid, 'SIGINT');
    const code = await Promise.race([exited, new Promise<'timeout'>((ok) => setTimeout(() => ok('timeout'), 90_000))]);
    const gone = await waitFor('the stack to stop', () => pids.every((p) => !alive(p)), 90_000, 500).catch(() => false);
    const left = pids.filter(alive);
    for (const pid of left) process.kill(pid, 'SIGKILL');
    if (code === 'timeout' && child.pid) process.kill(-child.pid, 'SIGKILL');
    rmSync(work, { recursive: true, force: true });
    assert.notEqual(code, 'timeout', `npm start did not stop within 90 s of Ctrl-C:\n${output.slice(-3000)}`);
    assert.ok(gone, `the stack npm start started is stopped with it (left: ${left.join(', ')}):\n${output.slice(-3000)}`);
    assert.match(output, /stopping the local stack this run started/);
  });

  const failedEarly = () => {
    if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}:\n${output.slice(-4000)}`);
  };
  const banner = await waitFor('the demo banner', () => {
    failedEarly();
    const url = /^ {2}dashboard +(http:\/\/\S+)/m.exec(output)?.[1];
    const password = /^ {2}admin +password (\S+)/m.exec(output)?.[1];
    return url && password ? { url, password } : null;
  }, 200_000, 500);
  pids = stackPids();
  assert.equal(pids.length, 3, 'the clone runs a stack of its own (Kafka, InfluxDB, snmpd)');
  assert.match(output, /installing dependencies \(node_modules is missing\): npm ci/);
  assert.match(output, /starting the local stack/);
  assert.equal(banner.url, `http://127.0.0.1:${env.NETMON_DASHBOARD_PORT}/`);
  assert.ok(banner.password.length >= 12, 'a generated admin password is printed');

  const browser = await launchChromium();
  t.after(() => browser.close());
  const rec = await openRecordedPage(browser);
  const { page } = rec;
  assert.equal((await page.goto(banner.url))?.status(), 200);
  // Reads need a role: the page sends a new user to the login form; the printed credentials let them in.
  await page.waitForURL(/\/login\.html/, { timeout: 20_000 });
  await page.locator('#login-username').fill('admin');
  await page.locator('#login-password').fill(banner.password);
  await page.locator('#login-submit').click();
  await page.waitForURL((u) => u.pathname === '/', { timeout: 20_000 });
  const rows = page.locator('[data-testid="device-row"]');
  // 20 lab switches and this host's snmpd.
  const states = async () => rows.locator('[data-testid="device-state"]').evaluateAll((cells) => cells.map((c) => (c as unknown as { dataset: { value?: string } }).dataset.value ?? ''));
  await waitFor('every device up', async () => {
    failedEarly();
    const s = await states();
    return s.length === 21 && s.every((v) => v === 'up');
  }, 60_000, 1000);
  // Windows arriving: every device's total in bit/s filled from a window, then a later window.
  const inBps = async () => rows.locator('[data-testid="device-in-bps"]').evaluateAll((cells) => cells.map((c) => (c as unknown as { dataset: { value?: string } }).dataset.value ?? ''));
  const first = await waitFor('a window for every device', async () => {
    failedEarly();
    const v = await inBps();
    return v.length === 21 && v.every((x) => x !== '' && Number.isFinite(Number(x))) ? v : null;
  }, 150_000, 1000);
  await waitFor('the next window', async () => {
    failedEarly();
    const v = await inBps();
    return v.some((x, i) => x !== first[i]);
  }, 90_000, 1000);
  await page.screenshot({ path: artifactPath('quick-start-overview.png'), fullPage: true });
  assert.deepEqual(rec.pageErrors, []);
  assert.deepEqual(rec.foreignRequests, []);
});
