// The `netmon lab` command line: its flags (node:util parseArgs options), its --help text, and the
// translation of parsed flag values into LabOptions, with errors that name the flag. Free of heavy
// imports, so cli/netmon.ts can register the command without loading the lab (net-snmp) until it runs.
import { UsageError } from '../../common/errors.js';
import { MAX_DEVICES, MAX_PORTS, labOptionsIssue, parseDeviceSet, type LabOptions, type ResolvedLabOptions } from './options.js';

export const LAB_FLAGS = {
  help: { type: 'boolean', short: 'h' },
  devices: { type: 'string' },
  ports: { type: 'string' },
  'base-port': { type: 'string' },
  host: { type: 'string' },
  community: { type: 'string' },
  'v3-user': { type: 'string' },
  'v3-auth-key': { type: 'string' },
  'v3-priv-key': { type: 'string' },
  'only-32bit': { type: 'string' },
  'near-wrap': { type: 'string' },
  'short-mib': { type: 'string' },
  slow: { type: 'string' },
  'slow-ms': { type: 'string' },
  dead: { type: 'string' },
  seed: { type: 'string' },
  'day-seconds': { type: 'string' },
  'write-devices': { type: 'string' },
} as const;

export const LAB_USAGE = `netmon lab --devices N --ports P --base-port PORT [options]

Runs N simulated switches on loopback: real SNMP agents (net-snmp's Agent) on UDP ports PORT ..
PORT+N-1, each with P interfaces (ifIndex 1..P: ge-0/0/k at 1 Gb/s, then 10 Gb/s uplinks xe-0/1/k),
sysUpTime from the device's boot, and counters that are the exact integral of a varying traffic rate
(per interface: idle to busy, in and out different, a slow sine plus noise), computed at request time.
Prints the device table, then runs until SIGINT or SIGTERM.

  --devices N            number of devices (1..${MAX_DEVICES})
  --ports P              interfaces per device (1..${MAX_PORTS})
  --base-port PORT       UDP port of device 0; device i listens on PORT+i (1024..65535)
  --host ADDR            loopback address to bind: 127.0.0.0/8 or ::1 (default 127.0.0.1)
  --community NAME       SNMP v1/v2c community (default public)
  --v3-user NAME         also accept SNMPv3 user NAME (authPriv: SHA-1 + AES-128), and NAME-<variant>
                         for every level and protocol (NAME-noauth, NAME-auth-sha256, NAME-priv-sha512-aes256r, ...);
  --v3-auth-key KEY      needs both passphrases, 8 characters or more
  --v3-priv-key KEY
  --only-32bit SET       old devices: no ifXTable (no ifName, no 64-bit counters, no ifHighSpeed)
  --near-wrap SET        counters start just below 2^64 (so 2^32) and wrap within the first minute
  --short-mib SET        the MIB ends with the interface tables: a v1 GETNEXT past the end is noSuchName
  --slow SET             answer only after --slow-ms
  --slow-ms MS           delay of the slow devices (default 1500)
  --dead SET             bound but never answering
  --seed N               traffic seed (default 1): the same seed gives the same traffic
  --day-seconds S        period of the slow swing of every rate (default 3600)
  --write-devices FILE   write a devices.yaml listing the lab's devices (v2c), for netmon collector
  -h, --help

SET: 0-based device indexes and ranges, e.g. 0-9 or 0,3,5-7 or all.

While it runs, one command per line on stdin:
  reboot SET             sysUpTime and counters restart from 0
  clear SET [IFINDEX]    counters restart from 0 without a reboot (ifCounterDiscontinuityTime = now)
  slow SET MS            answer after MS ms (0 = at once)
  dead SET / alive SET   stop / resume answering
  saturate SET IFINDEX SECONDS [PERCENT [in|out|both]]
                         run the interface at PERCENT of its speed (default 95, inbound) for SECONDS
  oper SET IFINDEX up|down
                         take the interface oper-down (it carries nothing) or up again
  status [SET]           the device table, with request counters
  quit                   stop the lab
SIGUSR2 reboots device 0.`;

/** Option field -> the flag that sets it (for error messages). */
const FLAG_OF: Record<string, string> = {
  devices: '--devices',
  ports: '--ports',
  basePort: '--base-port',
  host: '--host',
  community: '--community',
  v3: '--v3-user',
  only32bit: '--only-32bit',
  nearWrap: '--near-wrap',
  shortMib: '--short-mib',
  slow: '--slow',
  slowMs: '--slow-ms',
  dead: '--dead',
  seed: '--seed',
  daySeconds: '--day-seconds',
};
const V3_FLAG: Record<string, string> = { user: '--v3-user', authKey: '--v3-auth-key', privKey: '--v3-priv-key' };

export interface LabCommandOptions {
  options: ResolvedLabOptions;
  /** --write-devices FILE */
  writeDevices?: string;
}

function str(values: Record<string, unknown>, flag: string): string | undefined {
  const v = values[flag];
  return typeof v === 'string' ? v : undefined;
}

function whole(values: Record<string, unknown>, flag: string): number | undefined {
  const v = str(values, flag);
  if (v === undefined) return undefined;
  if (!/^\d{1,10}$/.test(v.trim())) throw new UsageError(`--${flag}: expected a whole number, got ${JSON.stringify(v)}`);
  return Number(v.trim());
}

/** Parsed flag values -> validated lab options. Every error is a UsageError naming the flag. */
export function parseLabFlags(values: Record<string, unknown>): LabCommandOptions {
  const devices = whole(values, 'devices');
  const ports = whole(values, 'ports');
  const basePort = whole(values, 'base-port');
  if (devices === undefined) throw new UsageError('--devices N is required');
  if (ports === undefined) throw new UsageError('--ports P is required');
  if (basePort === undefined) throw new UsageError('--base-port PORT is required');
  const set = (flag: string) => {
    const v = str(values, flag);
    return v === undefined ? undefined : parseDeviceSet(v, devices, `--${flag}`);
  };
  const v3Parts = [str(values, 'v3-user'), str(values, 'v3-auth-key'), str(values, 'v3-priv-key')];
  const v3Given = v3Parts.filter((p) => p !== undefined).length;
  if (v3Given > 0 && v3Given < 3) throw new UsageError('--v3-user, --v3-auth-key and --v3-priv-key go together');
  const raw: LabOptions = {
    devices,
    ports,
    basePort,
    host: str(values, 'host'),
    community: str(values, 'community'),
    v3: v3Given === 3 ? { user: v3Parts[0]!, authKey: v3Parts[1]!, privKey: v3Parts[2]! } : undefined,
    only32bit: set('only-32bit'),
    nearWrap: set('near-wrap'),
    shortMib: set('short-mib'),
    slow: set('slow'),
    slowMs: whole(values, 'slow-ms'),
    dead: set('dead'),
    seed: whole(values, 'seed'),
    daySeconds: whole(values, 'day-seconds'),
  };
  // Flags not given are left out (not undefined), so the options show only what is set.
  const r = labOptionsIssue(Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)));
  if ('options' in r) {
    const writeDevices = str(values, 'write-devices');
    return { options: r.options, ...(writeDevices !== undefined ? { writeDevices } : {}) };
  }
  const [field, sub] = r.path;
  const flag = field === 'v3' && typeof sub === 'string' ? V3_FLAG[sub] : FLAG_OF[String(field)];
  throw new UsageError(`${flag ?? String(field)}: ${r.message}`);
}
