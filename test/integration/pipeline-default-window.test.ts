// End to end through the real stack with the default 60 s window (5 s polls).
import { test } from 'node:test';
import { runEndToEnd } from './e2e.js';

test('loopback traffic: per-window octets in InfluxDB equal the kernel counter deltas (default 60 s windows)', { timeout: 300_000 }, async (t) => {
  await runEndToEnd({ windowSeconds: 60, pollSeconds: 5, completeWindows: 1, timeoutMs: 240_000, relTolerance: 0.01, report: (l) => t.diagnostic(l) });
});
