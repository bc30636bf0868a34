// The `netmon` command: one entry point for every service and tool. Each command parses its own
// flags, loads and validates the configuration once, wires components and hands them to the
// supervisor. Exit codes: 0 ok, 1 runtime failure, 2 bad usage or bad configuration.
// Process-level policy: an async failure nobody handled (unhandledRejection, uncaughtException)
// leaves the process in an unknown state, so it never goes on running: with services running, their
// supervisor stops every component in order and the command ends with exit code 1 and the reason
// (common/lifecycle.ts); without (a tool command), the process ends at once. Either way a line on
// stderr names the reason, and a stop that hangs is cut short by a deadline.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadConfig, loadDevicesFile, looksLikeDevicesFile, type LoadedConfig } from '../common/config/load.js';
import { ErrorCodes, NetmonError, UsageError, errorMessage } from '../common/errors.js';
import { createLogger, type LogFormat, type Logger } from '../common/log.js';
import { processFault } from '../common/lifecycle.js';
import { repoRoot } from '../common/package-root.js';
import { loadEnvWithStack } from './stack-env.js';
import type { ServiceName } from './services.js';
import { LAB_FLAGS, LAB_USAGE } from '../collector/lab/flags.js';
import { configReference } from './config-reference.js';
import { versionLine } from '../common/version.js';

interface CommandSpec {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  /** Takes positional arguments (e.g. `pcap import FILE`); the others reject them. */
  positionals?: boolean;
  run(values: Record<string, unknown>, ctx: Context, positionals: string[]): Promise<number>;
}

interface Context {
  env: Record<string, string | undefined>;
  stackEnvFile: string | null;
  out: (line: string) => void;
  err: (line: string) => void;
  logger(level?: string, format?: LogFormat): Logger;
}

const common = {
  config: { type: 'string', short: 'c' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Where the configuration is looked up without --config: $NETMON_CONFIG, ./config, /etc/netmon (an installed service), then the package's sample. */
export function defaultConfigPath(env: Context['env'], exists: (p: string) => boolean = existsSync): string | null {
  if (env.NETMON_CONFIG) return resolve(env.NETMON_CONFIG);
  for (const p of [resolve('config/netmon.yaml'), '/etc/netmon/netmon.yaml', join(repoRoot(), 'config/netmon.yaml')]) if (exists(p)) return p;
  return null;
}

function load(values: Record<string, unknown>, ctx: Context): LoadedConfig {
  const file = typeof values.config === 'string' ? resolve(values.config) : defaultConfigPath(ctx.env);
  return loadConfig(file, ctx.env);
}

const serviceCommand = (name: ServiceName, summary: string): CommandSpec => ({
  summary,
  usage: `netmon ${name} [--config FILE]`,
  options: common,
  async run(values, ctx) {
    const loaded = load(values, ctx);
    const log = ctx.logger(loaded.config.log.level, loaded.config.log.format);
    if (ctx.stackEnvFile) log.info({ file: ctx.stackEnvFile }, 'using the local stack settings');
    log.info({ config: loaded.configPath ?? '(built-in defaults)', devices: loaded.devices.length }, 'configuration loaded');
    // Loaded lazily: tools like check-config should not pay for Kafka, InfluxDB and fastify.
    const { runServices, SERVICE_COMMANDS } = await import('./services.js');
    return runServices(log, loaded, SERVICE_COMMANDS[name]);
  },
});

const COMMANDS: Record<string, CommandSpec> = {
  collector: serviceCommand('collector', 'Poll the configured devices over SNMP and publish counter samples to Kafka'),
  processor: serviceCommand('processor', 'Turn counter samples into 60 s event-time windows; write InfluxDB and netmon.windows'),
  dashboard: serviceCommand('dashboard', 'Serve the web dashboard (REST + live WebSocket)'),
  all: serviceCommand('all', 'Run collector, processor and dashboard in one process'),
  'check-config': {
    summary: 'Validate a configuration file (netmon.yaml and the device list it names, or a device list alone)',
    usage: 'netmon check-config --config FILE',
    options: common,
    async run(values, ctx) {
      const file = typeof values.config === 'string' ? resolve(values.config) : defaultConfigPath(ctx.env);
      if (!file) throw new UsageError('no configuration file: give --config FILE');
      if (looksLikeDevicesFile(file, ctx.env)) {
        const devices = loadDevicesFile(file, ctx.env);
        ctx.out(`${file}: OK (device list, ${devices.length} device${devices.length === 1 ? '' : 's'})`);
        return 0;
      }
      const loaded = loadConfig(file, ctx.env);
      ctx.out(`${file}: OK`);
      ctx.out(`${loaded.devicesPath}: OK (${loaded.devices.length} device${loaded.devices.length === 1 ? '' : 's'})`);
      const { loadAlertRules } = await import('../common/config/alert-rules.js');
      const { rules } = loadAlertRules(loaded.config, loaded.configPath);
      ctx.out(`alert rules: OK (${rules.length} rule${rules.length === 1 ? '' : 's'})`);
      ctx.out(JSON.stringify({ config: loaded.config, devices: loaded.devices, alertRules: rules }, null, 2));
      return 0;
    },
  },
  windows: {
    summary: 'Print stored window results from InfluxDB',
    usage: 'netmon windows --device ID [--interface IFINDEX | --device-total] --from ISO8601 --to ISO8601 [--json] [--config FILE]',
    options: { ...common, device: { type: 'string' }, interface: { type: 'string' }, 'device-total': { type: 'boolean' }, from: { type: 'string' }, to: { type: 'string' }, json: { type: 'boolean' } },
    async run(values, ctx) {
      const { windowsCommand } = await import('./windows-command.js');
      return windowsCommand(values, load(values, ctx), ctx.out);
    },
  },
  lab: {
    summary: 'Run simulated SNMP switches on loopback (real agents, exact varying traffic) for tests, demos and load',
    usage: LAB_USAGE,
    options: LAB_FLAGS,
    async run(values, ctx) {
      const { labCommand } = await import('./lab-command.js');
      return labCommand(values, ctx);
    },
  },
  pcap: {
    summary: 'Import a pcap capture (a file, or - for stdin such as `tcpdump -w -`) as 1 s traffic deltas into the pipeline',
    usage: 'netmon pcap import FILE|- --device ID [--local-net CIDR]... [--config FILE]',
    options: { ...common, device: { type: 'string' }, 'local-net': { type: 'string', multiple: true } },
    positionals: true,
    async run(values, ctx, positionals) {
      const { pcapImportCommand } = await import('./pcap-command.js');
      return pcapImportCommand(values, positionals, load(values, ctx), ctx.out, ctx.err);
    },
  },
  user: {
    summary: 'Manage the dashboard\'s users and bearer tokens (add, passwd, remove, list, token, revoke)',
    usage: 'netmon user add|passwd|remove|list|token|revoke ... (netmon user --help)',
    options: { ...common, role: { type: 'string' }, 'password-file': { type: 'string' } },
    positionals: true,
    async run(values, ctx, positionals) {
      const { userCommand, readPasswordFromTerminal, USER_USAGE } = await import('./user-command.js');
      if (positionals.length === 0) throw new UsageError(`usage: ${USER_USAGE}`);
      const loaded = load(values, ctx);
      return userCommand(values, positionals, loaded, ctx.logger(loaded.config.log.level), { out: ctx.out, readPassword: readPasswordFromTerminal });
    },
  },
  'config-reference': {
    summary: 'Print every configuration key with its default and meaning (Markdown)',
    usage: 'netmon config-reference',
    options: { help: common.help },
    run(_values, ctx) {
      ctx.out(configReference());
      return Promise.resolve(0);
    },
  },
};

function helpText(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return [
    'netmon: network-traffic monitoring (SNMP/pcap -> Kafka -> 60 s windows -> InfluxDB -> live dashboard)',
    '',
    'Usage: netmon <command> [options]   (netmon <command> --help for its options)',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([k, c]) => `  ${k.padEnd(width)}  ${c.summary}`),
    '',
    'Every command reads --config FILE (default: $NETMON_CONFIG, else the first of ./config/netmon.yaml,',
    '/etc/netmon/netmon.yaml and the package\'s sample config/netmon.yaml) and, when present, the local stack',
    'settings in .stack/env (written by `npm run stack:up`).  netmon --version prints the version.',
  ].join('\n');
}

/** How long components get to stop after a process fault before the process exits regardless. */
const FAULT_EXIT_DEADLINE_MS = 60_000;

/** Installs the process-level policy for one command; returns its removal. */
function guardProcess(name: string, err: (line: string) => void): () => void {
  const handler = (reason: 'unhandled-rejection' | 'uncaught-exception') => (e: unknown) => {
    if (processFault(reason, e)) {
      setTimeout(() => {
        err(`netmon ${name}: components did not stop within ${FAULT_EXIT_DEADLINE_MS / 1000} s after ${reason}; exiting`);
        process.exit(1);
      }, FAULT_EXIT_DEADLINE_MS).unref();
      return;
    }
    err(`netmon ${name}: ${reason}: ${errorMessage(e)}; exiting`);
    process.exit(1);
  };
  const onRejection = handler('unhandled-rejection');
  const onException = handler('uncaught-exception');
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return () => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  };
}

