// The store's floor for bench:appliance: the windows the run wrote (read back from its windows
// topic) written again to InfluxDB as line protocol by `curl`, in requests of the size netmon's store
// sends (WRITE_BATCH_LINES), to a database of their own; InfluxDB's CPU per point for that is what
// no client can go below, and netmon's own writes are compared with it.
// Rules: the floor database is dropped afterwards; curl talks to the stack's InfluxDB on loopback only.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createKafka } from '../common/bus/kafka.js';
import type { NetmonConfig } from '../common/config/schema.js';
import { decodeWindowResult, type WindowResult } from '../common/contracts/window-result.js';
import { silentLogger } from '../common/log.js';
import { createInfluxClient, windowToLine, WRITE_BATCH_LINES } from '../common/store/influx.js';
import { waitUntil } from './appliance-procs.js';

/** Every window result in the windows topic now (to its high-water marks when called). */
export async function readWindows(config: NetmonConfig): Promise<WindowResult[]> {
  const kafka = createKafka(silentLogger, config.kafka, 'bench-windows');
  const admin = kafka.admin();
  await admin.connect();
  const topic = config.kafka.topics.windows;
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
  await admin.disconnect();
  const total = [...ends.values()].reduce((a, b) => a + b, 0);
  const out: WindowResult[] = [];
  if (total === 0) return out;
  const consumer = kafka.consumer({ groupId: `${config.processor.groupId}-windows-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        seen++;
        if (m.value) out.push(decodeWindowResult(m.value));
      }
      await Promise.resolve();
    },
  });
  try {
    await waitUntil(`the ${total} records of ${topic}`, 120_000, () => seen >= total);
  } finally {
    await consumer.disconnect();
  }
  return out;
}

function curl(url: string, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn('curl', ['-sS', '-f', '-XPOST', url, '-H', 'content-type: text/plain; charset=utf-8', '--data-binary', `@${file}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (b: Buffer) => (err += b.toString()));
    c.once('error', reject);
    c.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`curl ${url} exited ${code}: ${err.trim()}`))));
  });
}

export interface FloorFigures {
  points: number;
  requests: number;
  influxCpuSecs: number;
  cpuMicrosPerPoint: number;
}

/**
 * Writes `windows` with curl (one request per WRITE_BATCH_LINES, one after another, as the
 * processor's write-behind sends them) into `${database}_floor`, and measures InfluxDB's CPU across
 * the requests. The files are written beforehand: the floor counts InfluxDB, not the serializing.
 */
export async function curlFloor(influxCfg: NetmonConfig['influx'], windows: readonly WindowResult[], dir: string, influxCpu: () => number | null): Promise<FloorFigures> {
  const database = `${influxCfg.database}_floor`;
  const client = createInfluxClient({ ...influxCfg, database });
  await client.createDatabase(database);
  const files: string[] = [];
  for (let i = 0; i < windows.length; i += WRITE_BATCH_LINES) {
    const file = join(dir, `floor-${files.length}.lp`);
    let body = '';
    for (const w of windows.slice(i, i + WRITE_BATCH_LINES)) body += `${windowToLine(w)}\n`;
    writeFileSync(file, body);
    files.push(file);
  }
  const url = new URL('write', influxCfg.url.endsWith('/') ? influxCfg.url : `${influxCfg.url}/`);
  url.searchParams.set('db', database);
  url.searchParams.set('precision', 'ms');
  try {
    const cpu0 = influxCpu();
    for (const f of files) await curl(url.href, f);
    const cpu1 = influxCpu();
    if (cpu0 === null || cpu1 === null) throw new Error("InfluxDB's CPU could not be read (its pid file)");
    return { points: windows.length, requests: files.length, influxCpuSecs: cpu1 - cpu0, cpuMicrosPerPoint: windows.length > 0 ? ((cpu1 - cpu0) / windows.length) * 1e6 : NaN };
  } finally {
    await client.dropDatabase(database);
  }
}
