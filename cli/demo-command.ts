// `netmon demo`: the product at work on one machine, over the local stack (`npm start` runs it). Starts
// lab switches (collector/lab) and the scripted events (collector/lab/scenario.ts), writes the demo's
// configuration under .stack/demo/ (cli/demo-config.ts), and runs collector + processor + dashboard in
// this process under one supervisor, which stops exactly what it started on SIGINT/SIGTERM. Prints
// the dashboard URL and the admin password once everything is up. Ports: the lab takes the first free
// block of UDP ports from --base-port (or $NETMON_DEMO_BASE_PORT, default 16100); the dashboard
// $NETMON_DASHBOARD_PORT when set, else the first free port from 8080. Flags and --help: demo-flags.ts.
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, relative, resolve } from 'node:path';
import { createLab, type Lab } from '../collector/lab/lab.js';
import { createScenarioRunner, describeAction, planScenario, type ScenarioAction } from '../collector/lab/scenario.js';
import { systemClock } from '../common/clock.js';
import { loadConfig } from '../common/config/load.js';
import { ConfigError, UsageError } from '../common/errors.js';
import { createSupervisor, type Component } from '../common/lifecycle.js';
import type { Logger } from '../common/log.js';
import { repoRoot } from '../common/package-root.js';
import { DEMO_LAB_DEVICES, demoFiles, demoLabOptions, type HostSnmp } from './demo-config.js';
import { assemble } from './services.js';

export interface DemoIo {
  env: Record<string, string | undefined>;
  stackEnvFile: string | null;
  out: (line: string) => void;
  logger: (level?: string, format?: 'auto' | 'json' | 'pretty') => Logger;
}

const isPort = (n: number) => Number.isInteger(n) && n >= 1024 && n <= 65535;

/** Whether every UDP port in [from, from + count) can be bound on host now. */
async function udpBlockFree(host: string, from: number, count: number): Promise<boolean> {
  const sockets = [];
  try {
    for (let p = from; p < from + count; p++) {
      const s = createSocket('udp4');
      sockets.push(s);
      await new Promise<void>((ok, fail) => {
        s.once('error', fail);
        s.bind(p, host, () => ok());
      });
    }
    return true;
  } catch {
    return false;
  } finally {
    await Promise.all(sockets.map((s) => new Promise<void>((ok) => {
      try {
        s.close(() => ok());
      } catch {
        ok();
      }
    })));
  }
}

async function tcpPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((ok) => {
    const srv = createServer();
    srv.once('error', () => ok(false));
    srv.listen(port, host, () => srv.close(() => ok(true)));
  });
}

async function firstFree(what: string, from: number, step: number, tries: number, free: (p: number) => Promise<boolean>): Promise<number> {
  for (let i = 0, p = from; i < tries && p + step - 1 <= 65535; i++, p += step) if (await free(p)) return p;
  throw new ConfigError(what, `no free port from ${from} (tried ${tries}); choose another`);
}

/** The admin password of the demo: kept in DIR/admin-password (0600) so it stays the same across restarts. */
function adminPassword(dir: string): string {
  const file = join(dir, 'admin-password');
  if (existsSync(file)) {
    const kept = readFileSync(file, 'utf8').trim();
    if (kept.length >= 12) return kept;
  }
  const pw = randomBytes(12).toString('base64url');
  writeFileSync(file, `${pw}\n`, { mode: 0o600 });
  return pw;
}

function hostSnmp(env: DemoIo['env']): HostSnmp | null {
  const port = Number(env.NETMON_SNMP_PORT);
  if (!env.NETMON_SNMP_HOST || !isPort(port)) return null;
  return { host: env.NETMON_SNMP_HOST, port, community: env.NETMON_SNMP_COMMUNITY || 'public' };
}

const clockTime = (ms: number) => new Date(ms).toTimeString().slice(0, 8);

