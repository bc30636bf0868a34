// Dead letters always fit: key, value and reason cut on whole characters, saying what was cut.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cutUtf8, deadLetterMessage, lateReason, DEAD_LETTER_KEY_BYTES, DEAD_LETTER_MAX_BYTES, DEAD_LETTER_REASON_BYTES, publishDeadLetters, type DeadLetter, type DeadLetterRecord } from './dead-letters.js';
import { Counter, createRegistry } from '../../common/metrics.js';
import type { Producer } from '../../common/bus/kafka.js';

const base: DeadLetter = { reason: 'invalid: kind: expected one of counter-sample, traffic-delta', field: 'kind', topic: 't.samples', partition: 3, offset: '42', key: 'sw1', value: '{"kind":"x"}' };
const size = (m: { key: string | null; value: string }) => (m.key ? Buffer.byteLength(m.key) : 0) + Buffer.byteLength(m.value);

test('cutUtf8 keeps whole characters within the byte budget', () => {
  assert.equal(cutUtf8('abc', 10), 'abc');
  assert.equal(cutUtf8('aé€😀', 1), 'a');
  assert.equal(cutUtf8('aé€😀', 2), 'a');
  assert.equal(cutUtf8('aé€😀', 3), 'aé');
  assert.equal(cutUtf8('aé€😀', 6), 'aé€');
  assert.equal(cutUtf8('aé€😀', 9), 'aé€');
  assert.equal(cutUtf8('aé€😀', 10), 'aé€😀');
  assert.equal(cutUtf8('😀', 0), '');
});

test('a small dead letter goes out whole, without cut markers', () => {
  const m = deadLetterMessage(base);
  assert.equal(m.key, 'sw1');
  assert.deepEqual(JSON.parse(m.value), base);
});

const cases: Array<{ name: string; letter: DeadLetter; cut: Array<'key' | 'value' | 'reason'> }> = [
  { name: '200 KB key', letter: { ...base, key: 'k'.repeat(200_000) }, cut: ['key'] },
  { name: '1 MB reason (a kind echoed back)', letter: { ...base, reason: `invalid: kind: got "${'x'.repeat(1_000_000)}"` }, cut: ['reason'] },
  { name: '1 MB value of control characters (JSON escapes them six-fold)', letter: { ...base, value: '\u0001'.repeat(1_000_000) }, cut: ['value'] },
  { name: 'everything huge and multi-byte', letter: { ...base, key: '東'.repeat(100_000), value: '😀'.repeat(300_000), reason: 'é'.repeat(600_000) }, cut: ['key', 'value', 'reason'] },
];

for (const c of cases) {
  test(`a dead letter always fits and says what was cut: ${c.name}`, () => {
    const m = deadLetterMessage(c.letter);
    assert.ok(size(m) <= DEAD_LETTER_MAX_BYTES, `${size(m)} bytes`);
    const rec = JSON.parse(m.value) as DeadLetterRecord;
    for (const part of ['key', 'value', 'reason'] as const) {
      const original = c.letter[part] ?? '';
      if (c.cut.includes(part)) {
        assert.equal(rec[`${part}Truncated`], true, part);
        assert.equal(rec[`${part}Bytes`], Buffer.byteLength(original), part);
        assert.ok(original.startsWith(rec[part] ?? ''), `${part} is a prefix`);
        assert.ok((rec[part] ?? '').length > 0, `${part} keeps a beginning`);
      } else {
        assert.equal(rec[`${part}Truncated`], undefined, part);
        assert.equal(rec[part], c.letter[part], part);
      }
    }
    if (c.cut.includes('key')) assert.ok(Buffer.byteLength(m.key ?? '') <= DEAD_LETTER_KEY_BYTES);
    if (c.cut.includes('reason')) assert.ok(Buffer.byteLength(rec.reason) <= DEAD_LETTER_REASON_BYTES);
  });
}

test('publishDeadLetters: counted by reason, batched; a letter the broker still refuses goes again without its value', async () => {
  const sent: Array<Array<{ key: string | null; value: string }>> = [];
  const producer = {
    send: ({ messages }: { messages: Array<{ key: string | null; value: string }> }) => {
      if (messages.some((m) => m.value.includes('"offset":"2"') && m.value.includes('"value":"{'))) {
        return Promise.reject(Object.assign(new Error('too large'), { cause: Object.assign(new Error('broker'), { type: 'MESSAGE_TOO_LARGE' }) }));
      }
      sent.push(messages);
      return Promise.resolve([]);
    },
  } as unknown as Producer;
  const registry = createRegistry({ defaultMetrics: false });
  const counter = new Counter({ name: 'dl_total', help: 'x', labelNames: ['reason'], registers: [registry] });
  const letters = [1, 2, 3].map((i) => ({ ...base, offset: String(i), reason: i === 3 ? 'late: window closed' : base.reason }));
  assert.equal(await publishDeadLetters(producer, letters, () => true, { topic: 'dl', counter, log: () => undefined }), true);
  const offsets = sent.flat().map((m) => (JSON.parse(m.value) as DeadLetterRecord).offset);
  assert.deepEqual(offsets, ['1', '2', '3']);
  const second = sent.flat().map((m) => JSON.parse(m.value) as DeadLetterRecord)[1];
  assert.equal(second.value, null);
  assert.equal(second.valueTruncated, true);
  const text = await registry.metrics();
  assert.match(text, /dl_total\{reason="invalid"\} 2/);
  assert.match(text, /dl_total\{reason="late"\} 1/);
});

test('lateReason: one reason per record, naming its late interfaces (16 at most, the rest counted) and the event time', () => {
  const ts = Date.UTC(2026, 0, 2, 3, 4, 5);
  assert.equal(lateReason([{ ifIndex: 7, reason: 'past-allowed-lateness', ts }]), 'late: past-allowed-lateness (interface 7, event time 2026-01-02T03:04:05.000Z)');
  const many = Array.from({ length: 20 }, (_, i) => ({ ifIndex: i + 1, ts }));
  const r = lateReason(many);
  assert.match(r, /^late: window already closed \(interfaces 1, 2, 3, .*, 16 and 4 more, event time 2026-01-02T03:04:05\.000Z\)$/);
  assert.doesNotMatch(r, /\b17\b/);
});
