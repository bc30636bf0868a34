// What the collector-group tests share: a lab on the first free block of base ports, and `netmon
// collector` child processes whose log tells which share of the devices each holds.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab } from '../../collector/lab/lab.js';
import type { LabOptions } from '../../collector/lab/options.js';
import { createLab } from '../../collector/lab/lab.js';
import { ConfigError } from '../../common/errors.js';
import { silentLogger } from '../../common/log.js';
import { repoRoot } from '../../common/package-root.js';

/** A started lab at the first base port from `from` (steps of 200, up to `upTo`) whose ports are free. */
export async function startLabOnFreePorts(options: Omit<LabOptions, 'basePort'>, from: number, upTo: number): Promise<Lab> {
  for (let base = from; ; base += 200) {
    const l = createLab(silentLogger, { ...options, basePort: base });
    try {
      await l.start();
      return l;
    } catch (err) {
      if (!(err instanceof ConfigError && /cannot bind/.test(err.message)) || base > upTo) throw err;
    }
  }
}

export interface CollectorProc {
  name: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  /** The device count of its latest share (-1 before the first). */
  devices: () => number;
  /** When it logged its latest share. */
  assignedAt: () => number;
  stderr: () => string;
}

/** `netmon collector --config configFile`; its log also goes to $NETMON_CGROUP_LOG_DIR/<logName>.log when that is set. Killed after 400 s at the latest. */
export function startCollector(configFile: string, name: string, logName = name): CollectorProc {
  const child = spawn(process.execPath, [join(repoRoot(), 'bin', 'netmon.js'), 'collector', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  let partial = '';
  let devices = -1;
  let assignedAt = 0;
  child.stderr.on('data', (d: Buffer) => (tail = (tail + d.toString()).slice(-4000)));
  // The log (JSON lines) goes to stdout.
  child.stdout.on('data', (d: Buffer) => {
    if (process.env.NETMON_CGROUP_LOG_DIR) appendFileSync(join(process.env.NETMON_CGROUP_LOG_DIR, `${logName}.log`), d);
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      try {
        const o = JSON.parse(line) as { msg?: string; devices?: number };
        if (o.msg === 'collector group share' && typeof o.devices === 'number') {
          devices = o.devices;
          assignedAt = Date.now();
        }
      } catch {
        // not a log line of ours
      }
    }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 400_000);
  const exited = new Promise<number | null>((r) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      r(code);
    }),
  );
  return { name, child, exited, devices: () => devices, assignedAt: () => assignedAt, stderr: () => tail };
}
