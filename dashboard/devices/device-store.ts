// The device list as the dashboard administers it. The file (config/devices.yaml) is the source of
// truth; netmon.config follows it. Rules: every change is validated by the config schema, written
// to the file atomically, then published (key device:<id>, tombstone on delete); changes run one
// at a time; hand edits of the file are picked up (directory watch, debounced) and a broken one is
// reported with its line and changes nothing; at start the topic is brought in line with the file.
// What was published is remembered, so a change that could not reach Kafka goes out with the next one.
// Shared (dashboard.shared, several instances): the topic is the source of truth and the file its
// written-through copy. At start the topic is read to its end and the file made to hold what it holds
// (only a topic with no device record yet is seeded from the file); records of other instances are applied
// to the file as they arrive; API changes and hand edits are published as before. The topic's order
// per key decides between instances (last writer wins; echo-tracker.ts).
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { Document } from 'yaml';
import type { Clock } from '../../common/clock.js';
import type { DeviceConfig } from '../../common/config/schema.js';
import { parseDevicesText, removeDeviceIn, setDeviceIn, writeFileAtomic, type DevicesDocument } from '../../common/config/devices-file.js';
import type { Env } from '../../common/config/interpolate.js';
import { ConfigError, ConflictError, FileBrokenError, InputError, NotFoundError, PublishPendingError, errorMessage } from '../../common/errors.js';
import type { Component } from '../../common/lifecycle.js';
import type { Logger } from '../../common/log.js';
import { Counter, type Registry } from '../../common/metrics.js';
import type { ConfigTopic, DeviceRecord } from './config-topic.js';
import type { ImportRow } from './import.js';
import { deviceInputError, diffDevices, mergePatch, patchBase, sameDevice, validateDevice } from './validate.js';
import { createEchoTracker } from './echo-tracker.js';
import { createSerial, runChange } from '../../common/serial.js';

/** The file on disk holds a hand edit that cannot be used: API changes wait until it is fixed, so it is not overwritten. */
const fileBroken = (problem: string) => new FileBrokenError('the devices file has a hand edit that cannot be used', problem);

export interface ImportResult {
  row: number;
  line: number;
  id?: string;
  ok: boolean;
  action?: 'created' | 'updated' | 'unchanged';
  field?: string;
  error?: string;
}

export interface FileProblem {
  message: string;
  at: number;
}

export interface DeviceStore extends Component {
  list(): readonly DeviceConfig[];
  get(id: string): DeviceConfig | undefined;
  create(input: unknown): Promise<DeviceConfig>;
  replace(id: string, input: unknown): Promise<DeviceConfig>;
  patch(id: string, patch: unknown): Promise<DeviceConfig>;
  setEnabled(id: string, enabled: boolean): Promise<DeviceConfig>;
  remove(id: string): Promise<void>;
  importRows(rows: readonly ImportRow[]): Promise<ImportResult[]>;
  /** Reads the file now (what the watcher does after a change settles). */
  reload(): Promise<void>;
  /** The last hand edit that could not be used, or null when the file is fine. */
  fileProblem(): FileProblem | null;
  readonly file: string;
}

export interface DeviceStoreOptions {
  file: string;
  /** Quiet time after the last file event before the file is read. */
  debounceMs?: number;
  /** The environment the file's ${VAR} references are read with: the one the command resolved (LoadedConfig.env), never process.env alone. */
  env: Env;
  /** Follow the topic as the source of truth (dashboard.shared); default false: the file is. */
  shared?: boolean;
}

const NEW_FILE_HEADER = ' netmon device list. Edited by hand or from the dashboard (Devices page); both keep comments.\n See README.md "Devices file" for the fields.';

