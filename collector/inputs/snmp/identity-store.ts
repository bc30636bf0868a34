// Where interface identity maps live between collector runs: one JSON file per device under the
// configured state directory (collector.stateDir), written atomically (temp file + rename) whenever
// the map changes, read when the device starts being polled. A file that cannot be read or is not
// a valid snapshot is reported with its path and the device starts with an empty map (nothing else
// is lost). With no state directory, maps live only as long as the process.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../../../common/errors.js';
import { deviceFileName } from '../../../common/contracts/device-id.js';
import type { IdentitySnapshot } from './inventory.js';

export interface IdentityStore {
  /** The saved snapshot, or null when there is none. Throws a ConfigError naming the file when it is unusable. */
  load(deviceId: string): IdentitySnapshot | null;
  save(deviceId: string, snapshot: IdentitySnapshot): void;
}

const snapshotSchema = z.strictObject({
  v: z.literal(1),
  deviceId: z.string(),
  byName: z.array(z.tuple([z.string().min(1), z.number().int().min(1)])),
  taken: z.array(z.tuple([z.number().int().min(1), z.string()])),
});

export function createFileIdentityStore(dir: string): IdentityStore {
  const sub = join(dir, 'identity');
  // Device ids may hold any printable character (`/`, `..`): the file name is an encoding of the id.
  const file = (id: string) => join(sub, `${deviceFileName(id)}.json`);
  return {
    load(deviceId) {
      let text: string;
      try {
        text = readFileSync(file(deviceId), 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw new ConfigError(file(deviceId), `cannot read the interface identity state: ${(err as Error).message}`, err);
      }
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch (err) {
        throw new ConfigError(file(deviceId), `not JSON: ${(err as Error).message}`, err);
      }
      const parsed = snapshotSchema.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new ConfigError(`${file(deviceId)}: ${issue.path.join('.') || '(root)'}`, issue.message);
      }
      if (parsed.data.deviceId !== deviceId) throw new ConfigError(`${file(deviceId)}: deviceId`, `is "${parsed.data.deviceId}", expected "${deviceId}"`);
      return { byName: parsed.data.byName, taken: parsed.data.taken };
    },
    save(deviceId, snapshot) {
      mkdirSync(sub, { recursive: true });
      const tmp = `${file(deviceId)}.${process.pid}.tmp`;
      writeFileSync(tmp, `${JSON.stringify({ v: 1, deviceId, ...snapshot })}\n`);
      renameSync(tmp, file(deviceId));
    },
  };
}
