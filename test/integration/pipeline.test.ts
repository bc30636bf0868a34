// End to end through the real stack, short windows (10 s, 1 s polls): fast enough to check several
// windows per run.
import { test } from 'node:test';
import { runEndToEnd } from './e2e.js';

test('loopback traffic: per-window octets in InfluxDB equal the kernel counter deltas (10 s windows)', { timeout: 180_000 }, async (t) => {
  await runEndToEnd({ windowSeconds: 10, pollSeconds: 1, completeWindows: 3, timeoutMs: 120_000, relTolerance: 0.01, report: (l) => t.diagnostic(l) });
});