export function createDeviceStore(log: Logger, opts: DeviceStoreOptions, deps: { topic: ConfigTopic; clock: Clock; registry: Registry }): DeviceStore {
  const file = opts.file;
  const env = opts.env;
  const debounceMs = opts.debounceMs ?? 300;
  const changes = new Counter({ name: 'netmon_dashboard_device_changes_total', help: 'Device list changes saved, by source', labelNames: ['source'], registers: [deps.registry] });
  const fileErrors = new Counter({ name: 'netmon_dashboard_devices_file_errors_total', help: 'Hand edits of the devices file that could not be used', registers: [deps.registry] });
  const publishErrors = new Counter({ name: 'netmon_dashboard_config_publish_errors_total', help: 'Failed writes to the config topic', registers: [deps.registry] });
  const published = new Counter({ name: 'netmon_dashboard_config_records_total', help: 'Records written to the config topic', registers: [deps.registry] });

  let state: DevicesDocument = { doc: new Document({ devices: [] }), devices: [] };
  let lastText = '';
  /** The text of the last unusable hand edit, so re-reading it is not counted again. */
  let brokenText: string | null = null;
  let onTopic = new Map<string, DeviceConfig>();
  let problem: FileProblem | null = null;
  /** Runs `fn` after every earlier change has finished: one change at a time. */
  const queue = createSerial();
  const serial = queue.run;
  /** An API change, one at a time; a failure nobody foresaw says the change was not saved. */
  const change = <T>(fn: () => Promise<T>): Promise<T> => runChange(queue, log, 'device change failed', fn);
  let watcher: FSWatcher | null = null;
  let debounce: NodeJS.Timeout | null = null;
  let running = false;
  const echoes = createEchoTracker();
  const remoteChanges = new Counter({ name: 'netmon_dashboard_device_remote_changes_total', help: 'Device records of other dashboard instances read from the config topic (dashboard.shared), by result: applied, behind (an own later record of the device wins), unusable', labelNames: ['result'], registers: [deps.registry] });

  /** Writes `device` (null: removes `id`) into the document and, unless a hand edit is broken, the file. */
  async function writeThrough(id: string, device: DeviceConfig | null): Promise<void> {
    const have = state.devices.find((d) => d.id === id);
    if (device ? have !== undefined && sameDevice(have, device) : have === undefined) return;
    const doc = state.doc.clone();
    if (device) setDeviceIn(doc, device, have);
    else removeDeviceIn(doc, id);
    const text = doc.toString();
    const next = parseDevicesText(text, file, env);
    // A broken hand edit stays for its author to fix; fixing it publishes what the file then says.
    if (!problem) {
      await writeFileAtomic(file, text);
      lastText = text;
    }
    state = next;
  }

  /** A device record read from the topic after start. */
  async function applyRecord(r: DeviceRecord): Promise<void> {
    // What the file says now first: a hand edit not yet picked up goes out before this is written.
    try {
      await reloadFromFile();
    } catch (err) {
      if (!(err instanceof PublishPendingError)) throw err;
    }
    if (r.device) onTopic.set(r.id, r.device);
    else onTopic.delete(r.id);
    const verdict = echoes.seen(r.id, r.own);
    if (verdict === 'own') return;
    if (verdict === 'behind-own') {
      remoteChanges.inc({ result: 'behind' });
      return;
    }
    try {
      await writeThrough(r.id, r.device);
    } catch (err) {
      remoteChanges.inc({ result: 'unusable' });
      log.warn({ id: r.id, err: errorMessage(err) }, 'device record of another dashboard instance cannot be used here; not applied');
      return;
    }
    remoteChanges.inc({ result: 'applied' });
    changes.inc({ source: 'topic' });
  }

  /** Shared start: read the topic to its end, then the file holds what the topic holds (a topic without devices is seeded from the file). */
  async function startShared(): Promise<void> {
    let started = false;
    let records = 0;
    await deps.topic.follow((r) => {
      if (started) return serial(() => applyRecord(r));
      records++;
      if (r.device) onTopic.set(r.id, r.device);
      else onTopic.delete(r.id);
      echoes.seen(r.id, r.own);
      return undefined;
    });
    started = true;
    // Only a topic that never held a device record (tombstones count) is seeded: else a file that
    // missed a deletion would bring the device back.
    if (records === 0) {
      await syncTopic();
      return;
    }
    const current = new Map(state.devices.map((d) => [d.id, d]));
    const diff = diffDevices(current, [...onTopic.values()]);
    for (const c of diff) await writeThrough(c.id, c.device);
    if (diff.length > 0) log.info({ file, changes: diff.length }, 'devices file brought in line with the config topic (dashboard.shared)');
  }

  async function syncTopic(): Promise<void> {
    const diff = diffDevices(onTopic, state.devices);
    if (diff.length === 0) return;
    const keys = diff.map((c) => c.id);
    echoes.sending(keys);
    try {
      await deps.topic.publish(diff, deps.clock.now());
    } catch (err) {
      echoes.failed(keys);
      publishErrors.inc();
      throw new PublishPendingError('devices file', err);
    }
    published.inc(diff.length);
    for (const c of diff) {
      if (c.device) onTopic.set(c.id, c.device);
      else onTopic.delete(c.id);
    }
    log.info({ changes: diff.map((c) => `${c.device ? 'set' : 'delete'} ${c.id}`) }, 'device changes published to the config topic');
  }

  /** Applies an edit to a copy of the document, validates the result as the loader would, writes, publishes. */
  async function commit(source: string, edit: (doc: Document, devices: readonly DeviceConfig[]) => void): Promise<void> {
    // A hand edit not yet picked up (debounce) or broken must not be overwritten by this change.
    try {
      await reloadFromFile();
    } catch (err) {
      // The file's own change could not be published: it goes out with this change's sync.
      if (!(err instanceof PublishPendingError)) throw err;
    }
    if (problem) throw fileBroken(problem.message);
    const doc = state.doc.clone();
    edit(doc, state.devices);
    const text = doc.toString();
    let next: DevicesDocument;
    try {
      next = parseDevicesText(text, file, env);
    } catch (err) {
      // Input is validated before it gets here; this guards the file against anything that slipped through.
      if (err instanceof ConfigError) throw deviceInputError(err.path.replace(/^.*?: /, ''), err.message);
      throw err;
    }
    await writeFileAtomic(file, text);
    lastText = text;
    state = next;
    problem = null;
    changes.inc({ source });
    await syncTopic();
  }

  function mustGet(id: string): DeviceConfig {
    const d = state.devices.find((x) => x.id === id);
    if (!d) throw new NotFoundError(`no device with id "${id}"`);
    return d;
  }

  /** Reads and parses the file; false when it holds what was last read or written. */
  async function readFileState(): Promise<boolean> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && (!running || lastText === '')) {
        // First start without a file: an empty list, written on the first change.
        const doc = new Document({ devices: [] });
        doc.commentBefore = NEW_FILE_HEADER;
        if (running) return false;
        state = { doc, devices: [] };
        return true;
      }
      throw new ConfigError(file, `cannot read the devices file: ${errorMessage(err)}`, err);
    }
    if (running && text === lastText) return false;
    if (text === brokenText && problem) throw fileBroken(problem.message);
    try {
      state = parseDevicesText(text, file, env);
    } catch (err) {
      brokenText = text;
      throw err;
    }
    brokenText = null;
    lastText = text;
    return true;
  }

  async function reloadFromFile(): Promise<void> {
    let changed: boolean;
    try {
      changed = await readFileState();
      problem = null;
    } catch (err) {
      if (err instanceof FileBrokenError) return; // the same broken text, already reported
      fileErrors.inc();
      problem = { message: errorMessage(err), at: deps.clock.now() };
      log.warn({ err: problem.message }, 'devices file changed but cannot be used; keeping the current device list');
      return;
    }
    if (!changed) return;
    changes.inc({ source: 'file' });
    log.info({ file, devices: state.devices.length }, 'devices file edited by hand: device list reloaded');
    await syncTopic();
  }

  function scheduleReload(): void {
    if (debounce) clearTimeout(debounce);
    debounce = setTimeout(() => {
      debounce = null;
      serial(reloadFromFile).catch((err: unknown) => log.warn({ err: errorMessage(err) }, 'devices file reload failed'));
    }, debounceMs);
  }

  return {
    name: 'device-store',
    file,
    async start() {
      await readFileState();
      await deps.topic.connect();
      if (opts.shared) await serial(startShared);
      else {
        onTopic = await deps.topic.readDevices();
        await syncTopic();
      }
      running = true;
      // The directory, not the file: an atomic save (ours or an editor's) replaces the file's inode.
      const name = basename(file);
      watcher = watch(dirname(file), (_event, changed) => {
        if (changed === null || changed === name) scheduleReload();
      });
      watcher.on('error', (err) => log.warn({ err: errorMessage(err) }, 'devices file watch failed'));
      log.info({ file, devices: state.devices.length }, 'device list loaded');
    },
    async stop() {
      running = false;
      if (debounce) clearTimeout(debounce);
      debounce = null;
      watcher?.close();
      watcher = null;
      await queue.idle();
      await deps.topic.disconnect();
    },
    list: () => state.devices,
    get: (id) => state.devices.find((d) => d.id === id),
    create: (input) =>
      change(async () => {
        const device = validateDevice(input);
        if (state.devices.some((d) => d.id === device.id)) throw new ConflictError(`a device with id "${device.id}" already exists`, 'id');
        await commit('api', (doc) => setDeviceIn(doc, device, undefined));
        return mustGet(device.id);
      }),
    replace: (id, input) =>
      change(async () => {
        const old = mustGet(id);
        const device = validateDevice(input, old);
        if (device.id !== id) throw deviceInputError('id', `must be "${id}" (the id in the URL); to rename, create the new device and delete the old one`);
        await commit('api', (doc) => setDeviceIn(doc, device, old));
        return mustGet(id);
      }),
    patch: (id, patch) =>
      change(async () => {
        const old = mustGet(id);
        const device = validateDevice(mergePatch(patchBase(old), patch), old);
        if (device.id !== id) throw deviceInputError('id', `must be "${id}" (the id in the URL)`);
        await commit('api', (doc) => setDeviceIn(doc, device, old));
        return mustGet(id);
      }),
    setEnabled: (id, enabled) =>
      change(async () => {
        const old = mustGet(id);
        if (old.enabled !== enabled) await commit('api', (doc) => setDeviceIn(doc, { ...old, enabled }, old));
        return mustGet(id);
      }),
    remove: (id) =>
      change(async () => {
        mustGet(id);
        await commit('api', (doc) => removeDeviceIn(doc, id));
      }),
    importRows: (rows) =>
      change(async () => {
        const results: ImportResult[] = [];
        const accepted: { device: DeviceConfig; old?: DeviceConfig }[] = [];
        const seen = new Map<string, number>();
        for (const r of rows) {
          if (r.error || !r.input) {
            results.push({ row: r.row, line: r.line, ok: false, field: r.error?.field ?? '(row)', error: r.error?.message ?? 'unreadable' });
            continue;
          }
          const id = typeof r.input.id === 'string' ? r.input.id : undefined;
          try {
            if (id !== undefined && seen.has(id)) throw deviceInputError('id', `duplicate id "${id}" (also row ${seen.get(id)})`);
            const old = id !== undefined ? state.devices.find((d) => d.id === id) : undefined;
            const device = validateDevice(r.input, old);
            seen.set(device.id, r.row);
            accepted.push({ device, old });
            results.push({ row: r.row, line: r.line, id: device.id, ok: true, action: old ? 'updated' : 'created' });
          } catch (err) {
            if (!(err instanceof InputError)) throw err;
            results.push({ row: r.row, line: r.line, id, ok: false, field: err.field, error: err.problem });
          }
        }
        if (accepted.length > 0) {
          await commit('import', (doc) => {
            for (const a of accepted) setDeviceIn(doc, a.device, a.old);
          });
        }
        return results;
      }),
    reload: () => serial(reloadFromFile),
    fileProblem: () => problem,
  };
}
