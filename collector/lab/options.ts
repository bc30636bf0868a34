// The lab's options: one schema with defaults and a description per field, validated once by
// createLab (and by the CLI, which names the flag instead of the field). Loopback only: the lab binds
// 127.0.0.0/8 or ::1 and nothing else, so simulated devices can never answer on a real network.
// Device subsets (32-bit only, near wrap, slow, dead) are lists of 0-based device indexes.
import { isIPv4 } from 'node:net';
import { z } from 'zod';
import { formatPath } from '../../common/contracts/codec.js';
import { ConfigError, UsageError } from '../../common/errors.js';

export const MAX_DEVICES = 20000;
export const MAX_PORTS = 1024;

/** 127.0.0.0/8 or ::1, as an IP literal. */
export function isLoopback(host: string): boolean {
  return (isIPv4(host) && host.startsWith('127.')) || host === '::1';
}

const deviceSet = z.array(z.number().int().min(0)).default([]);

export const labOptionsSchema = z
  .strictObject({
    devices: z.number().int().min(1).max(MAX_DEVICES).describe('Simulated devices'),
    ports: z.number().int().min(1).max(MAX_PORTS).describe('Interfaces per device (ifIndex 1..ports)'),
    basePort: z.number().int().min(1024).max(65535).describe('UDP port of device 0; device i listens on basePort + i'),
    host: z.string().default('127.0.0.1').refine(isLoopback, 'must be a loopback address: 127.0.0.0/8 or ::1').describe('Address the agents bind'),
    community: z.string().min(1).max(64).default('public').describe('SNMP v1/v2c community'),
    v3: z
      .strictObject({
        user: z.string().min(1).max(32).describe('USM user name'),
        authKey: z.string().min(8, 'must be at least 8 characters').describe('SHA-1 authentication passphrase'),
        privKey: z.string().min(8, 'must be at least 8 characters').describe('AES-128 privacy passphrase'),
      })
      .optional()
      .describe('Also accept this SNMPv3 user (authPriv, SHA + AES), and users for every level and protocol derived from it (see V3_VARIANTS)'),
    only32bit: deviceSet.describe('Devices without the ifXTable: no ifName, no 64-bit counters (old devices)'),
    shortMib: deviceSet.describe('Devices whose MIB ends with the interface tables (no snmpEngine group), so an SNMPv1 GETNEXT past the last column is noSuchName'),
    nearWrap: deviceSet.describe('Devices whose counters start just below 2^64 (and 2^32) and wrap within the first minute'),
    slow: deviceSet.describe('Devices that answer only after slowMs'),
    slowMs: z.number().int().min(0).max(600_000).default(1500).describe('Delay of the slow devices, ms'),
    dead: deviceSet.describe('Devices that are bound but never answer'),
    seed: z.number().int().min(0).max(4294967295).default(1).describe('Traffic seed: the same seed gives the same traffic'),
    daySeconds: z.number().min(10).max(7 * 86400).default(3600).describe('Period of the slow "diurnal" swing of every rate, seconds'),
    idPrefix: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$/, 'must be letters, digits, ".", "_", "-"').default('lab').describe('Device ids are <idPrefix>-0000, -0001, ...'),
  })
  .superRefine((o, ctx) => {
    if (o.basePort + o.devices - 1 > 65535) {
      ctx.addIssue({ code: 'custom', path: ['basePort'], message: `${o.devices} devices from port ${o.basePort} would need ports up to ${o.basePort + o.devices - 1} (max 65535)` });
    }
    for (const key of ['only32bit', 'shortMib', 'nearWrap', 'slow', 'dead'] as const) {
      o[key].forEach((i, n) => {
        if (i >= o.devices) ctx.addIssue({ code: 'custom', path: [key, n], message: `device index ${i} is out of range 0..${o.devices - 1}` });
      });
    }
  });

export type LabOptions = z.input<typeof labOptionsSchema>;
export type ResolvedLabOptions = z.output<typeof labOptionsSchema>;

/** The first problem with the options, with its path (field name first), or null. */
export function labOptionsIssue(raw: unknown): { path: PropertyKey[]; message: string } | { options: ResolvedLabOptions } {
  const parsed = labOptionsSchema.safeParse(raw);
  if (parsed.success) return { options: parsed.data };
  const issue = parsed.error.issues[0];
  const message = issue.code === 'unrecognized_keys' ? `unknown option "${issue.keys[0]}"; allowed: ${Object.keys(labOptionsSchema.shape).join(', ')}` : issue.message;
  return { path: issue.path, message };
}

/** Validates and freezes the options; a ConfigError names the field. */
export function resolveLabOptions(raw: LabOptions): ResolvedLabOptions {
  const r = labOptionsIssue(raw);
  if ('options' in r) return Object.freeze(r.options);
  throw new ConfigError(r.path.length > 0 ? `lab.${formatPath(r.path)}` : 'lab', r.message);
}

/** A device subset as written on the command line: indexes and ranges, "0-9", "0,3,5-7" or "all". */
export function parseDeviceSet(text: string, devices: number, what: string): number[] {
  const t = text.trim();
  if (t === 'all') return Array.from({ length: devices }, (_, i) => i);
  const out = new Set<number>();
  for (const part of t.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) throw new UsageError(`${what}: expected device indexes like 0-9, 0,3,5-7 or all; got ${JSON.stringify(text)}`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new UsageError(`${what}: range ${a}-${b} runs backwards`);
    if (b >= devices) throw new UsageError(`${what}: device index ${b} is out of range 0..${devices - 1}`);
    for (let i = a; i <= b; i++) out.add(i);
  }
  return [...out].sort((x, y) => x - y);
}
