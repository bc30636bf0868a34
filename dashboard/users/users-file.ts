// The users file: local users (name, role, scrypt hash, session epoch) and bearer tokens (only their
// SHA-256), as YAML. Rules: read with its schema (a broken file is a ConfigError naming the entry);
// written atomically (temp file, fsync, rename, directory fsync) with mode 0600 whatever the old
// file's mode was; nothing in it is a secret that works as it stands (hashes only).
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { ConfigError, ErrorCodes, NetmonError } from '../../common/errors.js';
import { ROLES } from '../auth/roles.js';

export const USER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

const userSchema = z.strictObject({
  name: z.string().regex(USER_NAME_PATTERN),
  uid: z.string().min(8),
  role: z.enum(ROLES),
  password: z.string().nullable(),
  epoch: z.number().int().min(0),
  created: z.string(),
});

const tokenSchema = z.strictObject({
  id: z.string().regex(/^[0-9a-f]{12}$/),
  name: z.string().regex(USER_NAME_PATTERN),
  /** The owning user's uid; null: a service token. */
  uid: z.string().nullable(),
  role: z.enum(ROLES),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  created: z.string(),
});

const fileSchema = z.strictObject({
  users: z.array(userSchema).default([]),
  tokens: z.array(tokenSchema).default([]),
  /** Session epochs of users defined outside the file (the configured "admin"), by uid. */
  epochs: z.record(z.string(), z.number().int().min(0)).default({}),
});

export type UserRecord = z.infer<typeof userSchema>;
export type TokenRecord = z.infer<typeof tokenSchema>;
export type UsersData = z.infer<typeof fileSchema>;

export const emptyUsers = (): UsersData => ({ users: [], tokens: [], epochs: {} });

export function newUid(): string {
  return randomBytes(9).toString('base64url');
}

/** The file's content; an absent file is no users. */
export function readUsersFile(file: string): UsersData {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyUsers();
    throw new NetmonError(ErrorCodes.CONFIG_READ, `cannot read the users file ${file}: ${(err as Error).message}`, { cause: err });
  }
  let doc: unknown;
  try {
    doc = parse(text) ?? {};
  } catch (err) {
    throw new ConfigError(file, `not valid YAML: ${(err as Error).message}`, err);
  }
  const parsed = fileSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`${file}: ${issue.path.join('.')}`, issue.message);
  }
  return parsed.data;
}

const HEADER = '# netmon users and tokens: managed with `netmon user` and the admin page.\n# Passwords are scrypt hashes and tokens SHA-256 hashes; keep this file mode 0600.\n';

export function writeUsersFile(file: string, data: UsersData): void {
  const dir = dirname(file);
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    try {
      writeSync(fd, HEADER + stringify(data));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // Already renamed or never written.
    }
    throw new NetmonError(ErrorCodes.CONFIG_READ, `cannot write the users file ${file}: ${(err as Error).message}`, { cause: err });
  }
  const d = openSync(dir, 'r');
  try {
    fsyncSync(d);
  } finally {
    closeSync(d);
  }
}
