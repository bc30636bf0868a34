// The local stack started by a user without root, as scripts/stack/up.sh promises: a throwaway
// user created here (useradd, so this test needs root) runs up.sh on free ports with a stack
// directory and a home of its own, with NETMON_STACK_DEBS=cache so the Debian packages are fetched
// with `apt-get download` and unpacked into that user's cache even on a host where they are
// installed; every server must answer (Kafka metadata, InfluxDB /ping, snmpd GET), run as that
// user from that cache, and down.sh must stop them. The two things no user can fetch, Java and
// apt's package lists, must stop the start with the command to run. The scripts are copied to a
// directory the user can read (the clone may not be). Chromium for the browser tests comes the
// same way (scripts/install-browser.sh). Everything the test created is removed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import snmp from 'net-snmp';
import { Kafka, logLevel } from 'kafkajs';
import { repoRoot } from '../../common/package-root.js';

const USER = 'netmon-noroot-test';
const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const work = mkdtempSync('/tmp/netmon-noroot-');
const home = join(work, 'home');
const stackDir = join(home, 'stack');
const scripts = join(work, 'repo', 'scripts');
let createdUser = false;
let uid = -1;
let env: Record<string, string> = {};

function run(cmd: string, args: string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: opts.timeoutMs ?? 600_000, maxBuffer: 64 << 20, env: opts.env ?? process.env });
  if (r.error) throw r.error;
  return r;
}

/** Runs a command as the throwaway user, with exactly `vars` as its environment. */
function asUserRun(cmd: string[], vars: Record<string, string>, timeoutMs: number): SpawnSyncReturns<string> {
  const assignments = Object.entries(vars).map(([k, v]) => `${k}=${v}`);
  return run('runuser', ['-u', USER, '--', 'env', '-i', ...assignments, ...cmd], { timeoutMs });
}

/** Runs a stack script (scripts/stack/NAME) as the throwaway user. */
function asUser(script: string, args: string[], vars: Record<string, string>, timeoutMs = 900_000): SpawnSyncReturns<string> {
  return asUserRun(['bash', join(scripts, 'stack', script), ...args], vars, timeoutMs);
}

async function freeTcpPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

async function freeUdpPort(): Promise<number> {
  const sock = createSocket('udp4');
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  const { port } = sock.address();
  await new Promise<void>((resolve) => sock.close(resolve));
  return port;
}

