import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes, formatProgress, startProgress } from './progress.js';

test('bytes read as B, KiB, MiB, GiB', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1023), '1023 B');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(10 * 1024 * 1024), '10.0 MiB');
  assert.equal(formatBytes(300 * 1024 ** 3), '300 GiB');
});

test('a file shows share done, rate and time left; a pipe shows what was read and the rate', () => {
  const MiB = 1024 * 1024;
  assert.equal(formatProgress({ bytes: 4 * MiB, packets: 12345, totalBytes: 10 * MiB, elapsedMs: 2000 }), '12,345 packets, 4.0 MiB of 10.0 MiB (40 %), 2.0 MiB/s, 3 s left');
  assert.equal(formatProgress({ bytes: 10 * MiB, packets: 9, totalBytes: 10 * MiB, elapsedMs: 5000 }), '9 packets, 10.0 MiB of 10.0 MiB (100 %), 2.0 MiB/s');
  assert.equal(formatProgress({ bytes: 3 * MiB, packets: 1, totalBytes: null, elapsedMs: 1000 }), '1 packets, 3.0 MiB, 3.0 MiB/s');
  assert.equal(formatProgress({ bytes: 1 * MiB, packets: 5, totalBytes: 1000 * MiB, elapsedMs: 10_000 }), '5 packets, 1.0 MiB of 1000 MiB (0 %), 102 KiB/s, 2 h 46 min left');
  assert.equal(formatProgress({ bytes: 0, packets: 0, totalBytes: 100, elapsedMs: 0 }), '0 packets, 0 B of 100 B (0 %), 0 B/s');
});

test('the progress line draws in place on a terminal and not at all elsewhere', async () => {
  const writes: string[] = [];
  const fake = (isTTY: boolean) => ({ isTTY, columns: 80, write: (s: string) => writes.push(s) }) as unknown as NodeJS.WriteStream;
  const off = startProgress(fake(false), 'x', () => ({ bytes: 1, packets: 1, totalBytes: null }), 5);
  await new Promise((r) => setTimeout(r, 30));
  off.stop();
  assert.deepEqual(writes, []);
  const on = startProgress(fake(true), 'reading a.pcap', () => ({ bytes: 2048, packets: 3, totalBytes: 4096 }), 5);
  await new Promise((r) => setTimeout(r, 30));
  on.stop();
  assert.ok(writes.length >= 2, `drew ${writes.length} times`);
  const first = String(writes.at(0));
  assert.ok(first.startsWith('\r\x1b[Kreading a.pcap: 3 packets, 2.0 KiB of 4.0 KiB (50 %)'), first);
  assert.equal(writes[writes.length - 1], '\r\x1b[K', 'stop() clears the line');
});
