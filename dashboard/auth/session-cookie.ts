// The login session as a stateless cookie: its fields encrypted and authenticated with AES-256-GCM
// (node:crypto), so any dashboard instance holding the keys reads it and a restart keeps it.
// Rules: the first key seals, every key opens (rotation); a cookie that any key cannot open, or
// that is past its absolute or idle expiry, is no session; the clock is passed in. Revocation is
// not here: a session names its user's uid and epoch, which the user store checks (logout bumps
// the epoch). Cookie text: base64url(version 1 | iv 12 | ciphertext | tag 16).
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';

export interface SessionData {
  /** Session id (random), for the log and for telling sessions apart. */
  sid: string;
  /** User name and the user's uid: a user removed and added again is another uid. */
  user: string;
  uid: string;
  /** The user's session epoch when logged in; a higher epoch in the store ends the session. */
  epoch: number;
  csrf: string;
  /** Issued, last seen, absolute end (ms). */
  iat: number;
  seen: number;
  exp: number;
}

const VERSION = 1;
const IV_LEN = 12;
const TAG_LEN = 16;

/** A configured key (any string of >= 32 characters) as the 32-byte AES key. */
export function aesKey(text: string): Buffer {
  return createHash('sha256').update(`netmon-session\0${text}`).digest();
}

export function sealSession(data: SessionData, key: Buffer): string {
  const iv = randomBytes(IV_LEN);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ct = Buffer.concat([cipher.update(JSON.stringify(data), 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, ct, cipher.getAuthTag()]).toString('base64url');
}

function isSessionData(x: unknown): x is SessionData {
  if (typeof x !== 'object' || x === null) return false;
  const o = x as Record<string, unknown>;
  return ['sid', 'user', 'uid', 'csrf'].every((k) => typeof o[k] === 'string') && ['epoch', 'iat', 'seen', 'exp'].every((k) => Number.isFinite(o[k]));
}

/** The session in a cookie, when one of `keys` opens it; null for anything else (tampered, foreign, old format). */
export function openSession(cookie: string, keys: readonly Buffer[]): SessionData | null {
  if (cookie.length > 4096) return null;
  const raw = Buffer.from(cookie, 'base64url');
  if (raw.length < 1 + IV_LEN + TAG_LEN + 2 || raw[0] !== VERSION) return null;
  const iv = raw.subarray(1, 1 + IV_LEN);
  const tag = raw.subarray(raw.length - TAG_LEN);
  const ct = raw.subarray(1 + IV_LEN, raw.length - TAG_LEN);
  for (const key of keys) {
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAuthTag(tag);
      const text = Buffer.concat([decipher.update(ct), decipher.final()]).toString('utf8');
      const data: unknown = JSON.parse(text);
      return isSessionData(data) ? data : null;
    } catch {
      // Not this key (the tag does not verify): try the next.
    }
  }
  return null;
}

export type SessionState = 'valid' | 'expired' | 'idle';

export function sessionState(s: SessionData, now: number, idleMs: number): SessionState {
  if (now >= s.exp) return 'expired';
  if (now - s.seen >= idleMs) return 'idle';
  return 'valid';
}

/** A session seen again: a new cookie is worth sending only when the last one is a minute old (idle expiry to the minute). */
export function touchSession(s: SessionData, now: number): SessionData | null {
  return now - s.seen >= 60_000 ? { ...s, seen: now } : null;
}

export function newSession(user: { name: string; uid: string; epoch: number }, now: number, lifetimeMs: number): SessionData {
  return { sid: randomBytes(16).toString('base64url'), user: user.name, uid: user.uid, epoch: user.epoch, csrf: randomBytes(24).toString('base64url'), iat: now, seen: now, exp: now + lifetimeMs };
}

/** The CSRF token of a user signed in by the proxy (no cookie of ours): derived, so every instance gives the same. */
export function proxyCsrf(user: string, key: Buffer): string {
  return createHmac('sha256', key).update(`proxy-csrf\0${user}`).digest('base64url');
}
