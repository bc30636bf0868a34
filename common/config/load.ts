// Loading configuration: YAML file -> ${ENV} interpolation -> environment overrides of connection
// settings -> schema validation -> deeply frozen value. The environment is given, never read here
// (the command resolves it once; LoadedConfig carries it to every later reader). Errors name the path and, for unknown keys,
// the allowed keys. Validated once at start; nothing reads config files later except through here.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isScalar, isMap, isSeq, type Node as YamlNode } from 'yaml';
import { parseYamlText } from './yaml-text.js';
import { z } from 'zod';
import { ConfigError, ErrorCodes, NetmonError } from '../errors.js';
import { formatPath } from '../contracts/codec.js';
import { interpolateString, type Env } from './interpolate.js';
import { devicesFileSchema, netmonConfigSchema, type DeviceConfig, type NetmonConfig } from './schema.js';

export type { Env } from './interpolate.js';

export interface LoadedConfig {
  readonly config: NetmonConfig;
  readonly devices: readonly DeviceConfig[];
  /** Absolute path of the config file, or null when running on built-in defaults. */
  readonly configPath: string | null;
  readonly devicesPath: string | null;
  /**
   * The environment the files were read with (the real one over .stack/env, resolved once by the
   * command): every later reader of a file with ${VAR} (the dashboard's device store) takes this one.
   */
  readonly env: Env;
}

/** Replaces ${VAR}, ${VAR:-default} and $$ in every scalar string (interpolate.ts has the rules). */
function interpolate(node: YamlNode | null, env: Env, path: (string | number)[], file: string): void {
  if (node === null) return;
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '?';
      interpolate(pair.value as YamlNode | null, env, [...path, key], file);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => interpolate(item as YamlNode | null, env, [...path, i], file));
  } else if (isScalar(node) && typeof node.value === 'string') {
    node.value = interpolateString(node.value, env, `${file}: ${formatPath(path)}`);
  }
}

function readYaml(file: string, env: Env): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new NetmonError(ErrorCodes.CONFIG_READ, `cannot read config file ${file}: ${(err as Error).message}`, { cause: err });
  }
  const doc = parseYamlText(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(file, `not valid YAML: ${doc.errors[0].message}`);
  }
  interpolate(doc.contents, env, [], file);
  return doc.toJS() ?? {};
}

/** Finds the object schema at `path` to list the keys that are allowed there. */
function allowedKeysAt(schema: z.ZodType, path: ReadonlyArray<PropertyKey>): string[] | null {
  let current: z.ZodType | undefined = schema;
  const step = (s: z.ZodType): z.ZodType => {
    let t = s;
    for (let guard = 0; guard < 10; guard++) {
      const def = (t as unknown as { def: { type: string; innerType?: z.ZodType; in?: z.ZodType; schema?: z.ZodType } }).def;
      if (def.innerType) t = def.innerType;
      else if (def.type === 'pipe' && def.in) t = def.in;
      else break;
    }
    return t;
  };
  for (const part of path) {
    if (!current) return null;
    const s = step(current);
    if (s instanceof z.ZodObject) current = (s.shape as Record<string, z.ZodType>)[String(part)];
    else if (s instanceof z.ZodArray) current = s.element as z.ZodType;
    else return null;
  }
  if (!current) return null;
  const s = step(current);
  return s instanceof z.ZodObject ? Object.keys(s.shape) : null;
}

export function validate<S extends z.ZodType>(schema: S, raw: unknown, file: string): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (issue.code === 'unrecognized_keys') {
    const base = formatPath(issue.path);
    const key = issue.keys[0];
    const where = base ? `${base}.${key}` : key;
    const allowed = allowedKeysAt(schema, issue.path);
    throw new ConfigError(`${file}: ${where}`, `unknown key "${key}"${allowed ? `; allowed keys here: ${allowed.join(', ')}` : ''}`);
  }
  throw new ConfigError(`${file}: ${formatPath(issue.path) || '(top level)'}`, issue.message);
}

/** Connection settings that the environment overrides (the local stack writes these to .stack/env). */
function applyEnvOverrides(raw: unknown, env: Env): unknown {
  const obj = (raw && typeof raw === 'object' && !Array.isArray(raw) ? { ...(raw as Record<string, unknown>) } : raw) as Record<string, unknown>;
  if (typeof obj !== 'object' || obj === null) return raw;
  const section = (name: string): Record<string, unknown> => {
    const cur = obj[name];
    const copy = cur && typeof cur === 'object' && !Array.isArray(cur) ? { ...(cur as Record<string, unknown>) } : {};
    obj[name] = copy;
    return copy;
  };
  if (env.NETMON_KAFKA_BROKERS) section('kafka').brokers = env.NETMON_KAFKA_BROKERS.split(',').map((s) => s.trim()).filter(Boolean);
  if (env.NETMON_INFLUX_URL) section('influx').url = env.NETMON_INFLUX_URL;
  if (env.NETMON_INFLUX_DATABASE) section('influx').database = env.NETMON_INFLUX_DATABASE;
  if (env.NETMON_DASHBOARD_HOST) section('dashboard').host = env.NETMON_DASHBOARD_HOST;
  if (env.NETMON_DASHBOARD_PORT) section('dashboard').port = Number(env.NETMON_DASHBOARD_PORT);
  if (env.NETMON_LOG_LEVEL) section('log').level = env.NETMON_LOG_LEVEL;
  if (env.NETMON_LOG_FORMAT) section('log').format = env.NETMON_LOG_FORMAT;
  return obj;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}

export function loadDevicesFile(file: string, env: Env): DeviceConfig[] {
  const parsed = validate(devicesFileSchema, readYaml(file, env), file);
  return deepFreeze(parsed.devices);
}

/**
 * Loads netmon's configuration. `file` null means: built-in defaults plus environment overrides,
 * and no devices unless `devicesFile` is absolute.
 */
export function loadConfig(file: string | null, env: Env): LoadedConfig {
  const configPath = file ? resolve(file) : null;
  const raw = configPath ? readYaml(configPath, env) : {};
  const config = deepFreeze(validate(netmonConfigSchema, applyEnvOverrides(raw, env), configPath ?? '(defaults)'));
  const devicesPath = configPath ? resolve(dirname(configPath), config.devicesFile) : null;
  const devices = devicesPath ? loadDevicesFile(devicesPath, env) : [];
  return Object.freeze({ config, devices, configPath, devicesPath, env: Object.freeze({ ...env }) });
}

/** True when a YAML file is a device list (its only top-level key is `devices`). */
export function looksLikeDevicesFile(file: string, env: Env): boolean {
  const raw = readYaml(file, env);
  return !!raw && typeof raw === 'object' && Object.keys(raw).length > 0 && Object.keys(raw).every((k) => k === 'devices');
}
