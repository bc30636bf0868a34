// ConfigChange: a device (or, later, an alert rule) was added, changed or removed. Carried on the
// compacted topic netmon.config with key `device:<id>` or `rule:<id>`; a null value (tombstone) deletes.
// The device value carries its SNMP secrets revealed: the topic is internal to the appliance.
// Dashboards that share the topic (dashboard.shared) also keep their users there: `user:<uid>`,
// `user-token:<id>` and `session-epoch:<uid>`, each value carrying `user` (scrypt and SHA-256
// hashes only, never a password or a token); collectors and the processor ignore those kinds.
import { z } from 'zod';
import { DecodeError } from '../errors.js';
import { decodeWith, epochMs, versionField } from './codec.js';
import { deviceSchema, type DeviceConfig } from '../config/schema.js';
import { Secret } from '../config/secret.js';

export const CONFIG_CHANGE_VERSION = 1;
export const CONFIG_KEY_KINDS = ['device', 'rule', 'user', 'user-token', 'session-epoch'] as const;
export type ConfigKeyKind = (typeof CONFIG_KEY_KINDS)[number];

export const configChangeSchema = z.object({
  v: versionField(CONFIG_CHANGE_VERSION),
  kind: z.literal('config-change'),
  ts: epochMs,
  device: deviceSchema.optional(),
  /** Alert rules arrive with the alerts issue; until then they are carried opaquely. */
  rule: z.record(z.string(), z.unknown()).optional(),
  /** A dashboard user, token or session epoch (dashboard/users/user-records.ts checks its shape). */
  user: z.record(z.string(), z.unknown()).optional(),
});

export type ConfigChange = z.output<typeof configChangeSchema>;

export function configKey(kind: ConfigKeyKind, id: string): string {
  return `${kind}:${id}`;
}

export function parseConfigKey(key: string): { kind: ConfigKeyKind; id: string } {
  const i = key.indexOf(':');
  const kind = key.slice(0, i) as ConfigKeyKind;
  if (i <= 0 || !CONFIG_KEY_KINDS.includes(kind) || i === key.length - 1) {
    throw new DecodeError('(key)', `config key must be ${CONFIG_KEY_KINDS.map((k) => `"${k}:<id>"`).join(' or ')}, got ${JSON.stringify(key)}`);
  }
  return { kind, id: key.slice(i + 1) };
}

/** Like encodeJson, but Secrets are written as their real value (for the internal config topic only). */
export function encodeConfigChange(change: { ts: number; device?: DeviceConfig }): string {
  return JSON.stringify({ v: CONFIG_CHANGE_VERSION, kind: 'config-change', ...change }, function (this: unknown, key: string, value: unknown) {
    const holder = this as Record<string, unknown>;
    const original = holder[key];
    return original instanceof Secret ? original.reveal() : value;
  });
}

export function decodeConfigChange(input: string | Uint8Array | null | undefined): ConfigChange | null {
  if (input === null || input === undefined || (typeof input !== 'string' && input.length === 0)) return null;
  return decodeWith(configChangeSchema, input, 'ConfigChange');
}
