// Tests of the paging order and cursors of /api/recent and the /live hello: newest first, device,
// ifIndex (the total first); pages neither repeat nor skip, even when newer windows arrive between
// them; a cursor not made here is a 400 naming `before`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../common/errors.js';
import { sampleWindow } from './dashboard.fixture.js';
import { decodeCursor, pageWindows } from './recent-page.js';

const w = (deviceId: string, ifIndex: number | null, minute: number) => sampleWindow({ deviceId, ifIndex, windowStart: minute * 60_000, windowEnd: (minute + 1) * 60_000 });
const key = (x: { deviceId: string; ifIndex: number | null; windowStart: number }) => `${x.windowStart / 60_000}:${x.deviceId}/${x.ifIndex ?? '-'}`;

void test('pages walk every window once, newest first', () => {
  const all = [w('b', 1, 0), w('a', 2, 1), w('a', null, 1), w('a', 1, 1), w('b', 1, 1), w('a', 1, 0)];
  const seen: string[] = [];
  let before: string | undefined;
  for (let i = 0; i < 10; i++) {
    const p = pageWindows(all, { limit: 4, before });
    seen.push(...p.windows.map(key));
    if (!p.next) break;
    before = p.next;
  }
  assert.deepEqual(seen, ['1:a/-', '1:a/1', '1:a/2', '1:b/1', '0:a/1', '0:b/1']);
});

void test('a window arriving between pages does not shift the next page', () => {
  const first = pageWindows([w('a', 1, 1), w('a', 1, 0)], { limit: 1 });
  const later = pageWindows([w('a', 1, 2), w('a', 1, 1), w('a', 1, 0)], { limit: 1, before: first.next! });
  assert.deepEqual(later.windows.map(key), ['0:a/1']);
  assert.equal(later.next, null);
});

void test('device filter and a bad cursor', () => {
  assert.deepEqual(pageWindows([w('a', 1, 0), w('b', 1, 0)], { limit: 10, device: 'b' }).windows.map(key), ['0:b/1']);
  for (const bad of ['', 'xyz', Buffer.from('[1,2,3]').toString('base64url'), Buffer.from('{"a":1}').toString('base64url')]) {
    assert.throws(() => decodeCursor(bad), (e: unknown) => e instanceof InputError && e.field === 'before', bad);
  }
});
