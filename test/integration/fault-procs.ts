// Processes of the fault suite: `netmon processor` members as child processes (so a test can
// SIGSTOP or SIGKILL them), restarted like a service manager would when they exit on their own, and
// the stack's own servers (InfluxDB, Kafka) paused, killed and restarted by their pid files.
// Rules: every process is signalled by its pid only (never by name); everything started here is
// stopped by the caller's `finally`; every wait is bounded.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { parseEnvFile } from '../../cli/stack-env.js';
import { repoRoot } from '../../common/package-root.js';
import { waitFor } from './stack.js';

/** How many times a member that exits on its own is started again (a service manager's restart policy, bounded). */
const MAX_RESTARTS = 5;
const RESTART_DELAY_MS = 1000;
/** No member outlives this, whatever happens to the test. */
const LIFETIME_MS = 15 * 60_000;

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

export interface Member {
  name: string;
  /** Exits the member did not ask for (each followed by a restart while the budget lasts). */
  crashes: () => number;
  /** The last lines it logged or wrote to stderr, across its lives. */
  stderr: () => string;
  /** The file holding all of it. */
  logFile: string;
  pid: () => number | undefined;
  running: () => boolean;
  /** Its /metrics counters, summed over label sets; 0 for names it does not serve yet. */
  metric: (name: string) => Promise<number>;
  signal: (sig: 'SIGSTOP' | 'SIGCONT' | 'SIGKILL') => void;
  /** SIGTERM and the exit code (null when it had to be killed after `graceMs`). */
  stop: (graceMs?: number) => Promise<number | null>;
}

/** Writes the member's config file and starts `netmon processor` with it. */
export async function startMember(dir: string, name: string, config: Record<string, unknown>): Promise<Member> {
  const port = await freePort();
  const file = join(dir, `${name}.json.yaml`);
  const logFile = join(dir, `${name}.log`);
  const processor = { ...(config.processor as object), metricsListen: `127.0.0.1:${port}` };
  writeFileSync(join(dir, 'devices.yaml'), 'devices: []\n');
  writeFileSync(file, JSON.stringify({ ...config, processor, devicesFile: 'devices.yaml' }));
  let child: ChildProcess | null = null;
  let err = '';
  let crashes = 0;
  let stopping = false;
  let exited: Promise<number | null> = Promise.resolve(null);
  const spawnOne = () => {
    const c = spawn(process.execPath, [join(repoRoot(), 'bin', 'netmon.js'), 'processor', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    // The log (stdout, JSON lines) and stderr in one tail, for failure messages, and whole in a file.
    const keep = (d: Buffer) => {
      err = (err + d.toString()).slice(-6000);
      appendFileSync(logFile, d);
    };
    c.stdout.on('data', keep);
    c.stderr.on('data', keep);
    const timer = setTimeout(() => c.kill('SIGKILL'), LIFETIME_MS);
    exited = new Promise((resolve) =>
      c.once('exit', (code, sig) => {
        clearTimeout(timer);
        resolve(code);
        if (stopping) return;
        crashes++;
        err += `\n[${name} exited on its own: code ${code}, signal ${sig}]\n`;
        if (crashes <= MAX_RESTARTS) setTimeout(() => !stopping && spawnOne(), RESTART_DELAY_MS);
      }),
    );
  };
  spawnOne();
  const alive = () => child !== null && child.exitCode === null && child.signalCode === null;
  return {
    name,
    crashes: () => crashes,
    stderr: () => err,
    logFile,
    pid: () => child?.pid,
    running: alive,
    async metric(metricName) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2000) });
        const text = await res.text();
        let sum = 0;
        for (const m of text.matchAll(new RegExp(`^${metricName}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'gm'))) sum += Number(m[1]);
        return sum;
      } catch {
        return 0;
      }
    },
    signal(sig) {
      if (alive()) child!.kill(sig);
    },
    async stop(graceMs = 30_000) {
      stopping = true;
      if (!alive()) return child?.exitCode ?? null;
      child!.kill('SIGCONT');
      child!.kill('SIGTERM');
      const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
      const code = await Promise.race([exited, timeout]);
      if (code !== 'timeout') return code;
      child!.kill('SIGKILL');
      await exited;
      return null;
    },
  };
}

// --- the stack's own servers ----------------------------------------------------------------

type Server = 'kafka' | 'influx';
const PID_KEYS: Record<Server, string> = { kafka: 'NETMON_KAFKA_PID_FILE', influx: 'NETMON_INFLUX_PID_FILE' };

function stackEnvFile(): Record<string, string> {
  return parseEnvFile(readFileSync(process.env.NETMON_STACK_ENV ?? join(repoRoot(), '.stack', 'env'), 'utf8'));
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pid of the stack's server, from its pid file; fails when it is not running. */
export function serverPid(server: Server): number {
  const pid = Number(readFileSync(stackEnvFile()[PID_KEYS[server]], 'utf8').trim());
  if (!(pid > 0 && pidAlive(pid))) throw new Error(`the stack's ${server} is not running (pid file says ${pid})`);
  return pid;
}

/** Sends `sig` to the server and, for a terminating signal, waits until it has exited. */
export async function signalServer(server: Server, sig: 'SIGSTOP' | 'SIGCONT' | 'SIGKILL' | 'SIGTERM'): Promise<number> {
  const pid = serverPid(server);
  process.kill(pid, sig);
  if (sig === 'SIGKILL' || sig === 'SIGTERM') await waitFor(`${server} (pid ${pid}) to exit after ${sig}`, () => !pidAlive(pid), 90_000, 100);
  return pid;
}

/** scripts/stack/up.sh: starts what is not running (the same stack: NETMON_STACK_DIR and ports come from the environment) and waits until it answers. */
export async function stackUp(): Promise<void> {
  const child = spawn('bash', [join(repoRoot(), 'scripts', 'stack', 'up.sh')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`scripts/stack/up.sh failed (${code}):\n${out.slice(-3000)}`);
}
