// Benchmark of the processor's pure path on one core: counter samples -> deltas -> windows ->
// aggregates, at the default 60 s window with 60 s and 10 s polls, plus wire decoding (zod
// validation and bigint parsing) against bare JSON.parse of the same bytes as the reference.
// A benchmark, not a test: it prints figures; the last line is one JSON object.
import { encodeCounterSample, decodeCounterSample } from '../common/contracts/index.js';
import { IFACES, coreRun, makeSample, timeIt } from './workload.js';

const DEVICES = Number(process.env.BENCH_DEVICES ?? 2000);
const POLLS = Number(process.env.BENCH_POLLS ?? 12);

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
// Warm-up: the JIT settles over about two runs.
for (let k = 0; k < 2; k++) coreRun(DEVICES, 6, 60_000);
const core60 = coreRun(DEVICES, POLLS, 60_000);
const core10 = coreRun(DEVICES, POLLS, 10_000);
const dec = decodeRun();
console.log(`processor core, ${DEVICES} devices x ${IFACES} interfaces x ${POLLS} polls, 60 s windows, one core`);
console.log(`  60 s polls: ${fmt(core60.perSec)} interface-samples/s (${core60.windows} windows emitted, ${core60.checkpoints} checkpoints)   goal: 1.000 M/s`);
console.log(`  10 s polls: ${fmt(core10.perSec)} interface-samples/s (${core10.windows} windows emitted, ${core10.checkpoints} checkpoints)   goal: 1.000 M/s`);
console.log(`decode CounterSample (zod + bigint): ${fmt(dec.zodPerSec)} interface-samples/s; reference JSON.parse only: ${fmt(dec.jsonPerSec)} (ratio ${(dec.zodPerSec / dec.jsonPerSec).toFixed(2)})`);
console.log(JSON.stringify({ bench: 'processor-core', devices: DEVICES, interfaces: IFACES, polls: POLLS, core60sPollPerSec: Math.round(core60.perSec), core10sPollPerSec: Math.round(core10.perSec), decodePerSec: Math.round(dec.zodPerSec), jsonParsePerSec: Math.round(dec.jsonPerSec), goalPerSec: 1_000_000 }));