/** Alive and not a zombie (an orphan's exit status waits for whoever reaps it). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function ownedByUser(path: string): void {
  mkdirSync(path, { recursive: true });
  chownSync(path, uid, uid);
}

before(async () => {
  assert.equal(process.getuid?.(), 0, 'this test creates a user (useradd) and runs as root; CI does');
  chmodSync(work, 0o755);
  if (run('id', ['-u', USER]).status !== 0) {
    const r = run('useradd', ['--no-create-home', '--home-dir', home, '--shell', '/bin/bash', '--user-group', USER]);
    assert.equal(r.status, 0, `useradd: ${r.stderr}`);
    createdUser = true;
  }
  uid = Number(run('id', ['-u', USER]).stdout.trim());
  assert.ok(uid > 0, `${USER} is not root (uid ${uid})`);
  ownedByUser(home);
  // Only what the scripts read: the stack scripts, the Kafka pom, the browser script.
  const root = repoRoot();
  for (const d of ['stack', 'kafka']) cpSync(join(root, 'scripts', d), join(scripts, d), { recursive: true });
  cpSync(join(root, 'scripts', 'install-browser.sh'), join(scripts, 'install-browser.sh'));
  const [kafka, controller, influx, rpc, snmpPort] = [await freeTcpPort(), await freeTcpPort(), await freeTcpPort(), await freeTcpPort(), await freeUdpPort()];
  env = {
    HOME: home,
    USER,
    PATH: SYSTEM_PATH,
    LANG: 'C.UTF-8',
    NETMON_STACK_DIR: stackDir,
    NETMON_STACK_DEBS: 'cache',
    NETMON_KAFKA_PORT: String(kafka),
    NETMON_KAFKA_CONTROLLER_PORT: String(controller),
    NETMON_INFLUX_PORT: String(influx),
    NETMON_INFLUX_RPC_PORT: String(rpc),
    NETMON_SNMP_PORT: String(snmpPort),
  };
});

after(() => {
  if (existsSync(join(stackDir, '.netmon-stack'))) {
    const r = asUser('down.sh', ['--clean'], env, 120_000);
    if (r.status !== 0) console.error(`down.sh --clean: ${r.stdout}${r.stderr}`);
  }
  if (createdUser) {
    const r = run('userdel', [USER]);
    if (r.status !== 0) console.error(`userdel ${USER}: ${r.stderr}`);
  }
  rmSync(work, { recursive: true, force: true });
});

test('without Java, up.sh stops before starting anything and names the command to run', () => {
  // A PATH with every system command but java (and no JAVA_HOME).
  const bin = join(work, 'bin-no-java');
  mkdirSync(bin);
  for (const dir of SYSTEM_PATH.split(':').reverse()) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      if (name === 'java' || existsSync(join(bin, name))) continue;
      symlinkSync(join(dir, name), join(bin, name));
    }
  }
  const r = asUser('up.sh', [], { ...env, PATH: bin }, 120_000);
  assert.notEqual(r.status, 0, 'up.sh fails');
  assert.match(r.stderr, /java not found .*Run: sudo apt-get install openjdk-17-jre-headless/);
  assert.ok(!existsSync(join(stackDir, 'kafka', 'kafka.pid')) && !existsSync(join(stackDir, 'influxdb', 'influxd.pid')), 'no server started');
});

test('without apt package lists, up.sh stops and says to run apt-get update', () => {
  const lists = join(work, 'empty-apt-lists');
  mkdirSync(join(lists, 'partial'), { recursive: true });
  const conf = join(work, 'apt-no-lists.conf');
  writeFileSync(conf, `Dir::State::Lists "${lists}";\nDir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\n`);
  chmodSync(conf, 0o644);
  const r = asUser('up.sh', [], { ...env, APT_CONFIG: conf }, 120_000);
  assert.notEqual(r.status, 0, 'up.sh fails');
  assert.match(r.stderr, /Run: sudo apt-get update/);
  assert.ok(!existsSync(join(stackDir, 'influxdb', 'influxd.pid')), 'no server started');
});

test('a user without root brings the whole stack up from its own cache; every server answers; down.sh stops it', { timeout: 1_200_000 }, async () => {
  const up = asUser('up.sh', [], env);
  assert.equal(up.status, 0, `up.sh as ${USER} failed:\n${up.stdout}\n${up.stderr}`);
  const cache = join(home, '.cache', 'netmon');

  // Each server runs as the user; influxd and snmpd from the unpacked packages in its cache,
  // Kafka from the jars in its cache.
  const pids: Record<string, number> = {};
  for (const [name, file, from] of [
    ['influxdb', 'influxdb/influxd.pid', join(cache, 'debs', 'influxdb_')],
    ['snmpd', 'snmpd/snmpd.pid', join(cache, 'debs', 'snmpd_')],
    ['kafka', 'kafka/kafka.pid', join(cache, 'kafka-')],
  ] as const) {
    const pid = Number(readFileSync(join(stackDir, file), 'utf8').trim());
    pids[name] = pid;
    assert.equal(statSync(`/proc/${pid}`).uid, uid, `${name} (pid ${pid}) runs as ${USER}`);
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
    assert.ok(cmdline.includes(from), `${name} runs from ${from}*: ${cmdline}`);
  }
  for (const pkg of ['influxdb', 'snmpd', 'snmp', 'maven']) {
    const current = readFileSync(join(cache, 'debs', `${pkg}.current`), 'utf8').trim();
    assert.ok(existsSync(join(cache, 'debs', current, '.netmon-complete')), `${pkg} unpacked in ${current}`);
  }

  // InfluxDB /ping
  const ping = await fetch(`http://127.0.0.1:${env.NETMON_INFLUX_PORT}/ping`);
  assert.equal(ping.status, 204, 'InfluxDB /ping');

  // Kafka metadata
  const kafka = new Kafka({ clientId: 'stack-no-root-test', brokers: [`127.0.0.1:${env.NETMON_KAFKA_PORT}`], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const cluster = await admin.describeCluster();
    assert.deepEqual(cluster.brokers.map((b) => `${b.host}:${b.port}`), [`127.0.0.1:${env.NETMON_KAFKA_PORT}`]);
  } finally {
    await admin.disconnect();
  }

  // snmpd: v2c GET sysUpTime.0 with the community up.sh wrote to the stack's env
  const stackEnv = Object.fromEntries(
    readFileSync(join(stackDir, 'env'), 'utf8').split('\n').map((l) => /^([A-Z0-9_]+)=(.*)$/.exec(l)).filter((m) => m !== null).map((m) => [m[1], m[2]]),
  );
  const session = snmp.createSession('127.0.0.1', stackEnv.NETMON_SNMP_COMMUNITY, { port: Number(env.NETMON_SNMP_PORT), version: snmp.Version2c, timeout: 2000, retries: 1 });
  try {
    const vbs = await new Promise<snmp.Varbind[]>((resolve, reject) => session.get(['1.3.6.1.2.1.1.3.0'], (err, v) => (err ? reject(err) : resolve(v as snmp.Varbind[]))));
    assert.equal(vbs[0].type, snmp.ObjectType.TimeTicks, 'snmpd answers sysUpTime.0');
  } finally {
    session.close();
  }

  // check.sh as the user agrees (v3, ifXTable, fresh counters too)
  const check = asUser('check.sh', [], env, 120_000);
  assert.equal(check.status, 0, `check.sh:\n${check.stdout}\n${check.stderr}`);

  const down = asUser('down.sh', [], env, 120_000);
  assert.equal(down.status, 0, `down.sh:\n${down.stdout}\n${down.stderr}`);
  for (const [name, pid] of Object.entries(pids)) assert.ok(!running(pid), `${name} (pid ${pid}) stopped`);
});

test('without root, install-browser.sh unpacks Chromium in the user\'s cache and its launcher renders a page', { timeout: 600_000 }, () => {
  const r = asUserRun(['bash', join(scripts, 'install-browser.sh')], env, 600_000);
  assert.equal(r.status, 0, `install-browser.sh as ${USER} failed:\n${r.stdout}\n${r.stderr}`);
  const launcher = join(home, '.cache', 'netmon', 'chromium');
  assert.match(r.stdout, new RegExp(`Chromium [0-9.]+ +from ${launcher}`));
  const page = asUserRun([launcher, '--headless', '--no-sandbox', '--disable-gpu', '--dump-dom', 'data:text/html,<p id=x>rendered without root</p>'], env, 120_000);
  assert.equal(page.status, 0, `chromium --dump-dom: ${page.stderr}`);
  assert.match(page.stdout, /<p id="x">rendered without root<\/p>/);
});
