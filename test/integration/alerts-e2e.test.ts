// Alerts end to end on the real stack: a simulated lab switch polled by the real collector, the
// processor evaluating a rule on its windows, the notifier delivering to a real local HTTP receiver
// (down at first) and a real local SMTP server, and the dashboard's alerts API. The lab's clock is
// sped up 20x for a while: its counters then grow 20x faster per real second, so the polled traffic
// rate of the interface crosses the threshold; back at 1x the rate falls and the alert resolves.
// The repeats of the firing alert stop once it is acknowledged through the dashboard.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assemble } from '../../cli/services.js';
import { createLab, type Lab } from '../../collector/lab/lab.js';
import { deviceSchema } from '../../common/config/schema.js';
import { ConfigError } from '../../common/errors.js';
import { createSupervisor } from '../../common/lifecycle.js';
import { silentLogger } from '../../common/log.js';
import { createInfluxStore } from '../../common/store/influx.js';
import { smtpReceiver, webhookReceiver } from './alert-receivers.js';
import { loaded, testConfig, uniqueId, waitFor } from './stack.js';

/** A clock whose speed can be changed; monotonic. */
function variableClock() {
  let lastReal = Date.now();
  let value = lastReal;
  let speed = 1;
  const now = () => {
    const r = Date.now();
    value += (r - lastReal) * speed;
    lastReal = r;
    return Math.floor(value);
  };
  return { now, setSpeed: (s: number) => { now(); speed = s; } };
}

async function startLab(clock: { now(): number }): Promise<Lab> {
  for (let base = 25161; base < 29161; base += 100) {
    const lab = createLab(silentLogger, { devices: 1, ports: 4, basePort: base, daySeconds: 7 * 86400 }, { clock });
    try {
      await lab.start();
      return lab;
    } catch (err) {
      if (!(err instanceof ConfigError && /cannot bind/.test(err.message))) throw err;
    }
  }
  throw new Error('no free UDP port range for the lab');
}

interface Hooked { id: string; event: { transition: string; value: number } }

// The dashboard's API as a script calls it: an admin token (docs/security.md).
const TOKEN = 'e2e-admin-token';
const bearer = { authorization: `Bearer ${TOKEN}` };

