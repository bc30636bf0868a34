// The secret values of the alert delivery channels (webhook URLs' paths, queries and user info; SMTP
// passwords), for redactSecrets: whatever text leaves the notifier or the dashboard about a
// delivery (a log line, a recorded error, an API answer) goes through it, so a receiver that echoes
// its URL, or a library that puts a credential in its message, does not leak it.
import type { ChannelConfig } from '../config/schema.js';
import { redactSecrets } from '../config/secret.js';

export function channelSecrets(channels: Readonly<Record<string, ChannelConfig>>): string[] {
  return Object.values(channels).flatMap((ch) => (ch.type === 'webhook' ? ch.url.secretParts() : ch.password ? [ch.password.reveal()] : []));
}

/** A redactor for text about deliveries on these channels. */
export function deliveryRedactor(channels: Readonly<Record<string, ChannelConfig>>): (text: string) => string {
  const secrets = channelSecrets(channels);
  return (text) => redactSecrets(text, secrets);
}
