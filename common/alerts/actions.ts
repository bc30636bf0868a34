// Acknowledgements and silences: what people decide about alerts, stored durably on the compacted
// topic netmon.alert-actions (key `ack:<rule>|<device>|<ifIndex or ->` or `silence:<id>`, a null value
// deletes) and applied by the notifier. Pure: the decision takes the time as an argument.
// - An acknowledgement holds for one firing episode (its firingSince): it stops the repeats of that
//   episode; the next episode (after a resolve) notifies again.
// - A silence stops every notification of the alerts it matches until `until` (wall clock; a silence
//   is a person's decision about real time, unlike the evaluation, which is in event time).
// - pending and cancelled transitions are never notified (they show in the dashboard only).
import { z } from 'zod';
import { DecodeError } from '../errors.js';
import { decodeWith, epochMs } from '../contracts/codec.js';
import type { AlertEventInput } from '../contracts/alert-event.js';

export const ACK_KEY_PREFIX = 'ack:';
export const SILENCE_KEY_PREFIX = 'silence:';

export const ackSchema = z.strictObject({
  kind: z.literal('ack'),
  ruleId: z.string().min(1).max(128),
  deviceId: z.string().min(1).max(128),
  ifIndex: z.number().int().min(1).nullable(),
  /** The episode acknowledged (the firing transition's window start). */
  firingSince: epochMs,
  note: z.string().max(2048),
  by: z.string().max(128),
  at: epochMs,
});

export const silenceSchema = z.strictObject({
  kind: z.literal('silence'),
  id: z.string().regex(/^[A-Za-z0-9._-]{1,128}$/),
  /** Matchers; an absent one matches everything. */
  ruleId: z.string().min(1).max(128).optional(),
  deviceId: z.string().min(1).max(128).optional(),
  ifIndex: z.number().int().min(1).nullable().optional(),
  until: epochMs,
  note: z.string().max(2048),
  by: z.string().max(128),
  at: epochMs,
});

export type Ack = z.output<typeof ackSchema>;
export type Silence = z.output<typeof silenceSchema>;
export type AlertAction = Ack | Silence;

export function alertScopeKey(a: { ruleId: string; deviceId: string; ifIndex: number | null }): string {
  return `${a.ruleId}|${a.deviceId}|${a.ifIndex ?? '-'}`;
}

export function actionKey(a: AlertAction): string {
  return a.kind === 'ack' ? `${ACK_KEY_PREFIX}${alertScopeKey(a)}` : `${SILENCE_KEY_PREFIX}${a.id}`;
}

const actionSchema = z.discriminatedUnion('kind', [ackSchema, silenceSchema]);

export function decodeAlertAction(input: string | Uint8Array): AlertAction {
  const a = decodeWith(actionSchema, input, 'AlertAction');
  return a;
}

/** The latest actions by key (the compacted topic's view). */
export class AlertActions {
  private readonly byKey = new Map<string, AlertAction>();

  apply(key: string, value: string | Uint8Array | null): void {
    if (value === null || value.length === 0) {
      this.byKey.delete(key);
      return;
    }
    const a = decodeAlertAction(value);
    if (actionKey(a) !== key) throw new DecodeError('(key)', `key ${JSON.stringify(key)} does not match the action (${actionKey(a)})`);
    this.byKey.set(key, a);
  }

  ackOf(scope: { ruleId: string; deviceId: string; ifIndex: number | null }): Ack | null {
    const a = this.byKey.get(`${ACK_KEY_PREFIX}${alertScopeKey(scope)}`);
    return a?.kind === 'ack' ? a : null;
  }

  silences(): Silence[] {
    return [...this.byKey.values()].filter((a): a is Silence => a.kind === 'silence');
  }
}

export function silenceMatches(s: Silence, e: Pick<AlertEventInput, 'ruleId' | 'deviceId' | 'ifIndex'>, nowMs: number): boolean {
  if (nowMs >= s.until) return false;
  if (s.ruleId !== undefined && s.ruleId !== e.ruleId) return false;
  if (s.deviceId !== undefined && s.deviceId !== e.deviceId) return false;
  if (s.ifIndex !== undefined && s.ifIndex !== e.ifIndex) return false;
  return true;
}

export type NotifyDecision = { notify: true } | { notify: false; reason: 'not-notified-transition' | 'acknowledged' | 'silenced' };

export function notificationDecision(e: AlertEventInput, actions: AlertActions, nowMs: number): NotifyDecision {
  const t = e.transition ?? e.state;
  if (t === 'pending' || t === 'cancelled' || t === 'ok') return { notify: false, reason: 'not-notified-transition' };
  if (actions.silences().some((s) => silenceMatches(s, e, nowMs))) return { notify: false, reason: 'silenced' };
  if (t === 'repeat') {
    const ack = actions.ackOf(e);
    if (ack && e.firingSince !== undefined && ack.firingSince === e.firingSince) return { notify: false, reason: 'acknowledged' };
  }
  return { notify: true };
}
