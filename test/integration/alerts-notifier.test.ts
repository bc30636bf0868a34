// The notifier against the real Kafka and InfluxDB, a real local HTTP receiver and a real local SMTP
// server: a receiver that is down gets the notification once it is back; the mail arrives; duplicates
// (a replayed event, a notifier restart) are delivered once; an acknowledgement (stored on the
// compacted actions topic by another process's view) stops the repeats; a channel that never answers
// is marked failed after the retry limit, in InfluxDB and in the metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createKafka, defaultPartitioner, prepareTopics } from '../../common/bus/kafka.js';
import { systemClock } from '../../common/clock.js';
import { encodeAlertEvent, type AlertEventInput, type AlertTransition } from '../../common/contracts/alert-event.js';
import { createSupervisor } from '../../common/lifecycle.js';
import { silentLogger } from '../../common/log.js';
import { createRegistry } from '../../common/metrics.js';
import { createActionsView } from '../../common/alerts/actions-view.js';
import { createAlertHistoryStore } from '../../common/store/alert-history.js';
import { createNotifier } from '../../processor/alerts/notifier.js';
import { freePort, smtpReceiver, webhookReceiver } from './alert-receivers.js';
import { testConfig, uniqueId, waitFor } from './stack.js';

const W = 60_000;

test('notifier: webhook and mail, a receiver back from down, dedup, ack stops repeats, failures marked', { timeout: 180_000 }, async () => {
  const id = uniqueId('alertnot');
  const hook = await webhookReceiver();
  const smtp = await smtpReceiver();
  const deadPort = await freePort();
  const config = testConfig(id, {
    kafka: { samplesPartitions: 1 },
    alerts: {
      notifierGroupId: `${id}-notifier`,
      maxAttempts: 6,
      initialBackoffMs: 300,
      maxBackoffMs: 3000,
      channels: {
        hook: { type: 'webhook', url: `http://127.0.0.1:${hook.port}/hook` },
        mail: { type: 'email', host: '127.0.0.1', port: smtp.port, from: 'netmon@example.org', to: ['ops@example.org'] },
        dead: { type: 'webhook', url: `http://127.0.0.1:${deadPort}/nobody`, timeoutMs: 500 },
      },
    },
  });
  const history = createAlertHistoryStore(config.influx);
  const startNotifier = () => {
    const registry = createRegistry({ defaultMetrics: false });
    const actions = createActionsView(silentLogger, config, { groupPrefix: `${id}-n` });
    const notifier = createNotifier(silentLogger, config, { registry, clock: systemClock, history, actions });
    const supervisor = createSupervisor(silentLogger);
    return { registry, actions, supervisor, running: supervisor.run([actions, notifier], { handleSignals: false }), notifier };
  };
  const kafka = createKafka(silentLogger, config.kafka, 'notifier-test');
  await prepareTopics(kafka, config.kafka);
  const producer = kafka.producer({ createPartitioner: defaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  // Another process's view (the dashboard's) that writes the acknowledgement.
  const ui = createActionsView(silentLogger, config, { groupPrefix: `${id}-ui` });
  await ui.start();

  const t0 = Math.floor(Date.now() / W) * W - 30 * W;
  const ev = (transition: AlertTransition, k: number, channels: string[], over: Partial<AlertEventInput> = {}): AlertEventInput => ({
    id: `hot:sw1:3:${transition}:${t0 + k * W}`, ruleId: 'hot', deviceId: 'sw1', ifIndex: 3, ifName: 'ge-0/0/3',
    state: transition === 'resolved' ? 'resolved' : 'firing', transition, severity: 'critical', metric: 'in_bps', value: 2e6, threshold: 1e6, clearThreshold: 5e5,
    comparator: '>', windowStart: t0 + k * W, windowRevision: 0, coverage: 1, ts: t0 + (k + 1) * W, firingSince: transition === 'resolved' ? null : t0,
    flapping: false, channels, message: `${transition.toUpperCase()} hot on sw1 ge-0/0/3`, ...over,
  });
  const send = (...events: AlertEventInput[]) => producer.send({ topic: config.kafka.topics.alerts, messages: events.map((e) => ({ key: 'hot|sw1|3', value: encodeAlertEvent(e) })) });
  const ids = () => hook.bodies.map((b) => (b as { id: string }).id);

  let n = startNotifier();
  try {
    // 1. The webhook receiver is down: the notifier retries; once it is up the notification arrives.
    await send(ev('firing', 0, ['hook', 'mail']));
    await waitFor('a failed webhook attempt', async () => /channel="hook",result="error"} [1-9]/.test(await n.registry.getSingleMetricAsString('netmon_alerts_delivery_attempts_total')), 60_000);
    await hook.start();
    await waitFor('the firing webhook', () => ids().includes(`hot:sw1:3:firing:${t0}`), 60_000);
    await waitFor('the firing mail', () => smtp.mails.length >= 1, 30_000);
    assert.equal(smtp.mails[0].to[0], 'ops@example.org');
    assert.match(smtp.mails[0].raw, /Subject: \[netmon critical\] FIRING hot on sw1 ge-0\/0\/3/);
    assert.match(smtp.mails[0].raw, new RegExp(`X-Netmon-Alert-Id: hot:sw1:3:firing:${t0}`, "i"));

    // 2. A replayed firing event is not delivered again; a repeat before the ack is.
    await send(ev('firing', 0, ['hook', 'mail']), ev('repeat', 60, ['hook']));
    await waitFor('the first repeat', () => ids().includes(`hot:sw1:3:repeat:${t0 + 60 * W}`), 30_000);

    // 3. Acknowledged (through the other view, over Kafka): the next repeat is not sent, the resolve is.
    await ui.publish({ kind: 'ack', ruleId: 'hot', deviceId: 'sw1', ifIndex: 3, firingSince: t0, note: 'replacing the optic', by: 'test', at: Date.now() });
    await waitFor('the notifier to see the ack', () => n.actions.actions.ackOf({ ruleId: 'hot', deviceId: 'sw1', ifIndex: 3 }) !== null, 30_000);
    await send(ev('repeat', 120, ['hook']), ev('resolved', 130, ['hook']));
    await waitFor('the resolve', () => ids().includes(`hot:sw1:3:resolved:${t0 + 130 * W}`), 30_000);
    assert.deepEqual(ids(), [`hot:sw1:3:firing:${t0}`, `hot:sw1:3:repeat:${t0 + 60 * W}`, `hot:sw1:3:resolved:${t0 + 130 * W}`], 'the acknowledged repeat was not sent');
    assert.equal(smtp.mails.length, 1);
    assert.match(await n.registry.getSingleMetricAsString('netmon_alerts_notifications_suppressed_total'), /reason="acknowledged"} 1/);

    // 4. A channel nobody answers: failed after the retry limit, recorded and counted.
    await send(ev('firing', 200, ['dead'], { id: `other:sw1:3:firing:${t0 + 200 * W}`, ruleId: 'other' }));
    const failed = await waitFor('the failed delivery record', async () => {
      const rows = await history.deliveries({ fromMs: Date.now() - 3_600_000, toMs: Date.now() + 60_000, limit: 100, status: 'failed' });
      return rows.length > 0 ? rows : null;
    }, 90_000);
    assert.equal(failed.length, 1);
    assert.equal(failed[0].channel, 'dead');
    assert.equal(failed[0].attempts, 6);
    assert.match(failed[0].error ?? '', /fetch failed|ECONNREFUSED|aborted|timeout/i);
    assert.match(await n.registry.getSingleMetricAsString('netmon_alerts_notifications_total'), /channel="dead",status="failed"} 1/);

    // 5. A restarted notifier does not deliver again what was delivered (outcomes in InfluxDB).
    n.supervisor.shutdown('restart');
    assert.equal(await n.running, 0);
    n = startNotifier();
    await send(ev('firing', 0, ['hook', 'mail']), ev('firing', 300, ['hook'], { id: `marker:sw1:3:firing:${t0 + 300 * W}`, ruleId: 'marker' }));
    await waitFor('the marker', () => ids().includes(`marker:sw1:3:firing:${t0 + 300 * W}`), 30_000);
    assert.equal(ids().filter((i) => i === `hot:sw1:3:firing:${t0}`).length, 1);
    assert.equal(smtp.mails.length, 1);
    const delivered = await history.deliveries({ fromMs: Date.now() - 3_600_000, toMs: Date.now() + 60_000, limit: 100, status: 'delivered' });
    assert.equal(delivered.length, 5, 'firing (hook, mail), repeat, resolve, marker');
  } finally {
    n.supervisor.shutdown('test finished');
    await n.running;
    await ui.stop();
    await producer.disconnect();
    await hook.stop();
    await smtp.stop();
  }
});
