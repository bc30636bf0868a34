// The users and tokens of the dashboard: the users file (users-file.ts) plus the configured
// dashboard.auth.adminPassword ("admin") and adminToken (a service token), for compatibility.
// Rules: every read checks the file first (a stat; reloaded when it changed), so a user removed,
// a role changed or a session ended by `netmon user` or by another dashboard instance counts on the
// next request; every change re-reads the file, applies itself and writes it atomically; only
// hashes are kept; a token of a user never does more than the user, and dies with the user.
// Shared (dashboard.shared): a replica (user-sync.ts) is told of every change, its own or the file's,
// and publishes it to the config topic; records of other instances come in through applyRemote,
// which writes them to the file, so the file stays a copy of what the topic holds.
import { statSync } from 'node:fs';
import { ConflictError, InputError, NotFoundError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import { DUMMY_HASH, hashPassword, newToken, secretMatches, tokenHash, tokenId, verifyPassword, type ScryptParams } from '../auth/passwords.js';
import { lowerRole, type Role } from '../auth/roles.js';
import { emptyUsers, newUid, readUsersFile, USER_NAME_PATTERN, writeUsersFile, type UsersData } from './users-file.js';

/** A user as a session knows it. */
export interface Account {
  name: string;
  uid: string;
  role: Role;
  epoch: number;
}

export interface PublicUser {
  name: string;
  role: Role;
  created: string;
  source: 'file' | 'config';
}

export interface PublicToken {
  id: string;
  name: string;
  role: Role;
  kind: 'user' | 'service';
  created: string;
}

export interface UserStore {
  /** The users file, or null when users live in memory only. */
  readonly file: string | null;
  list(): { users: PublicUser[]; tokens: PublicToken[] };
  /** No user and no token anywhere (file or config): the first start. */
  isEmpty(): boolean;
  add(name: string, role: Role, password: string): Promise<PublicUser>;
  /** A new password ends the user's other sessions. */
  setPassword(name: string, password: string): Promise<void>;
  setRole(name: string, role: Role): PublicUser;
  /** Removes a user and its tokens, or (a name that is no user) a service's tokens. */
  remove(name: string): void;
  /** A token for a user (its role at most the user's) or a service (role required); the token text is returned once. */
  addToken(name: string, role: Role | undefined): { id: string; token: string; role: Role };
  removeToken(id: string): void;
  login(name: string, password: string): Promise<Account | null>;
  /** The account of a session, or null when the user is gone (or was removed and added again). */
  account(name: string, uid: string): Account | null;
  bearer(token: string): { name: string; role: Role } | null;
  /** Ends every session of the user (logout): its epoch goes up. */
  endSessions(name: string, uid: string): void;
  /** Resolves once every change so far has reached the other instances' topic (at once without a replica); rejects when it could not. */
  settled(): Promise<void>;
  /** The users and tokens as they are now (a copy). */
  snapshot(): UsersData;
  /** A change that came from another instance: applied here and to the file; `apply` says whether it changed anything. */
  applyRemote(apply: (d: UsersData) => boolean): void;
}

/** Where a shared store sends its changes (user-sync.ts). */
export interface UserReplica {
  changed(data: UsersData): void;
  settled(): Promise<void>;
}

export const CONFIG_ADMIN = 'admin';
const CONFIG_ADMIN_UID = 'config-admin';

export function createUserStore(log: Logger, opts: { file: string | null; adminPassword: string | null; adminToken: string | null; scrypt?: ScryptParams; replica?: UserReplica }): UserStore {
  const { file } = opts;
  let data: UsersData = file ? readUsersFile(file) : emptyUsers();
  let seen = file ? stamp(file) : '';

  function stamp(f: string): string {
    try {
      const s = statSync(f, { bigint: true });
      return `${s.ino}:${s.size}:${s.mtimeNs}`;
    } catch {
      return 'absent';
    }
  }

  function fresh(): UsersData {
    if (!file) return data;
    const now = stamp(file);
    if (now !== seen) {
      try {
        data = readUsersFile(file);
        seen = now;
        // A hand edit (`netmon user` on this machine) is a change like any other.
        opts.replica?.changed(structuredClone(data));
      } catch (err) {
        // A hand edit gone wrong: keep serving the last good content, say why.
        log.error({ err: (err as Error).message }, 'users file unreadable; using its last good content');
      }
    }
    return data;
  }

  function change(apply: (d: UsersData) => void): void {
    const d = file ? readUsersFile(file) : structuredClone(data);
    apply(d);
    if (file) {
      writeUsersFile(file, d);
      seen = stamp(file);
    }
    data = d;
    opts.replica?.changed(structuredClone(d));
  }

  const configAdmin = (): Account | null => (opts.adminPassword !== null || opts.adminToken !== null ? { name: CONFIG_ADMIN, uid: CONFIG_ADMIN_UID, role: 'admin', epoch: fresh().epochs[CONFIG_ADMIN_UID] ?? 0 } : null);

  function checkName(name: string): void {
    if (!USER_NAME_PATTERN.test(name)) throw new InputError('name', 'must be 1-64 of letters, digits, ".", "_", "@", "-", starting with a letter or digit');
  }
  function checkPassword(password: string): void {
    if (password.length < 8) throw new InputError('password', 'must be at least 8 characters');
    if (password.length > 1024) throw new InputError('password', 'must be at most 1024 characters');
  }
  const mustUser = (d: UsersData, name: string) => {
    const u = d.users.find((x) => x.name === name);
    if (!u) throw new NotFoundError(`no user ${JSON.stringify(name)}`);
    return u;
  };

  return {
    file,
    list() {
      const d = fresh();
      const users: PublicUser[] = d.users.map((u) => ({ name: u.name, role: u.role, created: u.created, source: 'file' }));
      if (configAdmin() && !users.some((u) => u.name === CONFIG_ADMIN)) users.unshift({ name: CONFIG_ADMIN, role: 'admin', created: '', source: 'config' });
      const tokens: PublicToken[] = d.tokens.map((t) => ({ id: t.id, name: t.name, role: t.role, kind: t.uid === null ? 'service' : 'user', created: t.created }));
      return { users, tokens };
    },
    isEmpty() {
      const d = fresh();
      return d.users.length === 0 && d.tokens.length === 0 && configAdmin() === null;
    },
    async add(name, role, password) {
      checkName(name);
      checkPassword(password);
      if (name === CONFIG_ADMIN && opts.adminPassword !== null) throw new ConflictError('"admin" is the user of dashboard.auth.adminPassword; choose another name', 'name');
      const hash = await hashPassword(password, opts.scrypt);
      const created = new Date().toISOString();
      change((d) => {
        if (d.users.some((u) => u.name === name)) throw new ConflictError(`user ${JSON.stringify(name)} exists`, 'name');
        d.users.push({ name, uid: newUid(), role, password: hash, epoch: 0, created });
      });
      return { name, role, created, source: 'file' };
    },
    async setPassword(name, password) {
      checkPassword(password);
      mustUser(fresh(), name);
      const hash = await hashPassword(password, opts.scrypt);
      change((d) => {
        const u = mustUser(d, name);
        u.password = hash;
        u.epoch++;
      });
    },
    setRole(name, role) {
      let out: PublicUser | null = null;
      change((d) => {
        const u = mustUser(d, name);
        u.role = role;
        out = { name: u.name, role, created: u.created, source: 'file' };
      });
      return out!;
    },
    remove(name) {
      change((d) => {
        const u = d.users.find((x) => x.name === name);
        const before = d.tokens.length;
        d.tokens = d.tokens.filter((t) => (u ? t.uid !== u.uid : !(t.name === name && t.uid === null)));
        if (!u && before === d.tokens.length) throw new NotFoundError(`no user or service ${JSON.stringify(name)}`);
        if (u) d.users = d.users.filter((x) => x !== u);
      });
    },
    addToken(name, role) {
      checkName(name);
      const t = newToken();
      let granted: Role = 'viewer';
      change((d) => {
        const u = d.users.find((x) => x.name === name);
        if (!u && !role) throw new InputError('role', `${JSON.stringify(name)} is no user: a service token needs a role`);
        granted = u ? lowerRole(role ?? u.role, u.role) : role!;
        d.tokens.push({ id: t.id, name, uid: u ? u.uid : null, role: granted, hash: t.hash, created: new Date().toISOString() });
      });
      return { id: t.id, token: t.token, role: granted };
    },
    removeToken(id) {
      change((d) => {
        const before = d.tokens.length;
        d.tokens = d.tokens.filter((t) => t.id !== id);
        if (before === d.tokens.length) throw new NotFoundError(`no token ${JSON.stringify(id)}`);
      });
    },
    async login(name, password) {
      const admin = configAdmin();
      if (admin && name === CONFIG_ADMIN) {
        const ok = secretMatches(password, opts.adminPassword) || secretMatches(password, opts.adminToken);
        // The same work as a stored user's check, so timing does not tell which kind of user this is.
        await verifyPassword(password, DUMMY_HASH);
        return ok ? admin : null;
      }
      const u = fresh().users.find((x) => x.name === name);
      const ok = await verifyPassword(password, u?.password ?? DUMMY_HASH);
      if (!u || !ok || u.password === null) return null;
      // Read again: the user may have changed while scrypt ran.
      return this.account(u.name, u.uid);
    },
    account(name, uid) {
      if (uid === CONFIG_ADMIN_UID) {
        const admin = configAdmin();
        return admin && name === CONFIG_ADMIN ? admin : null;
      }
      const u = fresh().users.find((x) => x.uid === uid && x.name === name);
      return u ? { name: u.name, uid: u.uid, role: u.role, epoch: u.epoch } : null;
    },
    bearer(token) {
      if (opts.adminToken !== null && secretMatches(token, opts.adminToken)) return { name: 'admin-token', role: 'admin' };
      const id = tokenId(token);
      if (!id) return null;
      const d = fresh();
      const t = d.tokens.find((x) => x.id === id);
      if (!t || !secretMatches(tokenHash(token), t.hash)) return null;
      if (t.uid === null) return { name: t.name, role: t.role };
      const u = d.users.find((x) => x.uid === t.uid);
      return u ? { name: u.name, role: lowerRole(t.role, u.role) } : null;
    },
    settled: () => opts.replica?.settled() ?? Promise.resolve(),
    snapshot: () => structuredClone(fresh()),
    applyRemote(apply) {
      const d = structuredClone(fresh());
      if (!apply(d)) return;
      if (file) {
        writeUsersFile(file, d);
        seen = stamp(file);
      }
      data = d;
    },
    endSessions(name, uid) {
      change((d) => {
        if (uid === CONFIG_ADMIN_UID) d.epochs[CONFIG_ADMIN_UID] = (d.epochs[CONFIG_ADMIN_UID] ?? 0) + 1;
        else {
          const u = d.users.find((x) => x.uid === uid && x.name === name);
          if (u) u.epoch++;
        }
      });
    },
  };
}
