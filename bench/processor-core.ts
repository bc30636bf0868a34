// Benchmark of the processor's pure path on one core: counter samples -> deltas -> windows ->
// aggregates, at the default 60 s window with 60 s and 10 s polls, plus wire decoding (zod
// validation and bigint parsing) against bare JSON.parse of the same bytes as the reference.
// A benchmark, not a test: it prints figures; the last line is one JSON object.
import { encodeCounterSample, decodeCounterSample, type CounterSample, type CounterSampleInput } from '../common/contracts/index.js';
import { createWindowEngine } from '../processor/core/index.js';

const DEVICES = Number(process.env.BENCH_DEVICES ?? 2000);
const IFACES = 48;
const POLLS = Number(process.env.BENCH_POLLS ?? 12);
const T0 = 1_800_000_000_000;

function makeSample(d: number, poll: number, pollMs: number): CounterSampleInput {
  const ts = T0 + poll * pollMs + (d % 997) * 37;
  const interfaces = [];
  for (let i = 1; i <= IFACES; i++) {
    const rate = BigInt(1000 + ((d * 31 + i * 17) % 5000)) * 1000n;
    const octets = 1_000_000_000_000n + rate * BigInt(poll * pollMs);
    interfaces.push({
      ifIndex: i, name: `ge-0/0/${i}`, alias: '', speed: 1e10, operStatus: 'up' as const, width: 64 as const,
      inOctets: octets, outOctets: octets / 2n, inPackets: octets / 700n, outPackets: octets / 900n,
      inErrors: 0n, outErrors: 0n, inDiscards: BigInt(poll), outDiscards: 0n, discontinuityTime: 0,
    });
  }
  return { deviceId: `dev${d}`, source: 'snmp', ts, sysUpTime: 100_000 + Math.floor((poll * pollMs) / 10), interfaces };
}

function timeIt(fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

function coreRun(pollMs: number): { perSec: number; windows: number } {
  const records: CounterSample[] = [];
  for (let p = 0; p < POLLS; p++) for (let d = 0; d < DEVICES; d++) records.push(decodeCounterSample(encodeCounterSample(makeSample(d, p, pollMs))));
  const engine = createWindowEngine({ windowMs: 60_000, outOfOrdernessMs: 2 * pollMs, maxGapMs: 5 * pollMs, idleTimeoutMs: 2 * pollMs });
  let windows = 0;
  const secs = timeIt(() => {
    for (const r of records) windows += engine.ingest(r, 0, 0).windows.length;
  });
  return { perSec: (records.length * IFACES) / secs, windows };
}

function decodeRun(): { zodPerSec: number; jsonPerSec: number } {
  const wire = Array.from({ length: Math.min(DEVICES, 2000) }, (_, d) => Buffer.from(encodeCounterSample(makeSample(d, 1, 60_000))));
  let sink = 0;
  const json = timeIt(() => {
    for (let k = 0; k < 3; k++) for (const b of wire) sink += (JSON.parse(b.toString('utf8')) as { interfaces: unknown[] }).interfaces.length;
  });
  const zod = timeIt(() => {
    for (let k = 0; k < 3; k++) for (const b of wire) sink += decodeCounterSample(b).interfaces.length;
  });
  if (sink === 0) throw new Error('nothing decoded');
  const n = 3 * wire.length * IFACES;
  return { zodPerSec: n / zod, jsonPerSec: n / json };
}

const fmt = (n: number) => `${(n / 1e6).toFixed(3)} M`;
coreRun(60_000); // warm-up
const core60 = coreRun(60_000);
const core10 = coreRun(10_000);
const dec = decodeRun();
console.log(`processor core, ${DEVICES} devices x ${IFACES} interfaces x ${POLLS} polls, 60 s windows, one core`);
console.log(`  60 s polls: ${fmt(core60.perSec)} interface-samples/s (${core60.windows} windows emitted)   goal: 1.000 M/s`);
console.log(`  10 s polls: ${fmt(core10.perSec)} interface-samples/s (${core10.windows} windows emitted)   goal: 1.000 M/s`);
console.log(`decode CounterSample (zod + bigint): ${fmt(dec.zodPerSec)} interface-samples/s; reference JSON.parse only: ${fmt(dec.jsonPerSec)} (ratio ${(dec.zodPerSec / dec.jsonPerSec).toFixed(2)})`);
console.log(JSON.stringify({ bench: 'processor-core', devices: DEVICES, interfaces: IFACES, polls: POLLS, core60sPollPerSec: Math.round(core60.perSec), core10sPollPerSec: Math.round(core10.perSec), decodePerSec: Math.round(dec.zodPerSec), jsonParsePerSec: Math.round(dec.jsonPerSec), goalPerSec: 1_000_000 }));
