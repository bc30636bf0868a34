// The one character set of a device id, checked at every entrance: the config file and the API
// (through the device schema), and every wire contract that carries a device id (Kafka records).
// Rules: any printable Unicode, spaces, commas, equals signs, quotes and backslashes included
// (people name devices that way); 1 to DEVICE_ID_MAX_CHARS characters (code points); refused with a
// named reason: control characters (C0, DEL, C1), line and paragraph separators (U+2028, U+2029) and
// unpaired surrogates, which no log line, file or line-protocol point can carry as they are.
// Imports nothing of netmon's, so the config schema and the contracts can both use it.
import { createHash } from 'node:crypto';
import { z } from 'zod';

export const DEVICE_ID_MAX_CHARS = 128;

/**
 * The same rule as a regular expression, for JSON schemas (ajv compiles patterns with the `u` flag,
 * which makes `{1,128}` count code points and `\p{...}` work).
 */
export const DEVICE_ID_PATTERN = new RegExp(`^[^\\p{Cc}\\p{Cs}\\u2028\\u2029]{1,${DEVICE_ID_MAX_CHARS}}$`, 'u');

const hex = (cp: number) => `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;

/** What kind of refused character `cp` is, or null when it is allowed. */
function refusedKind(cp: number): string | null {
  if (cp < 0x20) return 'a control character (C0)';
  if (cp === 0x7f) return 'a control character (DEL)';
  if (cp >= 0x80 && cp <= 0x9f) return 'a control character (C1)';
  if (cp === 0x2028) return 'a line separator';
  if (cp === 0x2029) return 'a paragraph separator';
  if (cp >= 0xd800 && cp <= 0xdfff) return 'an unpaired surrogate';
  return null;
}

/** Why `id` is not a valid device id (a sentence naming the character and its place), or null when it is. */
export function deviceIdProblem(id: string): string | null {
  if (id.length === 0) return 'must not be empty';
  let n = 0;
  // for..of walks code points: a surrogate pair is one character, a lone surrogate is its own.
  for (const ch of id) {
    n++;
    const cp = ch.codePointAt(0)!;
    const kind = refusedKind(cp);
    if (kind) return `contains ${kind}, ${hex(cp)}, at character ${n}: control characters, line and paragraph separators are not allowed in a device id`;
  }
  if (n > DEVICE_ID_MAX_CHARS) return `is ${n} characters long; at most ${DEVICE_ID_MAX_CHARS}`;
  return null;
}

/** A device id in a zod schema (config, API, wire contracts): the issue message is deviceIdProblem's. */
export const deviceIdSchema = z.string().superRefine((id, ctx) => {
  const problem = deviceIdProblem(id);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** Longest file name deviceFileName gives before it falls back to a hash (file systems allow 255 bytes). */
const MAX_FILE_STEM = 200;

/**
 * A file name stem for a device's own file (no separators, no `.`/`..`, short enough for any file
 * system): the id percent-encoded, which leaves the old ids ([A-Za-z0-9._-]) as they were, or `#`
 * and the SHA-256 of the id when that is too long (`#` is never left by the encoding, so the two
 * kinds cannot meet). The file should still carry the id, to detect the hash's ever-so-unlikely clash.
 */
export function deviceFileName(id: string): string {
  const encoded = encodeURIComponent(id).replace(/^\./, '%2E');
  return encoded.length <= MAX_FILE_STEM ? encoded : `#${createHash('sha256').update(id).digest('hex')}`;
}
