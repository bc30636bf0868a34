import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClockWatch, type ClockJump } from './clock-watch.js';

/** A fake clock pair: both advance together; `step` moves only the wall clock, `slew` drifts it slowly. */
function fakeClocks() {
  let mono = 5_000;
  let wall = 1_700_000_000_000;
  return {
    advance(ms: number) {
      mono += ms;
      wall += ms;
    },
    step(ms: number) {
      wall += ms;
    },
    read: () => [wall, mono] as const,
  };
}

const cases: Array<{ name: string; run: (c: ReturnType<typeof fakeClocks>) => void; want: Array<Pick<ClockJump, 'stepMs'> | null> }> = [
  { name: 'clocks moving together: no jump', run: (c) => c.advance(60_000), want: [null] },
  { name: 'a step ahead of 10 s is seen once, at the next check', run: (c) => (c.advance(1_000), c.step(10_000)), want: [{ stepMs: 10_000 }, null] },
  { name: 'a step back of an hour', run: (c) => (c.advance(30_000), c.step(-3_600_000)), want: [{ stepMs: -3_600_000 }, null] },
  { name: 'a step at the threshold is not a jump', run: (c) => c.step(2_000), want: [null, null] },
  { name: 'a step just past the threshold is', run: (c) => c.step(2_001), want: [{ stepMs: 2_001 }, null] },
  { name: 'a slew of 500 ms per check never adds up to a jump', run: (c) => (c.advance(10_000), c.step(500)), want: [null, null] },
];

for (const tc of cases) {
  test(`clock watch: ${tc.name}`, () => {
    const c = fakeClocks();
    const w = createClockWatch(2_000);
    assert.equal(w.check(...c.read()), null, 'the first reading is the reference');
    const got: Array<Pick<ClockJump, 'stepMs'> | null> = [];
    for (let i = 0; i < tc.want.length; i++) {
      if (i === 0) tc.run(c);
      else if (tc.name.startsWith('a slew')) tc.run(c);
      else c.advance(10_000);
      const j = w.check(...c.read());
      if (j) assert.equal(j.at, c.read()[0], 'reported at the wall time of the check');
      got.push(j ? { stepMs: j.stepMs } : null);
    }
    assert.deepEqual(got, tc.want);
  });
}

test('the threshold must be positive', () => assert.throws(() => createClockWatch(0), /thresholdMs/));
