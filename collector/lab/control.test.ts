import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../common/log.js';
import { applyControl, parseControl, type ControlCommand } from './control.js';
import { createLab } from './lab.js';
import { deviceTable } from './table.js';

test('control lines parse into commands; bad lines say what was expected', () => {
  const cases: Array<{ line: string; want: ControlCommand | RegExp }> = [
    { line: '', want: { op: 'nothing' } },
    { line: 'reboot 0', want: { op: 'reboot', devices: [0] } },
    { line: '  dead 1-2 ', want: { op: 'dead', devices: [1, 2] } },
    { line: 'alive all', want: { op: 'alive', devices: [0, 1, 2, 3] } },
    { line: 'slow 3 1500', want: { op: 'slow', devices: [3], ms: 1500 } },
    { line: 'clear 0,2', want: { op: 'clear', devices: [0, 2] } },
    { line: 'clear 0 7', want: { op: 'clear', devices: [0], ifIndex: 7 } },
    { line: 'status', want: { op: 'status', devices: null } },
    { line: 'saturate 1 3 300', want: { op: 'saturate', devices: [1], ifIndex: 3, seconds: 300, percent: 95, direction: 'in' } },
    { line: 'saturate 0-1 2 60 99 both', want: { op: 'saturate', devices: [0, 1], ifIndex: 2, seconds: 60, percent: 99, direction: 'both' } },
    { line: 'oper 2 4 down', want: { op: 'oper', devices: [2], ifIndex: 4, up: false } },
    { line: 'oper 2 4 up', want: { op: 'oper', devices: [2], ifIndex: 4, up: true } },
    { line: 'saturate 1 3', want: /saturate SECONDS: expected a whole number 1\.\.86400/ },
    { line: 'saturate 1 3 60 101', want: /saturate PERCENT: expected a whole number 1\.\.100, got 101/ },
    { line: 'saturate 1 3 60 90 sideways', want: /direction must be in, out or both/ },
    { line: 'oper 2 4 sideways', want: /oper: expected up or down, got "sideways"/ },
    { line: 'oper 2', want: /oper IFINDEX: expected a whole number/ },
    { line: 'quit', want: { op: 'quit' } },
    { line: 'reboot', want: /reboot: which devices\?/ },
    { line: 'reboot 4', want: /reboot: device index 4 is out of range 0\.\.3/ },
    { line: 'slow 1', want: /slow MS: expected a whole number 0\.\.600000/ },
    { line: 'slow 1 fast', want: /slow MS: expected a whole number/ },
    { line: 'dead 1 now', want: /dead: unexpected "now"/ },
    { line: 'explode 1', want: /unknown command "explode"; commands: reboot SET/ },
  ];
  for (const c of cases) {
    if (c.want instanceof RegExp) assert.throws(() => parseControl(c.line, 4), c.want, c.line);
    else assert.deepEqual(parseControl(c.line, 4), c.want, c.line);
  }
});

test('commands change the lab through its API; the table groups alike devices', () => {
  const lab = createLab(silentLogger, { devices: 6, ports: 4, basePort: 21161, only32bit: [5] });
  // Not started: state changes that need the clock refuse, the others work.
  assert.throws(() => applyControl(lab, parseControl('reboot 0', 6)), /not started/);
  assert.deepEqual(applyControl(lab, parseControl('slow 1 250', 6)), ['1: answering after 250 ms']);
  assert.deepEqual(applyControl(lab, parseControl('dead 2-3', 6)), ['2, 3: dead']);
  assert.equal(lab.devices[1].slowMs, 250);
  assert.equal(lab.devices[3].dead, true);
  assert.throws(() => applyControl(lab, parseControl('clear 0 9', 6)), /no ifIndex 9 \(1\.\.4\)/);
  assert.throws(() => applyControl(lab, parseControl('oper 0 5 down', 6)), /oper: no ifIndex 5 \(1\.\.4\)/);
  assert.throws(() => applyControl(lab, parseControl('saturate 0 1 60', 6)), /not started/);
  assert.deepEqual(deviceTable(lab.devices), [
    'device  id                  address                ifaces  counters  state',
    '0       lab-0000            127.0.0.1:21161        4       64-bit',
    '1       lab-0001            127.0.0.1:21162        4       64-bit    slow 250 ms',
    '2-3     lab-0002..lab-0003  127.0.0.1:21163-21164  4       64-bit    dead',
    '4       lab-0004            127.0.0.1:21165        4       64-bit',
    '5       lab-0005            127.0.0.1:21166        4       32-bit',
  ]);
  // Reboot, clear, saturate, oper and status against a running lab are in test/integration/lab.test.ts
  // and the device model's tests (a running lab binds ports).
});
