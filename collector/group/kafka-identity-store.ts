// Interface identity maps on Kafka, for a collector group: the compacted collector-state topic keyed
// `<groupId>:<device id>` (stateKey; the group part keeps independent groups that share the topic
// apart) holds each device's latest snapshot (same JSON as the file store), so the map follows
// the device to whichever collector polls it next. The group consumer hands every record it reads to
// applyRecord (this member reads the partitions it is assigned from the beginning); save publishes
// through the collector's publisher (never blocks). A local state directory, when configured, is
// still written and is what load falls back to (maps saved before the collector joined a group).
import type { IdentitySnapshot } from '../inputs/snmp/inventory.js';
import { decodeIdentitySnapshot, encodeIdentitySnapshot, type IdentityStore } from '../inputs/snmp/identity-store.js';
import type { SampleSink } from '../inputs/input.js';
import { errorMessage } from '../../common/errors.js';
import { createRateLimitedLog, type Logger } from '../../common/log.js';

export interface KafkaIdentityStore extends IdentityStore {
  /** One record of the collector-state topic (null or empty value = deleted); another group's is ignored, a bad one logged and skipped. */
  applyRecord(key: string, value: Buffer | null, where: { partition: number; offset: string }): void;
}

/** The record key of a device's state, and what decides its partition (so which collector polls it). */
export function stateKey(groupId: string, deviceId: string): string {
  return `${groupId}:${deviceId}`;
}

export function createKafkaIdentityStore(log: Logger, deps: { topic: string; groupId: string; sink: SampleSink; fallback?: IdentityStore }): KafkaIdentityStore {
  const prefix = stateKey(deps.groupId, '');
  const maps = new Map<string, IdentitySnapshot>();
  const limited = createRateLimitedLog(log, 60_000);
  return {
    applyRecord(key, value, where) {
      if (!key.startsWith(prefix) || key.length === prefix.length) return;
      const deviceId = key.slice(prefix.length);
      if (value === null || value.length === 0) {
        maps.delete(deviceId);
        return;
      }
      try {
        maps.set(deviceId, decodeIdentitySnapshot(value.toString('utf8'), deviceId));
      } catch (err) {
        limited(`bad:${deviceId}`, 'warn', { topic: deps.topic, ...where, device: deviceId, err: errorMessage(err) }, 'collector-state record unusable; skipped');
      }
    },
    load(deviceId) {
      return maps.get(deviceId) ?? deps.fallback?.load(deviceId) ?? null;
    },
    save(deviceId, snapshot) {
      maps.set(deviceId, snapshot);
      deps.sink.publish({ topic: deps.topic, key: stateKey(deps.groupId, deviceId), value: encodeIdentitySnapshot(deviceId, snapshot) });
      deps.fallback?.save(deviceId, snapshot);
    },
  };
}
