// The processes bench:appliance runs and measures: `netmon <service>` (collector, processor,
// dashboard) and `netmon lab`, each a child process of its own, with its output in a log file, its
// /metrics read over loopback, and its CPU read from /proc/<pid>/stat.
// Rules: every child is stopped by its pid (SIGTERM, then SIGKILL after a grace), never by name; no
// child outlives LIFETIME_MS whatever happens to the bench; every wait is bounded.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { repoRoot } from '../common/package-root.js';
import { pidCpuSecs } from './processor-drain.js';

const LIFETIME_MS = 20 * 60_000;
const CLI = join(repoRoot(), 'bin', 'netmon.js');

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

export interface Proc {
  name: string;
  pid: number;
  /** CPU seconds so far (utime + stime), or null once it is gone. */
  cpu: () => number | null;
  /** The last lines it wrote (stdout and stderr), for error messages. */
  tail: () => string;
  exited: () => boolean;
  /** Resolves when `text` shows in its output (bounded by timeoutMs); rejects when it exits first. */
  waitFor: (text: string, timeoutMs: number) => Promise<void>;
  /** SIGTERM, SIGKILL after graceMs; resolves once it has exited. */
  stop: (graceMs?: number) => Promise<void>;
}

/** Starts `command args` with its output appended to logFile. */
export function startProc(name: string, command: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = process.env): Proc {
  const child: ChildProcess = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  const log = createWriteStream(logFile, { flags: 'a' });
  let tail = '';
  const waiters: Array<{ text: string; resolve: () => void }> = [];
  const onData = (b: Buffer) => {
    log.write(b);
    tail = (tail + b.toString()).slice(-8000);
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (tail.includes(waiters[i].text)) waiters.splice(i, 1)[0].resolve();
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  let done = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => {
    done = true;
    log.end();
    resolve();
  }));
  const killer = setTimeout(() => child.kill('SIGKILL'), LIFETIME_MS);
  killer.unref();
  const pid = child.pid;
  return {
    name,
    pid,
    cpu: () => (done ? null : pidCpuSecs(pid)),
    tail: () => tail,
    exited: () => done,
    waitFor(text, timeoutMs) {
      if (tail.includes(text)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${name} did not print "${text}" within ${timeoutMs} ms:\n${tail.slice(-3000)}`)), timeoutMs);
        waiters.push({ text, resolve: () => { clearTimeout(timer); resolve(); } });
        void exit.then(() => {
          clearTimeout(timer);
          reject(new Error(`${name} exited before printing "${text}":\n${tail.slice(-3000)}`));
        });
      });
    },
    async stop(graceMs = 15_000) {
      if (done) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
      clearTimeout(killer);
    },
  };
}

/** `netmon <args>` as a child process. */
export function startNetmon(name: string, args: string[], logFile: string): Proc {
  return startProc(name, process.execPath, [CLI, ...args], logFile);
}

/** A Prometheus text exposition's sample, summed over its label sets; 0 when absent or unreachable. */
export async function scrapeMetric(url: string, name: string): Promise<number> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    const text = await res.text();
    let sum = 0;
    for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'gm'))) sum += Number(m[1]);
    return sum;
  } catch {
    return 0;
  }
}

/** Polls `check` every 500 ms until it is true (bounded by timeoutMs). */
export async function waitUntil(what: string, timeoutMs: number, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
