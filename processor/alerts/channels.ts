// Delivery channels of the notifier: a webhook (HTTP POST of JSON, or a Slack-compatible {text} body)
// and email over SMTP (nodemailer). One attempt each; the notifier retries. Bodies are built by pure
// functions (tested beside this file); the event id travels in every notification so a receiver can
// drop the rare duplicate (a notifier killed between delivering and recording). A failure names the
// channel's host, never its URL (the path and query often hold the receiver's token); the notifier
// redacts every channel secret from what it logs and records on top of that.
import nodemailer from 'nodemailer';
import type { ChannelConfig } from '../../common/config/schema.js';
import type { AlertEventInput } from '../../common/contracts/alert-event.js';
import { errorMessage } from '../../common/errors.js';

type Webhook = Extract<ChannelConfig, { type: 'webhook' }>;
type Email = Extract<ChannelConfig, { type: 'email' }>;

export interface Notification {
  channel: string;
  event: AlertEventInput;
}

export function webhookBody(n: Notification, format: Webhook['format']): unknown {
  if (format === 'slack') return { text: `[${n.event.severity}] ${n.event.message}`, netmon_alert_id: n.event.id };
  return { kind: 'netmon-alert', channel: n.channel, id: n.event.id, event: n.event };
}

export function emailMessage(n: Notification, ch: Email): { from: string; to: string[]; subject: string; text: string; headers: Record<string, string> } {
  const e = n.event;
  const where = e.ifIndex === null ? e.deviceId : `${e.deviceId} ${e.ifName ?? `ifIndex ${e.ifIndex}`}`;
  const lines = [
    e.message,
    '',
    `rule:        ${e.ruleId}`,
    `transition:  ${e.transition ?? e.state}`,
    `severity:    ${e.severity}`,
    `where:       ${where}`,
    `metric:      ${e.metric} = ${e.value ?? 'n/a'} (threshold ${e.comparator ?? '>'} ${e.threshold}, clear at ${e.clearThreshold ?? e.threshold})`,
    `window:      ${new Date(e.windowStart).toISOString()} (revision ${e.windowRevision ?? 0})`,
    `alert id:    ${e.id ?? ''}`,
  ];
  return {
    from: ch.from,
    to: [...ch.to],
    subject: `[netmon ${e.severity}] ${(e.transition ?? e.state).toUpperCase()} ${e.ruleId} on ${where}`,
    text: lines.join('\n'),
    headers: { 'X-Netmon-Alert-Id': e.id ?? '' },
  };
}

export async function deliver(n: Notification, ch: ChannelConfig): Promise<void> {
  if (ch.type === 'webhook') {
    let res: Response;
    try {
      res = await fetch(ch.url.reveal(), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(webhookBody(n, ch.format)),
        signal: AbortSignal.timeout(ch.timeoutMs),
      });
    } catch (err) {
      // fetch says "fetch failed" and keeps the reason (ECONNREFUSED, a timeout) in its cause.
      const cause = (err as { cause?: unknown }).cause;
      throw new Error(`webhook to ${ch.url.host} failed: ${errorMessage(err)}${cause ? ` (${errorMessage(cause)})` : ''}`, { cause: err });
    }
    // Drain the body so the connection is released either way.
    const text = await res.text().catch(() => '');
    if (!res.ok) throw new Error(`webhook to ${ch.url.host} answered ${res.status} ${res.statusText}${text ? `: ${text.slice(0, 200)}` : ''}`);
    return;
  }
  const transport = nodemailer.createTransport({
    host: ch.host,
    port: ch.port,
    secure: ch.secure,
    auth: ch.username ? { user: ch.username, pass: ch.password?.reveal() ?? '' } : undefined,
    connectionTimeout: ch.timeoutMs,
    greetingTimeout: ch.timeoutMs,
    socketTimeout: ch.timeoutMs,
  });
  try {
    await transport.sendMail(emailMessage(n, ch));
  } finally {
    transport.close();
  }
}
