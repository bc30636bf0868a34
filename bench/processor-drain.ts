// The drains bench:processor and bench:appliance share: a samples topic read to its end by a bare
// kafkajs eachBatch consumer that only decodes (the reference), or by the real processor (with its
// InfluxDB store, or a store that discards: the processor without the store), timed from the first
// record consumed to the last, with the CPU this process, InfluxDB and Kafka spent meanwhile.
// Rules: every wait is bounded (10 minutes); the stack's servers are read (their /proc stat), never
// signalled; each drain uses a consumer group of its own, so each reads the whole topic.
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createKafka } from '../common/bus/kafka.js';
import { systemClock } from '../common/clock.js';
import type { NetmonConfig } from '../common/config/schema.js';
import { decodeSampleRecord } from '../common/contracts/index.js';
import { silentLogger } from '../common/log.js';
import { createRegistry } from '../common/metrics.js';
import { createInfluxStore, type WindowStore } from '../common/store/influx.js';
import { createProcessor } from '../processor/pipeline/processor.js';

const clockTicks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** CPU seconds (utime + stime) of a process, or null when it cannot be read (gone, not ours to see). */
export function pidCpuSecs(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    // /proc/<pid>/stat: fields 14 and 15 (utime, stime) after the parenthesised command name.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
  } catch {
    return null;
  }
}

/** The pid a pid file names, or undefined. */
export function pidFromFile(pidFile: string | undefined): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile ?? '', 'utf8').trim());
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** CPU seconds of a stack server (from its pid file), or null when it cannot be read. */
export function serverCpuSecs(pidFile: string | undefined): number | null {
  return pidCpuSecs(pidFromFile(pidFile));
}

export interface Drain {
  secs: number;
  /** CPU seconds during the drain: this process, InfluxDB, Kafka. */
  cpu: { self: number; influx: number | null; kafka: number | null };
}

/** The stack's pid files, for the CPU of InfluxDB and Kafka during a drain. */
export interface StackPids {
  NETMON_INFLUX_PID_FILE?: string;
  NETMON_KAFKA_PID_FILE?: string;
}

/** From the first consumed record until `done()`, polling every 20 ms (bounded by 10 minutes). */
async function drainTime(stack: StackPids, started: () => boolean, done: () => boolean): Promise<Drain> {
  const deadline = Date.now() + 600_000;
  let first = 0;
  let cpu0 = process.cpuUsage();
  let influx0: number | null = null;
  let kafka0: number | null = null;
  while (Date.now() < deadline) {
    if (first === 0 && started()) {
      first = performance.now();
      cpu0 = process.cpuUsage();
      influx0 = serverCpuSecs(stack.NETMON_INFLUX_PID_FILE);
      kafka0 = serverCpuSecs(stack.NETMON_KAFKA_PID_FILE);
    }
    if (first !== 0 && done()) {
      const secs = (performance.now() - first) / 1000;
      const c = process.cpuUsage(cpu0);
      const delta = (a: number | null, b: number | null) => (a === null || b === null ? null : b - a);
      return { secs, cpu: { self: (c.user + c.system) / 1e6, influx: delta(influx0, serverCpuSecs(stack.NETMON_INFLUX_PID_FILE)), kafka: delta(kafka0, serverCpuSecs(stack.NETMON_KAFKA_PID_FILE)) } };
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('drain did not finish in 10 minutes');
}

/** The reference: a bare kafkajs eachBatch consumer decoding all `total` records; `ifaces` checks what it decoded. */
export async function bareDecode(stack: StackPids, config: NetmonConfig, total: number, expectIfaces: number | null): Promise<Drain & { ifaces: number }> {
  const kafka = createKafka(silentLogger, config.kafka, 'bench-bare');
  const consumer = kafka.consumer({ groupId: `${config.processor.groupId}-bare-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic: config.kafka.topics.samples, fromBeginning: true });
  let n = 0;
  let ifaces = 0;
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        const r = decodeSampleRecord(m.value);
        if (r.kind === 'counter-sample') ifaces += r.interfaces.length;
        n++;
      }
      await Promise.resolve();
    },
  });
  const d = await drainTime(stack, () => n > 0, () => n >= total);
  await consumer.disconnect();
  if (expectIfaces !== null && ifaces !== expectIfaces) throw new Error(`bare consumer decoded ${ifaces} interface-samples, expected ${expectIfaces}`);
  return { ...d, ifaces };
}

/** A drain by the processor; `discard`: its window store drops what it is given (no InfluxDB). */
export async function processorDrain(stack: StackPids, config: NetmonConfig, total: number, run: string, discard: boolean): Promise<Drain & { windows: number; deadLetters: number }> {
  const registry = createRegistry({ defaultMetrics: false });
  const cfg = { ...config, processor: { ...config.processor, groupId: `${config.processor.groupId}-${run}` } };
  const influx = createInfluxStore(cfg.influx, { windowSeconds: cfg.processor.windowSeconds });
  const store: WindowStore = discard ? { ...influx, writeWindows: () => Promise.resolve() } : influx;
  const processor = createProcessor(silentLogger, cfg, { registry, clock: systemClock, store });
  await processor.start();
  const metric = async (name: string) => ((await registry.getSingleMetric(name)?.get())?.values ?? []).reduce((sum, v) => sum + v.value, 0);
  let seen = 0;
  let emitted = 0;
  let written = 0;
  const poll = setInterval(() => {
    void Promise.all([metric('netmon_processor_records_total'), metric('netmon_processor_windows_emitted_total'), metric('netmon_processor_windows_written_total')]).then(([r, e, w]) => {
      seen = r;
      emitted = e;
      written = w;
    });
  }, 10);
  try {
    const d = await drainTime(stack, () => seen > 0, () => seen >= total && written >= emitted);
    // A load the processor dead-letters (future event times, say) measures the dead-letter path, not the windows.
    return { ...d, windows: emitted, deadLetters: await metric('netmon_processor_dead_letters_total') };
  } finally {
    clearInterval(poll);
    await processor.stop();
  }
}