export async function demoCommand(values: Record<string, unknown>, io: DemoIo): Promise<number> {
  const env = io.env;
  if (!io.stackEnvFile && !env.NETMON_KAFKA_BROKERS) {
    throw new UsageError('the demo runs over the local stack, and none was found (.stack/env): run `npm start`, or `npm run stack:up` first');
  }
  const stackDir = env.NETMON_STACK_DIR ? resolve(env.NETMON_STACK_DIR) : join(repoRoot(), '.stack');
  const dir = resolve(typeof values.dir === 'string' ? values.dir : join(stackDir, 'demo'));
  const baseText = typeof values['base-port'] === 'string' ? values['base-port'] : env.NETMON_DEMO_BASE_PORT ?? '16100';
  const base = Number(baseText);
  if (!isPort(base)) throw new UsageError(`--base-port: expected a UDP port 1024..65535, got ${JSON.stringify(baseText)}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });

  const labBase = await firstFree('demo --base-port', base, DEMO_LAB_DEVICES, 20, (p) => udpBlockFree('127.0.0.1', p, DEMO_LAB_DEVICES));
  const dashboardPort = env.NETMON_DASHBOARD_PORT ? Number(env.NETMON_DASHBOARD_PORT) : await firstFree('dashboard.port', 8080, 1, 20, (p) => tcpPortFree('127.0.0.1', p));
  const password = adminPassword(dir);

  const labLog = io.logger('warn');
  const labs: Lab[] = demoLabOptions(labBase).map((o) => createLab(labLog, o));
  const snmpd = hostSnmp(env);
  const files = demoFiles({ labDevices: labs.flatMap((l) => l.deviceEntries('2c')), hostSnmp: snmpd, dashboardPort, adminPassword: password, writtenAt: new Date() });
  for (const [name, text] of Object.entries(files) as Array<[string, string]>) writeFileSync(join(dir, name), text, { mode: 0o600 });

  const loaded = loadConfig(join(dir, 'netmon.yaml'), env);
  const log = io.logger(loaded.config.log.level, loaded.config.log.format);
  if (io.stackEnvFile) log.info({ file: io.stackEnvFile }, 'using the local stack settings');
  const supervisor = createSupervisor(log);
  const { components, dashboardUrl } = assemble(log, loaded, ['collector', 'processor', 'dashboard'], supervisor);
  const windowMs = loaded.config.processor.windowSeconds * 1000;
  const scenario = createScenarioRunner(log, {
    labs,
    clock: systemClock,
    plan: (start) => planScenario(labs.flatMap((l) => l.devices), start, { windowMs }),
  });
  const where = (p: string) => (relative(process.cwd(), p).startsWith('..') ? p : relative(process.cwd(), p) || '.');
  // Last to start, so the banner appears once everything answers: the one thing a person looks for.
  const banner: Component = {
    name: 'demo-banner',
    start() {
      const url = dashboardUrl() ?? '(no dashboard)';
      const events = [...scenario.pending()].filter((a, i, all) => a.kind !== 'oper' || all.findIndex((b) => b.kind === 'oper') === i);
      io.out([
        '',
        'netmon demo is running',
        `  dashboard   ${url}`,
        `  admin       password ${password}   (user admin; log in to change devices and rules)`,
        `  devices     ${labs.map((l) => `${l.devices.length} x ${l.options.ports}-port lab switches ${l.devices[0].id}..${l.devices.at(-1)!.id}`).join(', ')} (udp ${labBase}-${labBase + DEMO_LAB_DEVICES - 1})${snmpd ? `, and this host's snmpd as localhost (udp ${snmpd.port})` : ''}`,
        `  polling     every ${loaded.config.collector.pollIntervalSeconds} s into ${loaded.config.processor.windowSeconds} s windows: the first windows arrive within about 2 minutes`,
        `  config      ${where(dir)}/netmon.yaml, devices.yaml, alerts.yaml`,
        '  events      (repeated every 20 minutes)',
        ...events.map((a: ScenarioAction) => `    ${clockTime(a.atMs)}  ${describeAction(a)}`),
        '  Ctrl-C stops the demo.',
        '',
      ].join('\n'));
      return Promise.resolve();
    },
    stop: () => Promise.resolve(),
  };
  return supervisor.run([...labs, ...components, scenario, banner]);
}
