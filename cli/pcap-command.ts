// `netmon pcap import FILE|- --device ID [--local-net CIDR]...`: reads a classic pcap capture (a file,
// or a stream on stdin such as `tcpdump -w -`) and publishes it as 1-second TrafficDeltas into the
// samples topic through the collector's Kafka publisher; the processor makes windows of them like
// any other source. Rules:
// - The capture is counted on interface ifIndex 1, ifName "pcap" of the given device (one capture
//   point is one interface; the file name would change between imports of the same device).
// - The format is checked before Kafka is contacted: a pcapng or non-pcap input fails fast.
// - The last record carries final=true (the processor then closes the device's windows); the
//   publisher is flushed before exit, so everything read is in Kafka when the command returns.
// - A truncated or corrupt capture publishes what came before the bad spot, prints the summary,
//   then the error (byte offset, packet number) and exits 1. Ctrl-C ends the import the same way
//   (for stdin after up to 2 s for the writer to close the pipe) and exits 130.
// - On a terminal, stderr shows progress while reading (packets, bytes, rate, time left for files).
// Exit codes: 0 imported, 1 bad capture or Kafka failure, 2 bad usage, 130 interrupted.
import { createReadStream, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { createKafka } from '../common/bus/kafka.js';
import type { LoadedConfig } from '../common/config/load.js';
import { ErrorCodes, InputError, NetmonError, UsageError, errorMessage } from '../common/errors.js';
import { createLogger } from '../common/log.js';
import { createRegistry } from '../common/metrics.js';
import { parseCidr, type Cidr } from '../collector/inputs/pcap/cidr.js';
import { linkTypeName } from '../collector/inputs/pcap/link-layer.js';
import { createPcapInput, PCAP_IF_INDEX, PCAP_IF_NAME, type PcapImportSummary } from '../collector/inputs/pcap/pcap-input.js';
import { createKafkaPublisher } from '../collector/publisher/kafka-publisher.js';
import { startProgress } from './progress.js';

export const PCAP_USAGE = 'netmon pcap import FILE|- --device ID [--local-net CIDR]... [--config FILE]';
export const PCAP_SUBCOMMANDS = ['import'] as const;

/** Publisher queue depth at which reading pauses until it drained (the queue is made 4x as big). */
const HIGH_WATER = 10_000;
/** Kafka taking no record for this long (an outage) ends the import with what was read, and fails it. */
const STALL_MS = 60_000;
/** After Ctrl-C, how long a stdin writer (tcpdump) gets to close the pipe before reading stops. */
const STDIN_GRACE_MS = 2_000;

interface ImportArgs {
  file: string;
  deviceId: string;
  localNets: Cidr[];
}

function parseImportArgs(values: Record<string, unknown>, positionals: readonly string[], loaded: LoadedConfig): ImportArgs {
  const usage = `\nusage: ${PCAP_USAGE}`;
  const [sub, file, ...extra] = positionals;
  if (sub === undefined) throw new UsageError(`missing subcommand; subcommands: ${PCAP_SUBCOMMANDS.join(', ')}${usage}`);
  if (!(PCAP_SUBCOMMANDS as readonly string[]).includes(sub)) throw new UsageError(`unknown pcap subcommand "${sub}"; subcommands: ${PCAP_SUBCOMMANDS.join(', ')}${usage}`);
  if (file === undefined || file === '') throw new UsageError(`missing FILE (a classic pcap file, or - for stdin)${usage}`);
  if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}: import takes one FILE${usage}`);
  const deviceId = values.device;
  if (typeof deviceId !== 'string' || deviceId === '') throw new UsageError(`--device ID is required (the device the capture is counted for)${usage}`);
  if (deviceId.length > 128) throw new UsageError(`--device: at most 128 characters, got ${deviceId.length}`);
  const polled = loaded.devices.find((d) => d.id === deviceId);
  if (polled) {
    throw new UsageError(`--device "${deviceId}" is polled over SNMP (${loaded.devicesPath ?? 'device list'}); its counters and this capture would mix on interface ${PCAP_IF_INDEX} and the import's end would close its windows: give the capture its own device id`);
  }
  // parseArgs gives a string[] for a `multiple: true` option.
  const raw = values['local-net'];
  const texts = Array.isArray(raw) ? raw.filter((t): t is string => typeof t === 'string') : typeof raw === 'string' ? [raw] : [];
  const localNets = texts.map((t) => {
    try {
      return parseCidr(t);
    } catch (e) {
      if (e instanceof InputError) throw new UsageError(`--local-net: ${e.message}`);
      throw e;
    }
  });
  return { file, deviceId, localNets };
}

function openCapture(file: string): { name: string; size: number | null; open: () => Readable } {
  if (file === '-') return { name: 'stdin', size: null, open: () => process.stdin };
  let isFile: boolean;
  let size: number;
  try {
    const st = statSync(file);
    isFile = st.isFile();
    size = st.size;
  } catch (e) {
    throw new NetmonError(ErrorCodes.PCAP, `cannot read ${file}: ${errorMessage(e)}`, { cause: e });
  }
  if (!isFile) throw new NetmonError(ErrorCodes.PCAP, `cannot read ${file}: not a regular file (use - to read a stream from stdin)`);
  return { name: file, size, open: () => createReadStream(file) };
}

