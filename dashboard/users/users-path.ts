// Where the users file is: dashboard.auth.usersFile, relative to the devices file's directory (so
// by default users.yaml sits beside devices.yaml); null without a devices file (no configuration
// file), when users live in memory. One function, for the dashboard and for `netmon user`.
import { dirname, resolve } from 'node:path';

export function usersFilePath(devicesPath: string | null, usersFile: string): string | null {
  return devicesPath === null ? null : resolve(dirname(devicesPath), usersFile);
}
