// The first start: with no user, no token and no configured credential (adminPassword, adminToken,
// a proxy), nobody could ever log in, so an admin with a random password is created, the password
// printed once as one clearly marked log line, and only its hash stored. Rules: runs once per
// users file (afterwards there is a user); never when anything else grants access.
import type { Logger } from '../../common/log.js';
import { randomPassword } from '../auth/passwords.js';
import type { UserStore } from './user-store.js';

export const FIRST_ADMIN = 'admin';

/** Creates the first admin when there is nobody; returns its password (already logged), or null. */
export async function ensureFirstAdmin(log: Logger, users: UserStore, opts: { proxyConfigured: boolean }): Promise<string | null> {
  if (opts.proxyConfigured || !users.isEmpty()) return null;
  const password = randomPassword();
  await users.add(FIRST_ADMIN, 'admin', password);
  log.warn({ user: FIRST_ADMIN, usersFile: users.file ?? '(memory)' }, `*** FIRST START: created user "${FIRST_ADMIN}" (role admin) with password ${password} -- shown once; change it with \`netmon user passwd ${FIRST_ADMIN}\` ***`);
  return password;
}