export function formatSummary(s: PcapImportSummary, a: { deviceId: string; topic: string; localNets: readonly Cidr[] }): string[] {
  const h = s.header;
  const format = h ? `${linkTypeName(h.linkType)}, ${h.nanosecond ? 'ns' : 'µs'} timestamps, pcap ${h.version}, snapshot length ${h.snapLen}` : 'no pcap header';
  const nets = a.localNets.length > 0 ? a.localNets.map((c) => c.text).join(', ') : 'none: every packet counted as in';
  const span =
    s.firstTsMs === null || s.lastTsMs === null
      ? '(no packets)'
      : `${new Date(s.firstTsMs).toISOString()} .. ${new Date(s.lastTsMs).toISOString()} (${((s.lastTsMs - s.firstTsMs) / 1000).toFixed(3)} s)`;
  return [
    `imported ${s.name} (${format}, ${s.bytes} bytes read) as device "${a.deviceId}", interface ${PCAP_IF_INDEX} "${PCAP_IF_NAME}"`,
    `local networks: ${nets}`,
    `packets: ${s.packets} (in ${s.inPackets}, out ${s.outPackets}; ${s.undecidable} without a decidable direction, counted as in; ${s.outOfOrder} out of time order)`,
    `octets: in ${s.inOctets}, out ${s.outOctets} (frame lengths on the wire, link-layer header included)`,
    `records published: ${s.records} one-second bucket${s.records === 1 ? '' : 's'} to ${a.topic}${s.records > 0 ? ' (the last with final=true)' : ''}`,
    `time span: ${span}`,
  ];
}

export async function pcapImportCommand(
  values: Record<string, unknown>,
  positionals: readonly string[],
  loaded: LoadedConfig,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  const args = parseImportArgs(values, positionals, loaded);
  const capture = openCapture(args.file);
  const config = loaded.config;
  // stdout carries the summary; logs go to stderr. kafkajs' own retry chatter only at debug: a
  // Kafka failure ends the command with one message saying so.
  const log = createLogger({ level: config.log.level, destination: process.stderr }).child({ command: 'pcap import' });
  const kafkaLog = config.log.level === 'debug' || config.log.level === 'trace' ? log : log.child({}, { level: 'silent' });
  const registry = createRegistry({ defaultMetrics: false });
  // The queue has room beyond the high-water mark, so no record (least of all the final one) is ever dropped.
  const publisher = createKafkaPublisher(log, config.kafka, { kafka: createKafka(kafkaLog, config.kafka, 'pcap-import'), registry }, { maxQueue: Math.max(config.collector.publishQueueSize, 4 * HIGH_WATER) });
  const input = createPcapInput(log, { deviceId: args.deviceId, localNets: args.localNets, name: capture.name, open: capture.open, highWater: HIGH_WATER }, { sink: publisher, registry });
  const fail = (e: NetmonError) => err(`netmon pcap: ${e.message} [${e.code}]`);

  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    err('netmon pcap: interrupted; ending the import with what was read (Ctrl-C again to quit at once)');
    if (args.file === '-') setTimeout(() => void input.stop(), STDIN_GRACE_MS).unref();
    else void input.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let publisherStarted = false;
  let watchdog: NodeJS.Timeout | undefined;
  try {
    await input.start();
    // The format is known (or refused) before Kafka is contacted.
    if ((await input.header()) === null) {
      const s = await input.done();
      if (s.error) {
        fail(s.error);
        return 1;
      }
      out(formatSummary(s, { ...args, topic: config.kafka.topics.samples }).join('\n'));
      return s.interrupted ? 130 : 0;
    }
    try {
      await publisher.start();
      publisherStarted = true;
    } catch (e) {
      await input.stop();
      fail(new NetmonError(ErrorCodes.KAFKA, `cannot publish to Kafka (${config.kafka.brokers.join(',')}): ${errorMessage(e)}`, { cause: e, retriable: true }));
      return 1;
    }
    // A Kafka outage mid-import: the queue stops draining (and reading stays paused at the high-water
    // mark). After STALL_MS without progress the import ends with what was read, reported as a failure.
    let lastDepth = 0;
    let lastProgress = Date.now();
    let onStall!: () => void;
    const stalled = new Promise<void>((r) => (onStall = r));
    watchdog = setInterval(() => {
      const d = publisher.queueDepth();
      if (d === 0 || d < lastDepth) lastProgress = Date.now();
      lastDepth = d;
      if (Date.now() - lastProgress >= STALL_MS) {
        clearInterval(watchdog);
        onStall();
        void input.stop();
      }
    }, 1000);
    const progress = startProgress(process.stderr, `reading ${capture.name}`, () => ({ ...input.progress(), totalBytes: capture.size }));
    const s = await input.done().finally(() => progress.stop());
    const sent = await Promise.race([publisher.flush().then(() => true), stalled.then(() => false)]);
    clearInterval(watchdog);
    out(formatSummary(s, { ...args, topic: config.kafka.topics.samples }).join('\n'));
    if (!sent) {
      const unsent = publisher.queueDepth();
      fail(new NetmonError(ErrorCodes.KAFKA, `Kafka (${config.kafka.brokers.join(',')}) took no records for ${STALL_MS / 1000} s: ${unsent} of the ${s.records} records read were not published${s.interrupted ? ', and reading stopped there' : ''}`, { retriable: true }));
      return 1;
    }
    if (s.error) {
      fail(s.error);
      return 1;
    }
    return s.interrupted ? 130 : 0;
  } finally {
    clearInterval(watchdog);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (publisherStarted) await publisher.stop();
  }
}