test('alerts end to end: threshold crossed on a lab switch, webhook (receiver back from down) and mail, ack stops repeats, resolve', { timeout: 300_000 }, async () => {
  const id = uniqueId('alerte2e');
  const clock = variableClock();
  const lab = await startLab(clock);
  const hook = await webhookReceiver();
  const smtp = await smtpReceiver();
  const dir = mkdtempSync(join(tmpdir(), 'netmon-alerts-'));
  // ge-0/0/1 of the lab carries 5-8.3 Mbit/s in at 1x: 20x is at least 100 Mbit/s.
  writeFileSync(join(dir, 'alerts.yaml'), [
    'rules:',
    '  - id: lab-hot',
    '    metric: in_bps',
    '    scope: { devices: [lab-0000], interfaces: ["ge-0/0/1"] }',
    '    threshold: 40000000',
    '    clearThreshold: 20000000',
    '    forWindows: 2',
    '    severity: critical',
    '    repeatIntervalSeconds: 20',
    '    channels: [hook, mail]',
    '',
  ].join('\n'));
  const config = testConfig(id, {
    processor: { windowSeconds: 10 },
    collector: { pollIntervalSeconds: 1 },
    kafka: { samplesPartitions: 3 },
    dashboard: { groupIdPrefix: `${id}-dash`, auth: { adminToken: TOKEN } },
    alerts: {
      notifierGroupId: `${id}-notifier`,
      maxAttempts: 8,
      initialBackoffMs: 500,
      maxBackoffMs: 4000,
      channels: {
        hook: { type: 'webhook', url: `http://127.0.0.1:${hook.port}/netmon` },
        mail: { type: 'email', host: '127.0.0.1', port: smtp.port, from: 'netmon@example.org', to: ['noc@example.org'] },
      },
    },
  });
  const devices = lab.deviceEntries('2c').map((d) => deviceSchema.parse(d));
  const { components, dashboardUrl } = assemble(silentLogger, { ...loaded(config, devices), configPath: join(dir, 'netmon.yaml') }, ['collector', 'processor', 'dashboard']);
  const supervisor = createSupervisor(silentLogger);
  const running = supervisor.run(components, { handleSignals: false });
  const hooked = () => hook.bodies as Hooked[];
  const transitions = () => hooked().map((b) => b.event.transition);
  try {
    const url = await waitFor('the dashboard', () => dashboardUrl(), 60_000);
    const metric = async (name: string) => (await (await fetch(`${url}metrics`, { headers: bearer })).text()).split('\n').filter((l) => l.startsWith(name)).join('\n');
    const store = createInfluxStore(config.influx);
    await waitFor('a complete window at 1x', async () => {
      const ws = await store.queryWindows({ deviceId: 'lab-0000', ifIndex: 2, fromMs: Date.now() - 120_000, toMs: Date.now() });
      return ws.some((w) => w.coverage === 1 && w.inBps < 20_000_000);
    }, 90_000);

    // Traffic up: the alert goes pending, then fires; the webhook receiver is down, the mail server up.
    clock.setSpeed(20);
    await waitFor('the firing mail', () => smtp.mails.some((m) => /FIRING lab-hot on lab-0000 ge-0\/0\/1/.test(m.raw)), 120_000);
    await waitFor('a failed webhook attempt', async () => /channel="hook",result="error"} [1-9]/.test(await metric('netmon_alerts_delivery_attempts_total')), 60_000);
    await hook.start();
    await waitFor('the firing webhook, once the receiver is back', () => transitions().includes('firing'), 60_000);
    const firing = hooked().find((b) => b.event.transition === 'firing');
    assert.ok(firing && firing.event.value > 40_000_000, `fired above the threshold (${firing?.event.value})`);
    assert.equal(smtp.mails[0].to[0], 'noc@example.org');

    // Still high: repeats arrive every 20 s of event time until the alert is acknowledged.
    await waitFor('a repeat', () => transitions().includes('repeat'), 90_000);
    const active = await (await fetch(`${url}api/alerts/active`, { headers: bearer })).json() as Array<{ ruleId: string; state: string; deviceId: string; ifIndex: number }>;
    assert.equal(active.length, 1);
    assert.equal(active[0].state, 'firing');
    const ack = await fetch(`${url}api/alerts/ack`, { method: 'POST', headers: { ...bearer, 'content-type': 'application/json' }, body: JSON.stringify({ ruleId: 'lab-hot', deviceId: 'lab-0000', ifIndex: active[0].ifIndex, note: 'known: lab speed-up' }) });
    assert.equal(ack.status, 201);
    await waitFor('a repeat suppressed by the acknowledgement', async () => /reason="acknowledged"} [1-9]/.test(await metric('netmon_alerts_notifications_suppressed_total')), 90_000);
    const repeatsAtAck = transitions().filter((t) => t === 'repeat').length;

    // Traffic back down: the alert resolves; no repeat was delivered after the acknowledgement took hold.
    clock.setSpeed(1);
    await waitFor('the resolved webhook', () => transitions().includes('resolved'), 120_000);
    await waitFor('the resolved mail', () => smtp.mails.some((m) => /RESOLVED lab-hot/.test(m.raw)), 60_000);
    assert.equal(transitions().filter((t) => t === 'repeat').length, repeatsAtAck);
    const resolved = hooked().find((b) => b.event.transition === 'resolved');
    assert.ok(resolved && resolved.event.value < 20_000_000);
    assert.equal(new Set(hooked().map((b) => b.id)).size, hooked().length, 'each notification once');
    const after = await (await fetch(`${url}api/alerts/active`, { headers: bearer })).json() as unknown[];
    assert.deepEqual(after, []);
    const history = await (await fetch(`${url}api/alerts/history`, { headers: bearer })).json() as Array<{ transition: string }>;
    assert.deepEqual([...new Set(history.map((h) => h.transition))].sort(), ['firing', 'pending', 'repeat', 'resolved']);
  } finally {
    supervisor.shutdown('test finished');
    await running;
    await hook.stop();
    await smtp.stop();
    await lab.stop();
  }
});
