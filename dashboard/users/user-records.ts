// The users file's content as records of the config topic, for dashboards that share it
// (dashboard.shared): `user:<uid>` (name, role, scrypt hash, session epoch, created),
// `user-token:<id>` (name, owner uid, role, SHA-256 hash, created) and `session-epoch:<uid>` (the
// epoch of a user defined outside the file, the configured "admin"). Rules: hashes only, never a
// password or a token; a record is one user or token, so changes of different users on different
// instances do not overwrite each other; session epochs only go up (a record with a lower epoch
// never undoes a logout seen here). Pure functions, no I/O.
import { z } from 'zod';
import { DecodeError } from '../../common/errors.js';
import { ROLES } from '../auth/roles.js';
import { USER_NAME_PATTERN, type TokenRecord, type UserRecord, type UsersData } from './users-file.js';

export const USER_KEY_KINDS = ['user', 'user-token', 'session-epoch'] as const;

const userValue = z.strictObject({ name: z.string().regex(USER_NAME_PATTERN), uid: z.string().min(8), role: z.enum(ROLES), password: z.string().nullable(), epoch: z.number().int().min(0), created: z.string() });
const tokenValue = z.strictObject({ id: z.string().regex(/^[0-9a-f]{12}$/), name: z.string().regex(USER_NAME_PATTERN), uid: z.string().nullable(), role: z.enum(ROLES), hash: z.string().regex(/^[0-9a-f]{64}$/), created: z.string() });
const epochValue = z.strictObject({ epoch: z.number().int().min(0) });

export function isUserKey(key: string): boolean {
  return USER_KEY_KINDS.some((k) => key.startsWith(`${k}:`));
}

/** Every record the data makes, by key (value as a plain object). */
export function usersToRecords(data: UsersData): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const u of data.users) out.set(`user:${u.uid}`, { ...u });
  for (const t of data.tokens) out.set(`user-token:${t.id}`, { ...t });
  for (const [uid, epoch] of Object.entries(data.epochs)) out.set(`session-epoch:${uid}`, { epoch });
  return out;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** What to publish so the topic (`held`: the last value per key) holds `data`: changed records and tombstones. */
export function diffUserRecords(held: ReadonlyMap<string, Record<string, unknown>>, data: UsersData): { key: string; value: Record<string, unknown> | null }[] {
  const want = usersToRecords(data);
  const out: { key: string; value: Record<string, unknown> | null }[] = [];
  for (const [key, value] of want) if (!same(held.get(key), value)) out.push({ key, value });
  for (const key of held.keys()) if (!want.has(key)) out.push({ key, value: null });
  return out;
}

function parse<T>(schema: z.ZodType<T>, key: string, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new DecodeError(key, `${r.error.issues[0].path.join('.') || '(value)'}: ${r.error.issues[0].message}`);
  return r.data;
}

/** Applies one record (null: deleted) to `data`; true when it changed something. Throws a DecodeError for a bad record. */
export function applyUserRecord(data: UsersData, key: string, value: unknown): boolean {
  const i = key.indexOf(':');
  const kind = key.slice(0, i);
  const id = key.slice(i + 1);
  if (kind === 'user') {
    const at = data.users.findIndex((u) => u.uid === id);
    if (value === null) {
      if (at < 0) return false;
      data.users.splice(at, 1);
      return true;
    }
    const u: UserRecord = parse(userValue, key, value);
    if (u.uid !== id) throw new DecodeError(key, `uid must be "${id}" (the record key)`);
    if (at < 0) {
      // A name is one user: the newer record of a name replaces an older user of that name.
      data.users = data.users.filter((x) => x.name !== u.name);
      data.users.push(u);
      return true;
    }
    const merged = { ...u, epoch: Math.max(u.epoch, data.users[at].epoch) };
    if (same(merged, data.users[at])) return false;
    data.users[at] = merged;
    return true;
  }
  if (kind === 'user-token') {
    const at = data.tokens.findIndex((t) => t.id === id);
    if (value === null) {
      if (at < 0) return false;
      data.tokens.splice(at, 1);
      return true;
    }
    const t: TokenRecord = parse(tokenValue, key, value);
    if (t.id !== id) throw new DecodeError(key, `id must be "${id}" (the record key)`);
    if (at >= 0 && same(data.tokens[at], t)) return false;
    if (at >= 0) data.tokens[at] = t;
    else data.tokens.push(t);
    return true;
  }
  if (kind === 'session-epoch') {
    if (value === null) return false;
    const { epoch } = parse(epochValue, key, value);
    if ((data.epochs[id] ?? 0) >= epoch) return false;
    data.epochs[id] = epoch;
    return true;
  }
  throw new DecodeError(key, `not a user record (kinds: ${USER_KEY_KINDS.join(', ')})`);
}
