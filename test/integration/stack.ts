// Integration-test access to the local stack (real Kafka, InfluxDB, snmpd on loopback). Tests fail,
// never skip, when the stack is not running: `npm test` brings it up first. Each test gets its own
// topics, consumer group and database so tests cannot see each other's data.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../common/package-root.js';
import { parseEnvFile } from '../../cli/stack-env.js';
import { deviceSchema, netmonConfigSchema, type DeviceConfig, type NetmonConfig } from '../../common/config/schema.js';
import type { LoadedConfig } from '../../common/config/load.js';

export interface StackEnv {
  kafkaBrokers: string[];
  influxUrl: string;
  snmpHost: string;
  snmpPort: number;
  community: string;
  v3: { user: string; authProtocol: string; authKey: string; privProtocol: string; privKey: string };
}

export function stackEnv(): StackEnv {
  const file = process.env.NETMON_STACK_ENV ?? join(repoRoot(), '.stack', 'env');
  if (!existsSync(file)) throw new Error(`the local stack is not running (${file} missing): run \`npm run stack:up\` or \`npm test\``);
  const e = { ...parseEnvFile(readFileSync(file, 'utf8')) };
  const need = (k: string) => {
    const v = e[k];
    if (!v) throw new Error(`${file} lacks ${k}`);
    return v;
  };
  return {
    kafkaBrokers: need('NETMON_KAFKA_BROKERS').split(','),
    influxUrl: need('NETMON_INFLUX_URL'),
    snmpHost: need('NETMON_SNMP_HOST'),
    snmpPort: Number(need('NETMON_SNMP_PORT')),
    community: need('NETMON_SNMP_COMMUNITY'),
    v3: {
      user: need('NETMON_SNMP_V3_USER'),
      authProtocol: need('NETMON_SNMP_V3_AUTH_PROTOCOL'),
      authKey: need('NETMON_SNMP_V3_AUTH_KEY'),
      privProtocol: need('NETMON_SNMP_V3_PRIV_PROTOCOL'),
      privKey: need('NETMON_SNMP_V3_PRIV_KEY'),
    },
  };
}

export function uniqueId(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

/** A config pointing at the stack, with topics, group and database unique to this test. */
export function testConfig(id: string, overrides: Record<string, unknown> = {}): NetmonConfig {
  const env = stackEnv();
  const o = overrides as { kafka?: object; influx?: object; collector?: object; processor?: object; dashboard?: object; log?: object };
  return netmonConfigSchema.parse({
    ...overrides,
    log: { level: process.env.NETMON_TEST_LOG_LEVEL ?? 'warn', ...o.log },
    kafka: {
      brokers: env.kafkaBrokers,
      samplesPartitions: 3,
      topics: { samples: `${id}.samples`, windows: `${id}.windows`, alerts: `${id}.alerts`, config: `${id}.config`, deadletter: `${id}.deadletter`, status: `${id}.status`, alertState: `${id}.alert-state`, alertActions: `${id}.alert-actions`, collectorState: `${id}.collector-state` },
      ...o.kafka,
    },
    influx: { url: env.influxUrl, database: id.replace(/[^A-Za-z0-9_]/g, '_'), ...o.influx },
    collector: { metricsListen: '127.0.0.1:0', groupId: `${id}-collectors`, ...o.collector },
    processor: { groupId: `${id}-processor`, metricsListen: '127.0.0.1:0', ...o.processor },
    dashboard: { host: '127.0.0.1', port: 0, ...o.dashboard },
  });
}

export function stackSnmpDevice(id = 'localhost', snmp?: Record<string, unknown>): DeviceConfig {
  const env = stackEnv();
  return deviceSchema.parse({ id, host: env.snmpHost, port: env.snmpPort, speedOverrides: { lo: 0 }, snmp: snmp ?? { version: '2c', community: env.community } });
}

export function loaded(config: NetmonConfig, devices: DeviceConfig[]): LoadedConfig {
  return { config, devices, configPath: null, devicesPath: null, env: {} };
}

/** Polls `fn` until it returns a truthy value or the deadline passes (bounded in time). */
export async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs: number, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown = null;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      lastErr = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? `: ${(lastErr as Error).message}` : ''}`);
}
