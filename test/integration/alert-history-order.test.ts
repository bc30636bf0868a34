// Alert history and the window store share one InfluxDB database. Whichever starts first, events
// must land in the retention policy that reads see: before the fix, events written by a history
// store that started before the window store sat in the old default policy ("autogen") and
// vanished from every read once the window store made netmon_raw the default.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alertRuleSchema } from '../../common/config/alerts-schema.js';
import { createAlertHistoryStore } from '../../common/store/alert-history.js';
import { createInfluxClient, createInfluxStore, RP_RAW } from '../../common/store/influx.js';
import { alertEventsFrom } from './alert-events.js';
import { testConfig, uniqueId } from './stack.js';

const W = 60_000;

test('alert events written before the window store set up the database are still read after it did', { timeout: 60_000 }, async () => {
  const config = testConfig(uniqueId('histord'));
  const rules = [alertRuleSchema.parse({ id: 'uplink-hot', metric: 'in_bps', threshold: 1e6, clearThreshold: 5e5 })];
  const { t0, events } = alertEventsFrom(rules, W, [1e5, 2e6, 3e6]);
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
