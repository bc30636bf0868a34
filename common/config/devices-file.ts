// The device list file (config/devices.yaml) as an editable document: parse it with positions (so a
// broken hand edit is reported with its line), change single devices in place with the `yaml`
// Document API (comments and the order of untouched entries survive, and an unchanged value written
// as ${ENV} stays a reference), and write it atomically (temp file in the same directory, fsync,
// rename). Validation is the config schema's: one definition of a valid device. A value written
// from here is stored literally (every `$` doubled, which the reader turns back): what a client
// sends is never interpolated, so `${NETMON_ADMIN_PASSWORD}` in a tag stays those characters.
import { randomBytes } from 'node:crypto';
import { open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isMap, isSeq, LineCounter, type Document } from 'yaml';
import { parseYamlText } from './yaml-text.js';
import { ConfigError } from '../errors.js';
import { formatPath } from '../contracts/codec.js';
import { encodeConfigChange } from '../contracts/config-change.js';
import { devicesFileSchema, type DeviceConfig } from './schema.js';
import { escapeLiterals, interpolateString, type Env } from './interpolate.js';

export interface DevicesDocument {
  readonly doc: Document;
  readonly devices: DeviceConfig[];
}

/** The file's ${VAR} references resolved on the plain value (interpolate.ts has the rules). */
function interpolate(value: unknown, env: Env, path: (string | number)[], where: string): unknown {
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, [...path, i], where));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, interpolate(v, env, [...path, k], where)]));
  }
  return typeof value === 'string' ? interpolateString(value, env, `${where}: ${formatPath(path)}`) : value;
}

/** 1-based line of the node at `path` (or of its nearest existing ancestor). */
function lineOf(doc: Document, lines: LineCounter, path: ReadonlyArray<PropertyKey>): number {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as unknown[], true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && node.range) return lines.linePos(node.range[0]).line;
  }
  return 1;
}

/**
 * Parses and validates a device list text. Throws ConfigError whose path reads
 * `<file>:<line>: devices[2].host` so a person can go straight to the mistake.
 */
export function parseDevicesText(text: string, file: string, env: Env): DevicesDocument {
  const lines = new LineCounter();
  const doc = parseYamlText(text, { lineCounter: lines, uniqueKeys: true, keepSourceTokens: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const line = e.linePos?.[0]?.line ?? 1;
    throw new ConfigError(`${file}:${line}`, `not valid YAML: ${e.message.split('\n')[0]}`);
  }
  const raw = interpolate(doc.toJS() ?? {}, env, [], file);
  const parsed = devicesFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    let path: PropertyKey[] = [...issue.path];
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') {
      path = [...path, issue.keys[0]];
      message = `unknown key "${issue.keys[0]}"`;
    }
    throw new ConfigError(`${file}:${lineOf(doc, lines, path)}: ${formatPath(path) || '(top level)'}`, message);
  }
  return { doc, devices: parsed.data.devices };
}

/** A device as plain data with its secrets revealed (what the file and the config topic hold). */
export function devicePlain(device: DeviceConfig): Record<string, unknown> {
  return (JSON.parse(encodeConfigChange({ ts: 0, device })) as { device: Record<string, unknown> }).device;
}

/** The plain form without the values that are the schema's defaults, for a new entry in the file. */
function compactPlain(device: DeviceConfig): Record<string, unknown> {
  const p = devicePlain(device);
  if (p.port === 161) delete p.port;
  if (p.enabled === true) delete p.enabled;
  if (Array.isArray(p.tags) && p.tags.length === 0) delete p.tags;
  const i = p.interfaces as { include: unknown[]; exclude: unknown[]; types: unknown[]; adminUpOnly: boolean };
  if (i.include.length === 0 && i.exclude.length === 0 && i.types.length === 0 && !i.adminUpOnly) delete p.interfaces;
  if (Object.keys(p.speedOverrides as object).length === 0) delete p.speedOverrides;
  const s = p.snmp as Record<string, unknown>;
  if (s.context === '') delete s.context;
  return p;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function devicesSeq(doc: Document) {
  if (!isMap(doc.contents)) doc.contents = doc.createNode({ devices: [] });
  if (!isSeq(doc.getIn(['devices'], true))) doc.setIn(['devices'], doc.createNode([]));
  const seq = doc.getIn(['devices'], true);
  if (!isSeq(seq)) throw new Error('devices is not a sequence');
  return seq;
}

function indexOf(doc: Document, id: string): number {
  const seq = devicesSeq(doc);
  return seq.items.findIndex((item) => isMap(item) && item.get('id') === id);
}

/**
 * Writes `device` into the document: a new entry at the end, or, for an existing id, only the keys
 * whose value changed (compared with `previous`, the parsed value of that entry), so untouched keys
 * keep their comments and ${ENV} references. Every written string is escaped (literal).
 */
export function setDeviceIn(doc: Document, device: DeviceConfig, previous: DeviceConfig | undefined): void {
  const seq = devicesSeq(doc);
  const i = indexOf(doc, device.id);
  if (i < 0 || !previous) {
    const node = doc.createNode(escapeLiterals(compactPlain(device)));
    // `devices: []` grows into a block list, one device a few lines, not one flow sequence.
    if (seq.flow && seq.items.length === 0) seq.flow = false;
    if (i < 0) seq.items.push(node);
    else seq.items[i] = node;
    return;
  }
  const next = devicePlain(device);
  const prev = devicePlain(previous);
  const base = ['devices', i];
  for (const key of new Set([...Object.keys(prev), ...Object.keys(next)])) {
    if (same(prev[key], next[key])) continue;
    if (next[key] === undefined) doc.deleteIn([...base, key]);
    else if (key === 'snmp' && (prev.snmp as { version: string }).version === (next.snmp as { version: string }).version && isMap(doc.getIn([...base, key], true))) {
      // Same SNMP version: change only the fields that differ (an unchanged secret stays as written).
      const ps = prev.snmp as Record<string, unknown>;
      const ns = next.snmp as Record<string, unknown>;
      for (const k of new Set([...Object.keys(ps), ...Object.keys(ns)])) {
        if (same(ps[k], ns[k])) continue;
        if (ns[k] === undefined) doc.deleteIn([...base, key, k]);
        else doc.setIn([...base, key, k], escapeLiterals(ns[k]));
      }
    } else doc.setIn([...base, key], escapeLiterals(next[key]));
  }
}

/** Removes the entry with this id; false when there is none. */
export function removeDeviceIn(doc: Document, id: string): boolean {
  const i = indexOf(doc, id);
  if (i < 0) return false;
  devicesSeq(doc).items.splice(i, 1);
  return true;
}

/** Replace the file's content atomically: a reader sees the old file or the new one, never half. */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const dir = dirname(file);
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let mode = 0o600;
  try {
    mode = (await stat(file)).mode & 0o777;
  } catch {
    // A new file: owner-only, it holds SNMP secrets.
  }
  const fh = await open(tmp, 'wx', mode);
  try {
    try {
      await fh.writeFile(text, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (err) {
    // A full disk or a vanished directory: the old file stays as it was, and no temp file is left.
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  // The rename itself is durable only once the directory is synced.
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
