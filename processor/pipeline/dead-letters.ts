// The dead-letter topic: what the processor rejects (a record that fails decoding or comes too late,
// a window a sink refused for good) goes to netmon.deadletter with the reason, and the pipeline goes
// on. Rules: a dead letter always fits the broker (key, value and reason are cut to fixed UTF-8
// budgets, whole characters only, and the letter says what was cut and how long it was), so sending
// one can never fail for its size: the whole letter is cut to the smaller of 256 KiB and what one
// send to the dead-letter topic may carry (its max.message.bytes, read by the processor at start);
// sends are retried while the broker is away (the health shows it down) and batched under that
// bound; a letter the broker still refuses for good is sent again without the record's value.
import { batches, recordBytes, RECORD_OVERHEAD_BYTES } from '../../common/batching.js';
import { DEFAULT_SEND_BOUND } from '../../common/bus/message-limit.js';
import type { Producer } from '../../common/bus/kafka.js';
import type { Health } from '../../common/health.js';
import type { Counter } from '../../common/metrics.js';
import { isPermanent, retryWhileRunning, type RateLimitedLog } from '../../common/retry.js';
import type { EngineEvent } from '../core/index.js';

/** Interfaces a late record's reason names; the rest are counted. */
const LATE_LISTED = 16;

/** The reason of a record some of whose interfaces came after their windows closed: one dead letter per record, naming them. */
export function lateReason(late: ReadonlyArray<Pick<EngineEvent, 'ifIndex' | 'reason' | 'ts'>>): string {
  const shown = late.slice(0, LATE_LISTED).map((e) => e.ifIndex).join(', ');
  const more = late.length > LATE_LISTED ? ` and ${late.length - LATE_LISTED} more` : '';
  const first = late[0];
  return `late: ${first.reason ?? 'window already closed'} (interface${late.length > 1 ? 's' : ''} ${shown}${more}, event time ${new Date(first.ts).toISOString()})`;
}

export interface DeadLetter {
  reason: string;
  field: string | null;
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
}

/** A dead letter as it goes on the wire: cut to fit, saying what was cut and its original UTF-8 size. */
export interface DeadLetterRecord extends DeadLetter {
  keyTruncated?: true;
  keyBytes?: number;
  valueTruncated?: true;
  valueBytes?: number;
  reasonTruncated?: true;
  reasonBytes?: number;
}

/** Budgets (UTF-8 bytes): a Kafka key, the reason, and the whole record (key + JSON value). */
export const DEAD_LETTER_KEY_BYTES = 1024;
export const DEAD_LETTER_REASON_BYTES = 4096;
/** Far under Kafka's default 1 MB message.max.bytes; a topic with a lower limit lowers it (publishDeadLetters). */
export const DEAD_LETTER_MAX_BYTES = 256 * 1024;

