// Pure device-admin logic: API input -> a valid DeviceConfig (through the config schema, the one
// definition of a valid device), secrets kept write-only, merge patches, and the diff between two
// device lists (file vs topic). Rules: an error names the field path (`snmp.community`); a secret
// that an update leaves out (or sends back as the "(set)" placeholder) keeps its stored value; a
// device leaves this module towards a browser only through redactDevice.
import { deviceSchema, type DeviceConfig } from '../../common/config/schema.js';
import { devicePlain } from '../../common/config/devices-file.js';
import { formatPath } from '../../common/contracts/codec.js';
import { InputError } from '../../common/errors.js';

/** What the API shows instead of a stored secret. */
export const SECRET_SET = '(set)';
export const SECRET_FIELDS = ['community', 'authKey', 'privKey'] as const;

/** Bad device input: `field` is the path inside the device, e.g. "snmp.authKey" ('' for the device as a whole). */
export function deviceInputError(field: string, problem: string): InputError {
  return new InputError(field, problem, { message: `${field || '(device)'}: ${problem}` });
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * Validates device input. With `existing` (an update of that device), secrets that the input omits
 * or sends as "(set)" are taken from it, as long as the SNMP version (and, for v3, the user) is the same.
 */
export function validateDevice(input: unknown, existing?: DeviceConfig): DeviceConfig {
  if (!isObject(input)) throw deviceInputError('', 'must be an object');
  const candidate: Record<string, unknown> = { ...input };
  if (isObject(candidate.snmp)) {
    const snmp: Record<string, unknown> = { ...candidate.snmp };
    const old = existing ? (devicePlain(existing).snmp as Record<string, unknown>) : undefined;
    const sameIdentity = old && old.version === snmp.version && (snmp.version !== '3' || old.username === snmp.username);
    for (const k of SECRET_FIELDS) {
      if (snmp[k] === SECRET_SET || snmp[k] === undefined) {
        if (sameIdentity && typeof old[k] === 'string') snmp[k] = old[k];
        else if (snmp[k] === SECRET_SET) throw deviceInputError(`snmp.${k}`, 'no stored value to keep: enter it');
      }
    }
    candidate.snmp = snmp;
  }
  const parsed = deviceSchema.safeParse(candidate);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (issue.code === 'unrecognized_keys') {
    throw deviceInputError(formatPath([...issue.path, issue.keys[0]]), `unknown key "${issue.keys[0]}"`);
  }
  throw deviceInputError(formatPath(issue.path), issue.message);
}

/** The device as a browser may see it: every secret replaced by "(set)". */
export function redactDevice(device: DeviceConfig): Record<string, unknown> {
  const plain = devicePlain(device);
  const snmp = plain.snmp as Record<string, unknown>;
  for (const k of SECRET_FIELDS) if (snmp[k] !== undefined) snmp[k] = SECRET_SET;
  return plain;
}

/**
 * JSON merge patch (RFC 7396) of `patch` onto the device's plain form: objects merge, arrays and
 * scalars replace, null removes. Secrets absent from the patch stay (validateDevice fills them in).
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** A device's plain form with secrets redacted, the base a patch is applied to. */
export function patchBase(device: DeviceConfig): Record<string, unknown> {
  const plain = redactDevice(device);
  const snmp = plain.snmp as Record<string, unknown>;
  for (const k of SECRET_FIELDS) delete snmp[k];
  return plain;
}

export function sameDevice(a: DeviceConfig, b: DeviceConfig): boolean {
  return JSON.stringify(devicePlain(a)) === JSON.stringify(devicePlain(b));
}

/** One record for netmon.config: a device to set, or null for a tombstone. */
export interface DeviceChange {
  id: string;
  device: DeviceConfig | null;
}

/** What to publish so that a topic holding `current` ends up holding `desired`. */
export function diffDevices(current: ReadonlyMap<string, DeviceConfig>, desired: readonly DeviceConfig[]): DeviceChange[] {
  const out: DeviceChange[] = [];
  const want = new Map(desired.map((d) => [d.id, d]));
  for (const d of desired) {
    const have = current.get(d.id);
    if (!have || !sameDevice(have, d)) out.push({ id: d.id, device: d });
  }
  for (const id of current.keys()) if (!want.has(id)) out.push({ id, device: null });
  return out;
}
