// The device page's clock-step line (dashboard/public/device.js, imported as it is): shown with its
// sign and size only when the collector reported a step of its clock, empty otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importPublic } from './public.fixture.js';

const { clockJumpText } = await importPublic<{ clockJumpText: (j: unknown) => string }>('device.js');
const { formatTime } = await importPublic<{ formatTime: (ms: number, long: boolean) => string }>('live-model.js');
const at = Date.UTC(2026, 0, 2, 3, 4, 5);

const cases: Array<{ name: string; jump: unknown; text: string }> = [
  { name: 'no status field', jump: undefined, text: '' },
  { name: 'no step (null)', jump: null, text: '' },
  { name: 'an hour forward', jump: { stepMs: 3_600_000, at }, text: `collector clock stepped +3600 s at ${formatTime(at, true)}` },
  { name: 'backwards', jump: { stepMs: -90_400, at }, text: `collector clock stepped −90 s at ${formatTime(at, true)}` },
  { name: 'a small step keeps a decimal', jump: { stepMs: 2_340, at }, text: `collector clock stepped +2.3 s at ${formatTime(at, true)}` },
];
for (const c of cases) test(`clock step line: ${c.name}`, () => assert.equal(clockJumpText(c.jump), c.text));