/** The longest prefix of `s` of at most `maxBytes` UTF-8 bytes that ends on a whole character. */
export function cutUtf8(s: string, maxBytes: number): string {
  if (s.length * 3 <= maxBytes || Buffer.byteLength(s) <= maxBytes) return s;
  const buf = Buffer.from(s, 'utf8');
  let end = Math.max(0, maxBytes);
  // Back up over continuation bytes (10xxxxxx) to the start of the character that does not fit.
  while (end > 0 && (buf[end] & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString('utf8');
}

function cut(s: string | null, maxBytes: number): { text: string | null; truncated: boolean; bytes: number } {
  if (s === null) return { text: null, truncated: false, bytes: 0 };
  const bytes = Buffer.byteLength(s);
  if (bytes <= maxBytes) return { text: s, truncated: false, bytes };
  return { text: cutUtf8(s, maxBytes), truncated: true, bytes };
}

/**
 * The letter as a Kafka message that fits `maxBytes` (key + value): key and reason cut to their
 * budgets, the value to what is left once the JSON is written (JSON escaping can grow a control
 * character six-fold, so the value is cut again, by the overshoot, until it fits: a few rounds).
 */
export function deadLetterMessage(d: DeadLetter, maxBytes = DEAD_LETTER_MAX_BYTES): { key: string | null; value: string } {
  const key = cut(d.key, DEAD_LETTER_KEY_BYTES);
  const reason = cut(d.reason, DEAD_LETTER_REASON_BYTES);
  const field = d.field === null ? null : cutUtf8(d.field, 256);
  const originalValueBytes = d.value === null ? 0 : Buffer.byteLength(d.value);
  const encode = (value: string | null): string => {
    const rec: DeadLetterRecord = { reason: reason.text ?? '', field, topic: d.topic, partition: d.partition, offset: d.offset, key: key.text, value };
    if (key.truncated) Object.assign(rec, { keyTruncated: true, keyBytes: key.bytes });
    if (value !== d.value) Object.assign(rec, { valueTruncated: true, valueBytes: originalValueBytes });
    if (reason.truncated) Object.assign(rec, { reasonTruncated: true, reasonBytes: reason.bytes });
    return JSON.stringify(rec);
  };
  const keyBytes = key.text === null ? 0 : Buffer.byteLength(key.text);
  if (d.value === null) return { key: key.text, value: encode(null) };
  // What the value may take once JSON-escaped (the frame around it measured with an empty value).
  const allowance = maxBytes - keyBytes - Buffer.byteLength(encode(''));
  let take = Math.min(originalValueBytes, allowance);
  let value = '';
  for (let round = 0; round < 10 && take > 0; round++) {
    value = cutUtf8(d.value, take);
    const escaped = Buffer.byteLength(JSON.stringify(value)) - 2;
    if (escaped <= allowance) break;
    // Shrink in proportion to the escaping's growth, a little more so it converges.
    take = Math.floor((take * allowance) / escaped) - 16;
    value = '';
  }
  let json = encode(value);
  if (keyBytes + Buffer.byteLength(json) > maxBytes) json = encode('');
  return { key: key.text, value: json };
}

export interface DeadLetterDeps {
  topic: string;
  counter: Counter<'reason'>;
  log: RateLimitedLog;
  health?: Health;
  /** What one send to the topic may carry (common/bus/message-limit.ts sendBound); default: Kafka's default limit's. */
  maxBytes?: number;
}

/**
 * Sends the letters to the dead-letter topic, counted by reason (the reason's first word). True once
 * sent; false when the component stopped while the broker was away (the caller then does not commit).
 */
export async function publishDeadLetters(producer: Producer, dead: readonly DeadLetter[], isRunning: () => boolean, deps: DeadLetterDeps): Promise<boolean> {
  if (dead.length === 0) return true;
  for (const d of dead) deps.counter.inc({ reason: d.reason.split(':')[0] ?? 'invalid' });
  const bound = deps.maxBytes ?? DEFAULT_SEND_BOUND;
  const messages = dead.map((d) => deadLetterMessage(d, Math.min(DEAD_LETTER_MAX_BYTES, bound - RECORD_OVERHEAD_BYTES)));
  const opts = { isRunning, log: deps.log, rethrowPermanent: true, health: deps.health ? { tracker: deps.health, dependency: 'kafka' } : undefined };
  const send = (chunk: Array<{ key: string | null; value: string }>) => retryWhileRunning('dead-letter publish', () => producer.send({ topic: deps.topic, acks: -1, messages: chunk }), opts);
  for (const chunk of batches(messages, recordBytes, { maxBytes: bound })) {
    try {
      if (!(await send(chunk))) return false;
    } catch (err) {
      if (!isPermanent(err)) throw err;
      // A broker with a lower limit than ours: one at a time, and a refused one without its value.
      for (const m of chunk) {
        try {
          if (!(await send([m]))) return false;
        } catch (one) {
          if (!isPermanent(one)) throw one;
          const d = JSON.parse(m.value) as DeadLetterRecord;
          deps.log('dead-letter-cut', 'warn', { err: (one as Error).message }, 'dead letter refused by the broker; sent without the record value');
          if (!(await send([{ key: cutUtf8(m.key ?? '', 256) || null, value: JSON.stringify({ ...d, key: null, value: null, valueTruncated: true, reason: cutUtf8(d.reason, 512) }) }]))) return false;
        }
      }
    }
  }
  return true;
}
