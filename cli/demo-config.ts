// The demo's configuration (pure): the lab it runs, and the three files `netmon demo` writes under
// .stack/demo/ (netmon.yaml, devices.yaml, alerts.yaml), as text. Rules: the files are ordinary netmon
// configuration a person can read and reuse (every value literal, nothing interpolated, so what the
// dashboard shows is what the file says); the demo has its own topics, consumer groups and InfluxDB
// database, so it never mixes with a real installation on the same Kafka and InfluxDB.
// Poll every 10 s with the usual 60 s windows: the first (partial) windows close about a minute after
// the start and full ones follow each minute, so the overview is live within about two minutes.
import { stringify } from 'yaml';
import type { LabDeviceEntry, LabOptions } from '../collector/lab/lab.js';

export const DEMO_POLL_SECONDS = 10;
export const DEMO_WINDOW_SECONDS = 60;
/** One "day" of the lab's traffic swing, so the shape shows within a demo's first half hour. */
export const DEMO_DAY_SECONDS = 1800;
/** Lab devices: access switches with 24 ports and aggregation switches with 48. */
export const DEMO_LABS = [
  { idPrefix: 'access', devices: 14, ports: 24 },
  { idPrefix: 'agg', devices: 6, ports: 48 },
] as const;
export const DEMO_LAB_DEVICES = DEMO_LABS.reduce((n, l) => n + l.devices, 0);

/** The options of each demo lab, on consecutive UDP ports from basePort. */
export function demoLabOptions(basePort: number): LabOptions[] {
  let port = basePort;
  return DEMO_LABS.map((l) => {
    const o: LabOptions = { devices: l.devices, ports: l.ports, basePort: port, idPrefix: l.idPrefix, daySeconds: DEMO_DAY_SECONDS, seed: 1 };
    port += l.devices;
    return o;
  });
}

export interface HostSnmp {
  host: string;
  port: number;
  community: string;
}

export interface DemoFilesInput {
  /** Lab devices, as the labs list them. */
  labDevices: readonly LabDeviceEntry[];
  /** This host's snmpd (the local stack's), or null when there is none. */
  hostSnmp: HostSnmp | null;
  dashboardPort: number;
  adminPassword: string;
  /** For the header comments. */
  writtenAt: Date;
}

export interface DemoFiles {
  'netmon.yaml': string;
  'devices.yaml': string;
  'alerts.yaml': string;
}

const header = (lines: string[]) => `${lines.map((l) => `# ${l}`).join('\n')}\n`;

export function demoFiles(i: DemoFilesInput): DemoFiles {
  const stamp = `Written by \`netmon demo\` at ${i.writtenAt.toISOString()}; rewritten at every demo start.`;
  const netmon = {
    log: { level: 'info' },
    kafka: {
      clientId: 'netmon-demo',
      samplesPartitions: 4,
      topics: {
        samples: 'netmon-demo.samples',
        windows: 'netmon-demo.windows',
        alerts: 'netmon-demo.alerts',
        config: 'netmon-demo.config',
        deadletter: 'netmon-demo.deadletter',
        status: 'netmon-demo.status',
        alertState: 'netmon-demo.alert-state',
        alertActions: 'netmon-demo.alert-actions',
        collectorState: 'netmon-demo.collector-state',
      },
    },
    influx: { database: 'netmon_demo' },
    collector: { pollIntervalSeconds: DEMO_POLL_SECONDS, timeoutMs: 2000, retries: 1, groupId: 'netmon-demo-collectors' },
    processor: { groupId: 'netmon-demo-processor', windowSeconds: DEMO_WINDOW_SECONDS, sessionTimeoutSeconds: 10 },
    dashboard: { host: '127.0.0.1', port: i.dashboardPort, groupIdPrefix: 'netmon-demo-dashboard', auth: { adminPassword: i.adminPassword } },
    devicesFile: 'devices.yaml',
    alerts: { rulesFile: 'alerts.yaml', notifierGroupId: 'netmon-demo-notifier' },
  };
  const devices = [
    ...i.labDevices.map((d) => ({ ...d, tags: [...d.tags, d.id.split('-')[0]] })),
    ...(i.hostSnmp
      ? [{
        id: 'localhost',
        host: i.hostSnmp.host,
        port: i.hostSnmp.port,
        tags: ['host'],
        // net-snmp reports 10 Mb/s for loopback, which has no speed: unknown, so no made-up utilization.
        speedOverrides: { lo: 0 },
        snmp: { version: '2c', community: i.hostSnmp.community },
      }]
      : []),
  ];
  const rules = [
    {
      id: 'link-saturated',
      description: 'inbound traffic above 90 % of the link speed for 2 minutes',
      metric: 'in_utilization',
      comparator: '>',
      threshold: 90,
      clearThreshold: 80,
      forWindows: 2,
      severity: 'critical',
    },
    {
      id: 'uplink-down',
      description: 'an uplink was oper-down in most of a minute; more than 2 up/down changes in 6 minutes hold the alert (flapping)',
      metric: 'oper_down',
      comparator: '>',
      // More than half of the window's polls: a poll that lands on the edge of a change does not count.
      threshold: 0.5,
      forWindows: 1,
      severity: 'warning',
      // Uplinks only: a switch has access ports that are down on purpose (nothing plugged in).
      scope: { interfaces: ['xe-.*'] },
      flapping: { flips: 2, windows: 6 },
    },
  ];
  return {
    'netmon.yaml': header([
      'The netmon demo: collector + processor + dashboard over the local stack, with lab switches.',
      stamp,
      'Kafka and InfluxDB come from the local stack (.stack/env); the demo uses its own topics and database.',
    ]) + stringify(netmon),
    'devices.yaml': header([
      `The demo's devices: ${i.labDevices.length} simulated lab switches on loopback${i.hostSnmp ? " and this host's snmpd (the local stack's)" : ''}.`,
      stamp,
    ]) + stringify({ devices }),
    'alerts.yaml': header(['The demo\'s alert rules: a saturated link, and an uplink that is down or flapping (see README "Alerts").', stamp]) + stringify({ rules }),
  };
}
