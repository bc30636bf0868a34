// The keys of the session cookies: from dashboard.auth.sessionKeys when configured (first seals,
// all open), else one key generated on first use and kept in a file beside the users file (mode
// 0600), so a restart and every instance sharing that directory keep the sessions. Without a users
// file (no configuration file) the key lives in memory: sessions end with the process.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Secret } from '../../common/config/secret.js';
import { NetmonError, ErrorCodes } from '../../common/errors.js';
import { aesKey } from '../auth/session-cookie.js';

export function sessionKeyFile(usersFile: string): string {
  return join(dirname(usersFile), 'session.key');
}

function readKeyFile(file: string): string | null {
  try {
    const text = readFileSync(file, 'utf8').trim();
    return text.length >= 32 ? text : null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new NetmonError(ErrorCodes.CONFIG_READ, `cannot read the session key ${file}: ${(err as Error).message}`, { cause: err });
  }
}

export function loadSessionKeys(configured: readonly Secret[], usersFile: string | null): Buffer[] {
  if (configured.length > 0) return configured.map((k) => aesKey(k.reveal()));
  if (usersFile === null) return [aesKey(randomBytes(32).toString('base64url'))];
  const file = sessionKeyFile(usersFile);
  let text = readKeyFile(file);
  if (text === null) {
    const fresh = randomBytes(32).toString('base64url');
    try {
      // 'wx': two instances starting at once both end up with the one that was written first.
      writeFileSync(file, `${fresh}\n`, { mode: 0o600, flag: 'wx' });
      text = fresh;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new NetmonError(ErrorCodes.CONFIG_READ, `cannot write the session key ${file}: ${(err as Error).message}`, { cause: err });
      text = readKeyFile(file);
    }
  }
  if (text === null) throw new NetmonError(ErrorCodes.CONFIG_READ, `the session key ${file} is empty or too short`);
  return [aesKey(text)];
}
