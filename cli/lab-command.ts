// `netmon lab`: simulated SNMP switches on loopback for tests, demos and load. Starts the lab under the
// supervisor, prints the device table (and writes a device list when asked), then takes control
// commands on stdin (reboot, clear, slow, dead, alive, status, quit) and SIGUSR2 (reboot device 0)
// until SIGINT or SIGTERM. Flags and --help live in collector/lab/flags.ts.
import { writeFileSync } from 'node:fs';
import { createInterface, type Interface } from 'node:readline';
import { stringify } from 'yaml';
import { CONTROL_HELP, applyControl, parseControl } from '../collector/lab/control.js';
import { V3_VARIANTS } from '../collector/lab/v3-users.js';
import { parseLabFlags } from '../collector/lab/flags.js';
import { createLab, type Lab } from '../collector/lab/lab.js';
import { deviceTable } from '../collector/lab/table.js';
import { errorMessage } from '../common/errors.js';
import { createSupervisor, type Component, type Supervisor } from '../common/lifecycle.js';
import type { Logger } from '../common/log.js';

export interface LabCommandIo {
  out: (line: string) => void;
  err: (line: string) => void;
  logger: (level?: string) => Logger;
  /** Where control commands come from, one per line (default: process.stdin). */
  input?: NodeJS.ReadableStream;
}

function writeDeviceList(file: string, lab: Lab): void {
  const header = [
    `# Written by \`netmon lab\` at ${new Date().toISOString()}: the lab's ${lab.devices.length} simulated devices (loopback only).`,
    '# Point netmon.yaml\'s devicesFile here (or check it with `netmon check-config --config FILE`).',
  ].join('\n');
  writeFileSync(file, `${header}\n${stringify({ devices: lab.deviceEntries('2c') })}`);
}

/** Prints the table, writes the device list, and listens for control commands while running. */
function createConsole(lab: Lab, supervisor: Supervisor, io: LabCommandIo, writeDevices: string | undefined): Component {
  let rl: Interface | null = null;
  const onUsr2 = () => {
    try {
      lab.reboot(0);
      io.out(`SIGUSR2: rebooted ${lab.devices[0].id}`);
    } catch (e) {
      io.err(`SIGUSR2: ${errorMessage(e)}`);
    }
  };
  return {
    name: 'lab-console',
    start() {
      for (const line of deviceTable(lab.devices)) io.out(line);
      if (writeDevices) {
        writeDeviceList(writeDevices, lab);
        io.out(`device list written to ${writeDevices}`);
      }
      io.out(`answering SNMP v1 and v2c (community from --community, default "public")${lab.options.v3 ? ` and v3 (user ${lab.options.v3.user}, authPriv: SHA + AES; and ${lab.options.v3.user}-<variant> for every level and protocol: ${V3_VARIANTS.filter((v) => v.suffix).map((v) => v.suffix).join(', ')})` : ''}`);
      io.out(`control on stdin: ${CONTROL_HELP[0]}   (SIGUSR2 reboots device 0)`);
      rl = createInterface({ input: io.input ?? process.stdin, terminal: false });
      rl.on('line', (line) => {
        try {
          const cmd = parseControl(line, lab.devices.length);
          if (cmd.op === 'quit') {
            supervisor.shutdown('quit on stdin');
            return;
          }
          for (const out of applyControl(lab, cmd)) io.out(out);
        } catch (e) {
          io.err(errorMessage(e));
        }
      });
      process.on('SIGUSR2', onUsr2);
      return Promise.resolve();
    },
    stop() {
      process.off('SIGUSR2', onUsr2);
      rl?.close();
      rl = null;
      return Promise.resolve();
    },
  };
}

export async function labCommand(values: Record<string, unknown>, io: LabCommandIo): Promise<number> {
  const { options, writeDevices } = parseLabFlags(values);
  const log = io.logger();
  const lab = createLab(log, options);
  const supervisor = createSupervisor(log);
  return supervisor.run([lab, createConsole(lab, supervisor, io, writeDevices)]);
}
