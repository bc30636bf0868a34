// Real alert events for tests of the alerts pages and the history store: made by the pure evaluator
// from the windows of one interface (core-1 xe-0/1/0) with the given inbound rates, one whole window
// apart, the first ten windows ago (so the alert is recent but its windows are closed).
import type { AlertRule } from '../../common/config/alerts-schema.js';
import type { WindowResultInput } from '../../common/contracts/window-result.js';
import { createAlertEvaluator, type EvaluatedAlert } from '../../processor/alerts/evaluator.js';

export function alertEventsFrom(rules: readonly AlertRule[], windowMs: number, inBps: readonly number[]): { t0: number; events: EvaluatedAlert[] } {
  const t0 = Math.floor(Date.now() / windowMs) * windowMs - 10 * windowMs;
  const windows = inBps.map((bps, k): WindowResultInput => ({
    deviceId: 'core-1', ifIndex: 7, ifName: 'xe-0/1/0', windowStart: t0 + k * windowMs, windowEnd: t0 + (k + 1) * windowMs,
    inOctets: 0n, outOctets: 0n, inPackets: 0n, outPackets: 0n, inErrors: 0n, outErrors: 0n, inDiscards: 0n, outDiscards: 0n,
    inBps: bps, outBps: 0, inPps: 0, outPps: 0, inAvgPacketSize: null, outAvgPacketSize: null, speed: null, inUtilization: null, outUtilization: null,
    peakInBps: 0, peakOutBps: 0, coverage: 1, sampleCount: 6, revision: 0,
  }));
  return { t0, events: createAlertEvaluator({ rules, windowMs, tagsOf: () => [] }).evaluate(windows).events };
}
