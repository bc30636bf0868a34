// `netmon user`: the dashboard's local users and tokens, in the users file beside the devices file
// (dashboard.auth.usersFile). Subcommands: add NAME --role R, passwd NAME, remove NAME, list,
// token NAME [--role R] (prints the token once), revoke TOKEN-ID. Rules: a password comes from
// --password-file, else from standard input when it is not a terminal (first line), else from a
// prompt that does not echo (asked twice); it is never an argument (it would sit in the shell's
// history and in `ps`); only hashes are written; a running dashboard sees a change at its next request.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { LoadedConfig } from '../common/config/load.js';
import { UsageError } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import { isRole, ROLES, type Role } from '../dashboard/auth/roles.js';
import { createUserStore } from '../dashboard/users/user-store.js';
import { usersFilePath } from '../dashboard/users/users-path.js';

export const USER_USAGE = [
  'netmon user add NAME --role viewer|operator|admin [--password-file F] [--config FILE]',
  '       netmon user passwd NAME [--password-file F] [--config FILE]',
  '       netmon user remove NAME [--config FILE]',
  '       netmon user list [--config FILE]',
  '       netmon user token NAME [--role R] [--config FILE]   (a user\'s token, or a service\'s: then --role is required)',
  '       netmon user revoke TOKEN-ID [--config FILE]',
  '  The password is read from --password-file, else from standard input (first line), else asked for.',
].join('\n');

export interface UserIo {
  out: (line: string) => void;
  /** The password source when there is no --password-file: stdin's first line, or a prompt on a terminal. */
  readPassword: (prompt: string) => Promise<string>;
}

function roleOf(value: unknown, required: boolean): Role | undefined {
  if (value === undefined && !required) return undefined;
  if (!isRole(value)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
  return value;
}

async function password(values: Record<string, unknown>, io: UserIo): Promise<string> {
  const text = typeof values['password-file'] === 'string' ? readFileSync(values['password-file'], 'utf8').split(/\r?\n/)[0] : await io.readPassword('Password: ');
  if (text === '') throw new UsageError('the password is empty');
  return text;
}

export async function userCommand(values: Record<string, unknown>, positionals: string[], loaded: LoadedConfig, log: Logger, io: UserIo): Promise<number> {
  const [sub, name, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}\nusage: ${USER_USAGE}`);
  const file = usersFilePath(loaded.devicesPath, loaded.config.dashboard.auth.usersFile);
  if (file === null) throw new UsageError('no configuration file, so no users file: give --config FILE');
  const auth = loaded.config.dashboard.auth;
  const users = createUserStore(log, { file, adminPassword: auth.adminPassword?.reveal() ?? null, adminToken: auth.adminToken?.reveal() ?? null });
  const needName = () => {
    if (!name) throw new UsageError(`netmon user ${sub} needs a NAME\nusage: ${USER_USAGE}`);
    return name;
  };
  switch (sub) {
    case 'add': {
      const role = roleOf(values.role, true)!;
      const n = needName();
      await users.add(n, role, await password(values, io));
      io.out(`added ${n} (${role}) to ${file}`);
      return 0;
    }
    case 'passwd': {
      const n = needName();
      await users.setPassword(n, await password(values, io));
      io.out(`new password for ${n}; its sessions are ended`);
      return 0;
    }
    case 'remove': {
      const n = needName();
      users.remove(n);
      io.out(`removed ${n} and its tokens`);
      return 0;
    }
    case 'list': {
      const { users: list, tokens } = users.list();
      for (const u of list) io.out(`user   ${u.name.padEnd(24)} ${u.role.padEnd(8)} ${u.source === 'config' ? '(dashboard.auth.adminPassword)' : u.created}`);
      for (const t of tokens) io.out(`token  ${t.id}  ${t.name.padEnd(12)} ${t.role.padEnd(8)} ${t.kind} ${t.created}`);
      if (list.length === 0 && tokens.length === 0) io.out(`no users in ${file} (the dashboard creates an admin at its first start)`);
      return 0;
    }
    case 'token': {
      const n = needName();
      const t = users.addToken(n, roleOf(values.role, false));
      io.out(`token ${t.id} for ${n} (${t.role}), shown once; send it as "Authorization: Bearer <token>":`);
      io.out(t.token);
      return 0;
    }
    case 'revoke': {
      const id = needName();
      users.removeToken(id);
      io.out(`revoked token ${id}`);
      return 0;
    }
    default:
      throw new UsageError(`netmon user: unknown subcommand ${JSON.stringify(sub ?? '')}\nusage: ${USER_USAGE}`);
  }
}

/** The password from standard input: its first line when piped, else a prompt (twice) that does not echo. */
export async function readPasswordFromTerminal(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    const rl = createInterface({ input: stdin });
    for await (const line of rl) {
      rl.close();
      return line;
    }
    return '';
  }
  const ask = (q: string) =>
    new Promise<string>((resolve) => {
      const rl = createInterface({ input: stdin, output: process.stderr, terminal: true });
      // Echo the prompt, not the keys.
      const writable = rl as unknown as { _writeToOutput: (s: string) => void };
      writable._writeToOutput = (s: string) => {
        if (s.startsWith(q)) process.stderr.write(q);
      };
      rl.question(q, (answer) => {
        rl.close();
        process.stderr.write('\n');
        resolve(answer);
      });
    });
  const first = await ask(prompt);
  const again = await ask('Again: ');
  if (first !== again) throw new UsageError('the two passwords differ');
  return first;
}
