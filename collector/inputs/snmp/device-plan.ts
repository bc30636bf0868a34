// Device-list changes without restart (pure). The desired device set starts as devices.yaml and is
// then overridden, key by key, by the compacted config topic (a `device:<id>` record replaces or adds
// that device, a tombstone deletes it). planDeviceActions compares the desired set with what the SNMP
// input is running and says what to do: start new devices, stop removed or disabled ones, and update
// changed ones (a new session when the address, credentials or timeouts changed; a fresh discovery
// when the interface selection or speed overrides changed, so the change shows in the next sample).
import type { DeviceConfig } from '../../../common/config/schema.js';
import { encodeConfigChange, parseConfigKey, type ConfigChange } from '../../../common/contracts/config-change.js';
import { DecodeError } from '../../../common/errors.js';

export type DeviceAction =
  | { kind: 'start'; device: DeviceConfig }
  | { kind: 'stop'; id: string; reason: 'removed' | 'disabled' }
  | { kind: 'update'; device: DeviceConfig; reconnect: boolean; rediscover: boolean };

/** A device's settings as comparable text, secrets included (never logged). */
function fingerprint(d: Partial<DeviceConfig>): string {
  return encodeConfigChange({ ts: 0, device: d as DeviceConfig });
}

const sessionPart = (d: DeviceConfig) => fingerprint({ host: d.host, port: d.port, snmp: d.snmp, timeoutMs: d.timeoutMs, retries: d.retries });
const inventoryPart = (d: DeviceConfig) => fingerprint({ interfaces: d.interfaces, speedOverrides: d.speedOverrides });

export function planDeviceActions(desired: ReadonlyMap<string, DeviceConfig>, running: ReadonlyMap<string, DeviceConfig>): DeviceAction[] {
  const actions: DeviceAction[] = [];
  for (const [id, cur] of running) {
    const want = desired.get(id);
    if (!want) actions.push({ kind: 'stop', id, reason: 'removed' });
    else if (!want.enabled) actions.push({ kind: 'stop', id, reason: 'disabled' });
    else if (fingerprint(want) !== fingerprint(cur)) {
      actions.push({ kind: 'update', device: want, reconnect: sessionPart(want) !== sessionPart(cur), rediscover: inventoryPart(want) !== inventoryPart(cur) });
    }
  }
  for (const [id, want] of desired) if (want.enabled && !running.has(id)) actions.push({ kind: 'start', device: want });
  return actions;
}

/** The desired device set: devices.yaml, then the config topic's records applied in order. */
export interface DesiredDevices {
  readonly devices: ReadonlyMap<string, DeviceConfig>;
  /** Applies one config-topic record (its key and decoded value; null = tombstone). Rule records are ignored.
   * Returns whether the set changed; throws a DecodeError naming the problem for a bad record (nothing changes). */
  apply(key: string, change: ConfigChange | null): boolean;
}

export function createDesiredDevices(initial: readonly DeviceConfig[]): DesiredDevices {
  const devices = new Map(initial.map((d) => [d.id, d]));
  return {
    devices,
    apply(key, change) {
      const { kind, id } = parseConfigKey(key);
      if (kind !== 'device') return false;
      if (change === null) return devices.delete(id);
      if (!change.device) throw new DecodeError('device', `config record ${key} has no device (a device record needs one; a delete is a null value)`);
      if (change.device.id !== id) throw new DecodeError('device.id', `config record ${key} carries device "${change.device.id}"; the id must match the key`);
      const before = devices.get(id);
      if (before && fingerprint(before) === fingerprint(change.device)) return false;
      devices.set(id, change.device);
      return true;
    },
  };
}
