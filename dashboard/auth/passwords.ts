// Password and token hashing. Rules: passwords are hashed with scrypt (node:crypto), a random salt per
// password, the cost parameters stored with the hash (`scrypt$N$r$p$salt$hash`, so raising the
// cost later still verifies old hashes) and compared in constant time; bearer tokens are 32 random
// bytes, so one SHA-256 of them is enough (no dictionary to slow down), and only that hash is stored.
// A token reads `nmt_<id>_<secret>`: the id finds its record without trying every hash.
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** 2^15 x 8: about 32 MiB and a few tens of ms per login on this class of machine. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 1 << 15, r: 8, p: 1 };
const KEY_LEN = 32;

function scryptAsync(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_LEN, { ...params, maxmem: 256 * params.N * params.r + 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, params);
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

const HASH_FORMAT = /^scrypt\$(\d{1,8})\$(\d{1,3})\$(\d{1,3})\$([A-Za-z0-9_-]{16,})\$([A-Za-z0-9_-]{40,})$/;

/** True when `hash` looks like one hashPassword wrote (the users file is checked with it). */
export function isPasswordHash(hash: string): boolean {
  return HASH_FORMAT.test(hash);
}

/** Whether `password` is the one hashed; a malformed hash verifies nothing. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const m = HASH_FORMAT.exec(hash);
  if (!m) return false;
  const params = { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  // Bounds keep a hand-edited file from making one login take minutes or gigabytes.
  if (params.N < 2 || params.N > 1 << 20 || (params.N & (params.N - 1)) !== 0 || params.r > 32 || params.p > 16) return false;
  const expected = Buffer.from(m[5], 'base64url');
  const key = await scryptAsync(password, Buffer.from(m[4], 'base64url'), params);
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A hash to verify against when the user does not exist, so a wrong name costs as long as a wrong password. */
export const DUMMY_HASH = `scrypt$${DEFAULT_SCRYPT.N}$${DEFAULT_SCRYPT.r}$${DEFAULT_SCRYPT.p}$${'A'.repeat(22)}$${'A'.repeat(43)}`;

export interface NewToken {
  id: string;
  /** The whole token, shown once. */
  token: string;
  /** What is stored. */
  hash: string;
}

export function newToken(): NewToken {
  const id = randomBytes(6).toString('hex');
  const token = `nmt_${id}_${randomBytes(32).toString('base64url')}`;
  return { id, token, hash: tokenHash(token) };
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** The id part of a token that has the form newToken gives, else null. */
export function tokenId(token: string): string | null {
  const m = /^nmt_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$/.exec(token);
  return m ? m[1] : null;
}

/** Constant-time comparison of two strings of any length (both hashed first). */
export function secretMatches(presented: string, expected: string | null): boolean {
  if (expected === null) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** A random password for the first admin: 24 characters of base64url (144 bits). */
export function randomPassword(): string {
  return randomBytes(18).toString('base64url');
}
