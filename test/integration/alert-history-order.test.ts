// Alert history and the window store share one InfluxDB database. Whichever starts first, events
// must land in the retention policy that reads see: before the fix, events written by a history
// store that started before the window store sat in the old default policy ("autogen") and
// vanished from every read once the window store made netmon_raw the default.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alertRuleSchema } from '../../common/config/alerts-schema.js';
import type { WindowResultInput } from '../../common/contracts/window-result.js';
import { createAlertHistoryStore } from '../../common/store/alert-history.js';
import { createInfluxClient, createInfluxStore, RP_RAW } from '../../common/store/influx.js';
import { createAlertEvaluator } from '../../processor/alerts/evaluator.js';
import { testConfig, uniqueId } from './stack.js';

const W = 60_000;

test('alert events written before the window store set up the database are still read after it did', { timeout: 60_000 }, async () => {
  const config = testConfig(uniqueId('histord'));
  const t0 = Math.floor(Date.now() / W) * W - 10 * W;
  const win = (k: number, inBps: number): WindowResultInput => ({
    deviceId: 'core-1', ifIndex: 7, ifName: 'xe-0/1/0', windowStart: t0 + k * W, windowEnd: t0 + (k + 1) * W,
    inOctets: 0n, outOctets: 0n, inPackets: 0n, outPackets: 0n, inErrors: 0n, outErrors: 0n, inDiscards: 0n, outDiscards: 0n,
    inBps, outBps: 0, inPps: 0, outPps: 0, inAvgPacketSize: null, outAvgPacketSize: null, speed: null, inUtilization: null, outUtilization: null,
    peakInBps: 0, peakOutBps: 0, coverage: 1, sampleCount: 6, revision: 0,
  });
  const rules = [alertRuleSchema.parse({ id: 'uplink-hot', metric: 'in_bps', threshold: 1e6, clearThreshold: 5e5 })];
  const events = createAlertEvaluator({ rules, windowMs: W, tagsOf: () => [] }).evaluate([win(0, 1e5), win(1, 2e6), win(2, 3e6)]).events;
  assert.equal(events.length, 1);

  // The history store first (a dashboard or notifier that starts before any processor).
  const history = createAlertHistoryStore(config.influx);
  await history.ensureDatabase();
  await history.writeEvents(events);
  const influx = createInfluxClient(config.influx);
  const defaultPolicy = (await influx.showRetentionPolicies(config.influx.database)).find((r) => r.default)?.name;
  assert.equal(defaultPolicy, RP_RAW, 'the history store set up netmon_raw as the default policy itself');

  // Then the window store.
  await createInfluxStore(config.influx, { windowSeconds: 60 }).ensureDatabase();
  const rows = await history.history({ fromMs: t0, toMs: t0 + 10 * W, limit: 10 });
  assert.equal(rows.length, 1, 'the event written first is still read');
  assert.equal(rows[0].ruleId, 'uplink-hot');
  await influx.dropDatabase(config.influx.database);
});