export async function main(argv: string[], io: { out?: (s: string) => void; err?: (s: string) => void } = {}): Promise<number> {
  const out = io.out ?? ((s: string) => process.stdout.write(`${s}\n`));
  const err = io.err ?? ((s: string) => process.stderr.write(`${s}\n`));
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V' || name === 'version') {
    out(versionLine());
    return 0;
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    out(helpText());
    return name ? 0 : 2;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    err(`netmon: unknown command "${name}"; commands: ${Object.keys(COMMANDS).join(', ')}`);
    return 2;
  }
  const { env, stackEnvFile } = loadEnvWithStack();
  const ctx: Context = { env, stackEnvFile, out, err, logger: (level, format) => createLogger({ level: level ?? 'info', format }) };
  const unguard = guardProcess(name, err);
  try {
    let values: Record<string, unknown>;
    let positionals: string[];
    try {
      ({ values, positionals } = parseArgs({ args: rest, options: cmd.options, allowPositionals: cmd.positionals === true, strict: true }));
    } catch (e) {
      throw new UsageError(`${errorMessage(e)}\nusage: ${cmd.usage}`);
    }
    if (values.help) {
      out(`${cmd.summary}\n\nusage: ${cmd.usage}`);
      return 0;
    }
    return await cmd.run(values, ctx, positionals);
  } catch (e) {
    if (e instanceof NetmonError) {
      err(`netmon ${name}: ${e.message} [${e.code}]`);
      // 2: the command, its arguments or its configuration are wrong; 1: it failed while running.
      return e.code === ErrorCodes.USAGE || e.code === ErrorCodes.INPUT || e.code === ErrorCodes.CONFIG_INVALID || e.code === ErrorCodes.CONFIG_READ ? 2 : 1;
    }
    err(`netmon ${name}: ${errorMessage(e)}`);
    return 1;
  } finally {
    unguard();
  }
}
