// The `netmon demo` command line: its flags and --help text. Free of heavy imports, so cli/netmon.ts
// can register the command without loading the lab, Kafka or fastify until it runs.
import { DEMO_LAB_DEVICES, DEMO_LABS, DEMO_POLL_SECONDS, DEMO_WINDOW_SECONDS } from './demo-config.js';

export const DEMO_FLAGS = {
  help: { type: 'boolean', short: 'h' },
  dir: { type: 'string' },
  'base-port': { type: 'string' },
} as const;

export const DEMO_USAGE = `netmon demo [--dir DIR] [--base-port PORT]

Runs the demo over the local stack (start it with \`npm run stack:up\`, or run \`npm start\`, which does
everything): ${DEMO_LAB_DEVICES} lab switches (${DEMO_LABS.map((l) => `${l.devices} x ${l.ports} ports`).join(', ')}) with day-shaped traffic and this
host's snmpd, polled every ${DEMO_POLL_SECONDS} s into ${DEMO_WINDOW_SECONDS} s windows, and a few scripted events: a saturated link
(an alert fires and resolves), a reboot (no spike), a flapping port (held by the flap rule).

  --dir DIR          where the demo's netmon.yaml, devices.yaml and alerts.yaml go (default .stack/demo)
  --base-port PORT   first UDP port for the lab (default $NETMON_DEMO_BASE_PORT or 16100; the next
                     free block of ${DEMO_LAB_DEVICES} ports is taken)
  -h, --help`;

