// The peer of bench:appliance: Debian's prometheus-snmp-exporter (fetched by
// scripts/bench/snmp-exporter.sh, run here on 127.0.0.1 only) scraping the same lab agents at the
// same interval, with an IF-MIB module that walks the very columns netmon's collector polls (Debian
// ships no generated snmp.yml, the MIBs' licences forbid it, so the module is written here from
// common/snmp/if-mib.ts: numeric OIDs, ifIndex as the index, ifName and ifAlias as lookup labels, as
// the upstream if_mib module does). Its CPU per interface-sample is read from /proc/<pid>/stat.
// Rules: the exporter is stopped by its pid; the scrapes are bounded in time and concurrency.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { repoRoot } from '../common/package-root.js';
import { COLUMNS, POLL_COLUMNS, SYS_UPTIME, type ColumnName } from '../common/snmp/if-mib.js';
import { freePort, startProc, waitUntil, type Proc } from './appliance-procs.js';

/** Columns that are labels (strings), not values. */
const LABEL_COLUMNS: readonly ColumnName[] = ['ifName', 'ifAlias'];
const GAUGES: readonly ColumnName[] = ['ifHighSpeed', 'ifSpeed', 'ifOperStatus', 'ifAdminStatus', 'ifCounterDiscontinuityTime'];

/** snmp.yml (the 0.21 format: auth in the module) with one module, if_mib, over netmon's poll columns. */
export function exporterConfig(opts: { community: string; maxRepetitions: number; timeoutSeconds: number }): string {
  const lookups = LABEL_COLUMNS.map((c) => ({ labels: ['ifIndex'], labelname: c, oid: COLUMNS[c], type: 'DisplayString' }));
  const metrics = [
    { name: 'sysUpTime', oid: SYS_UPTIME, type: 'gauge', help: 'sysUpTime' },
    ...POLL_COLUMNS.filter((c) => !LABEL_COLUMNS.includes(c)).map((c) => ({
      name: c,
      oid: COLUMNS[c],
      type: GAUGES.includes(c) ? 'gauge' : 'counter',
      help: c,
      indexes: [{ labelname: 'ifIndex', type: 'gauge' }],
      lookups,
    })),
  ];
  const module = {
    walk: POLL_COLUMNS.map((c) => COLUMNS[c]),
    get: [`${SYS_UPTIME}.0`],
    metrics,
    version: 2,
    max_repetitions: opts.maxRepetitions,
    retries: 1,
    timeout: `${opts.timeoutSeconds}s`,
    auth: { community: opts.community },
  };
  return stringify({ if_mib: module });
}

export interface Exporter {
  proc: Proc;
  /** One scrape of one lab agent: the interface-samples it returned (ifHCInOctets series). */
  scrape: (port: number) => Promise<number>;
}

/** Fetches (once) and starts the exporter; resolves when it answers. */
export async function startExporter(dir: string, opts: { community: string; maxRepetitions: number }): Promise<Exporter> {
  const r = spawnSync('bash', [join(repoRoot(), 'scripts', 'bench', 'snmp-exporter.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error('scripts/bench/snmp-exporter.sh failed (output above)');
  const [cmdLine, _shipped] = r.stdout.trim().split('\n');
  const cmd = cmdLine.split('\t');
  const config = join(dir, 'snmp.yml');
  writeFileSync(config, exporterConfig({ ...opts, timeoutSeconds: 5 }));
  const port = await freePort();
  const proc = startProc('snmp-exporter', cmd[0], [...cmd.slice(1), `--config.file=${config}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], join(dir, 'snmp-exporter.log'));
  const base = `http://127.0.0.1:${port}`;
  await waitUntil('the snmp exporter to answer', 30_000, async () => {
    if (proc.exited()) throw new Error(`the snmp exporter exited:\n${proc.tail()}`);
    return fetch(`${base}/`, { signal: AbortSignal.timeout(2000) }).then((res) => res.ok, () => false);
  });
  return {
    proc,
    async scrape(agentPort) {
      const res = await fetch(`${base}/snmp?target=127.0.0.1:${agentPort}&module=if_mib`, { signal: AbortSignal.timeout(30_000) });
      const text = await res.text();
      if (!res.ok) throw new Error(`snmp exporter: HTTP ${res.status} for port ${agentPort}: ${text.slice(0, 300)}`);
      let n = 0;
      for (let i = text.indexOf('\nifHCInOctets{'); i !== -1; i = text.indexOf('\nifHCInOctets{', i + 1)) n++;
      return n;
    },
  };
}

/** Runs `fn` over items with at most `parallel` at a time. */
export async function limited<T>(items: readonly T[], parallel: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, worker));
}

export interface PeerFigures {
  rounds: number;
  interfaceSamples: number;
  failedScrapes: number;
  cpuSecs: number;
  cpuSecsPer1000: number;
  roundSeconds: number[];
}

/**
 * Scrapes every agent once (warm-up), then `rounds` rounds `intervalMs` apart, as Prometheus would;
 * the exporter's CPU over the rounds (from the first round's start to the last one's end).
 */
export async function measurePeer(exp: Exporter, ports: readonly number[], rounds: number, intervalMs: number, parallel: number): Promise<PeerFigures> {
  let failed = 0;
  const round = async () => {
    let n = 0;
    await limited(ports, parallel, async (p) => {
      try {
        // Not `n += await ...`: that reads n before the wait, and the parallel scrapes would overwrite each other.
        const got = await exp.scrape(p);
        n += got;
      } catch {
        failed++;
      }
    });
    return n;
  };
  await round();
  failed = 0;
  const cpu0 = exp.proc.cpu();
  let samples = 0;
  const roundSeconds: number[] = [];
  const t0 = Date.now();
  for (let r = 0; r < rounds; r++) {
    const wait = t0 + r * intervalMs - Date.now();
    if (wait > 0) await new Promise((res) => setTimeout(res, wait));
    const rs = Date.now();
    samples += await round();
    roundSeconds.push((Date.now() - rs) / 1000);
  }
  const cpu1 = exp.proc.cpu();
  if (cpu0 === null || cpu1 === null) throw new Error('the snmp exporter exited during the measurement');
  const cpuSecs = cpu1 - cpu0;
  return { rounds, interfaceSamples: samples, failedScrapes: failed, cpuSecs, cpuSecsPer1000: samples > 0 ? (cpuSecs / samples) * 1000 : NaN, roundSeconds };
}
