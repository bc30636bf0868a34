// The device table `netmon lab` prints: consecutive devices that look alike share one row, so a lab of
// thousands of devices prints a few lines. Pure formatting.
import type { LabDevice } from './lab.js';

type Row = Pick<LabDevice, 'index' | 'id' | 'host' | 'port' | 'ports' | 'hc' | 'nearWrap' | 'slowMs' | 'dead' | 'reboots'>;

function state(d: Row): string {
  const s: string[] = [];
  if (d.nearWrap) s.push('near-wrap');
  if (d.slowMs > 0) s.push(`slow ${d.slowMs} ms`);
  if (d.dead) s.push('dead');
  if (d.reboots > 0) s.push(`rebooted ${d.reboots}x`);
  return s.join(', ');
}

const sameKind = (a: Row, b: Row) => a.ports === b.ports && a.hc === b.hc && a.host === b.host && state(a) === state(b);

function address(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Rows of [devices, ids, address, ports, counters, state], grouped, with a header. */
export function deviceTable(devices: readonly Row[]): string[] {
  const rows: string[][] = [['device', 'id', 'address', 'ifaces', 'counters', 'state']];
  for (let i = 0; i < devices.length; ) {
    let j = i;
    while (j + 1 < devices.length && sameKind(devices[i], devices[j + 1]) && devices[j + 1].port === devices[j].port + 1 && devices[j + 1].index === devices[j].index + 1) j++;
    const a = devices[i];
    const b = devices[j];
    const one = i === j;
    rows.push([
      one ? String(a.index) : `${a.index}-${b.index}`,
      one ? a.id : `${a.id}..${b.id}`,
      one ? address(a.host, a.port) : `${address(a.host, a.port)}-${b.port}`,
      String(a.ports),
      a.hc ? '64-bit' : '32-bit',
      state(a),
    ]);
    i = j + 1;
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ').trimEnd());
}
