// DeviceStatus: how the collector's last poll of a device went. Published on the compacted topic
// netmon.status (key = device id) after every poll, so the latest state of every device is always
// readable there; exposed by the dashboard too. It also carries the collector's own last clock jump,
// because the samples' event time is that clock.
import { z } from 'zod';
import { epochMs, messageCodec, versionField } from './codec.js';
import { deviceIdSchema } from './device-id.js';

export const DEVICE_STATUS_VERSION = 1;
export const DEVICE_STATES = ['pending', 'up', 'unreachable', 'auth-failure', 'error'] as const;
export type DeviceState = (typeof DEVICE_STATES)[number];

export const deviceStatusSchema = z.object({
  v: versionField(DEVICE_STATUS_VERSION),
  kind: z.literal('device-status'),
  deviceId: deviceIdSchema,
  state: z.enum(DEVICE_STATES),
  lastError: z.string().max(2048).nullable(),
  lastPollAt: epochMs.nullable(),
  lastSuccessAt: epochMs.nullable(),
  lastPollDurationMs: z.number().nonnegative().nullable(),
  interfaces: z.number().int().nonnegative(),
  /**
   * The collector host's last wall-clock step larger than collector.clockJumpThresholdMs since it
   * started (stepMs > 0: ahead), or null: sample times around `at` may be off by stepMs. Absent in
   * records from collectors that predate it.
   */
  lastClockJump: z.object({ stepMs: z.number(), at: epochMs }).nullable().optional(),
});

export type DeviceStatus = z.output<typeof deviceStatusSchema>;
export type DeviceStatusInput = Omit<DeviceStatus, 'v' | 'kind'>;

const deviceStatusCodec = messageCodec(deviceStatusSchema, DEVICE_STATUS_VERSION, 'device-status', 'DeviceStatus');
export const encodeDeviceStatus = deviceStatusCodec.encode;
export const decodeDeviceStatus = deviceStatusCodec.decode;
