// The pcap input: one import of a capture (a file, or a stream such as `tcpdump -w -` on stdin) as
// an Input component feeding the same SampleSink as SNMP polling. start() opens the capture and
// reads it in the background; done() resolves when the input has ended and its last record (the
// one with final=true) has been handed to the sink, with a summary. Rules:
// - Records are TrafficDeltas from the bucketer (1 s buckets, event time = packet timestamps),
//   key = device id, so they stay in order on one partition and the final one arrives last.
// - Backpressure: when the sink holds `highWater` records, reading pauses until it has drained,
//   so a large file never makes the publisher drop records.
// - A truncated or corrupt capture still publishes everything before the bad spot (final=true on
//   the last record, so the processor closes those windows); the summary carries the error.
//   stop() ends reading the same way (an interrupted import), never losing what was read.
// - Local networks are needed to tell in from out; when they are given, a link type in which we
//   cannot find IP addresses is refused at the global header rather than counted all "in".
import type { Readable } from 'node:stream';
import { encodeTrafficDelta, type TrafficDeltaInput } from '../../../common/contracts/traffic-delta.js';
import type { Logger } from '../../../common/log.js';
import { Counter, type Registry } from '../../../common/metrics.js';
import type { Input, SampleSink } from '../input.js';
import { createBucketer, type BucketStats } from './bucketer.js';
import { createNetMatcher, type Cidr } from './cidr.js';
import { LINK_TYPES, linkTypeName, supportedLinkTypes } from './link-layer.js';
import { PcapError } from '../../../common/errors.js';
import { readPcap, type PcapFileHeader, type PcapReader } from './pcap-reader.js';

/** The sink the pcap input needs: the Kafka publisher (its queue depth and flush give backpressure). */
export interface PcapSink extends SampleSink {
  queueDepth(): number;
  flush(): Promise<void>;
}

export const PCAP_IF_INDEX = 1;
export const PCAP_IF_NAME = 'pcap';

export interface PcapInputOptions {
  deviceId: string;
  /** The interface the capture is counted on. Default 1 ("pcap"). */
  ifIndex?: number;
  ifName?: string;
  localNets: readonly Cidr[];
  /** Names the capture in messages: the file name, or "stdin". */
  name: string;
  /** Opens the capture (called by start()). */
  open: () => Readable;
  /** Sink queue depth at which reading pauses until the sink has drained. Default 10000. */
  highWater?: number;
  /** See BucketerOptions.holdSeconds. */
  holdSeconds?: number;
}

export interface PcapImportSummary extends BucketStats {
  name: string;
  header: PcapFileHeader | null;
  /** Bytes read from the capture. */
  bytes: number;
  /** Why the import ended early (truncated, corrupt, not pcap, unreadable); null when it read to the end. */
  error: PcapError | null;
  /** stop() ended it before the end of the input. */
  interrupted: boolean;
}

export interface PcapInput extends Input {
  /** The capture's global header once read and accepted; null when the import ended without one (see done()). */
  header(): Promise<PcapFileHeader | null>;
  /** Resolves when the import has ended and every record, the final one last, went to the sink. */
  done(): Promise<PcapImportSummary>;
  /** Bytes read and packets counted so far (zero before start()). */
  progress(): { bytes: number; packets: number };
}

export function createPcapInput(log: Logger, o: PcapInputOptions, deps: { sink: PcapSink; registry: Registry }): PcapInput {
  const ifIndex = o.ifIndex ?? PCAP_IF_INDEX;
  const ifName = o.ifName ?? PCAP_IF_NAME;
  const highWater = o.highWater ?? 10_000;
  if (!(highWater >= 1)) throw new RangeError(`highWater must be >= 1, got ${highWater}`);
  const local = createNetMatcher(o.localNets);
  const bucketer = createBucketer({ deviceId: o.deviceId, ifIndex, ifName, localNets: local, holdSeconds: o.holdSeconds });
  const reg = [deps.registry];
  const packetsC = new Counter({ name: 'netmon_pcap_packets_total', help: 'Captured packets counted, by direction', labelNames: ['direction'], registers: reg });
  const octetsC = new Counter({ name: 'netmon_pcap_octets_total', help: 'Octets (original frame lengths) counted, by direction', labelNames: ['direction'], registers: reg });
  const undecidableC = new Counter({ name: 'netmon_pcap_undecidable_packets_total', help: 'Packets without a decidable direction (no local networks, or no IP addresses), counted as in', registers: reg });
  const recordsC = new Counter({ name: 'netmon_pcap_records_total', help: 'TrafficDelta records handed to the publisher', registers: reg });
  const pausesC = new Counter({ name: 'netmon_pcap_backpressure_pauses_total', help: 'Times reading paused for the publisher to drain', registers: reg });

  let reader: PcapReader | null = null;
  let paused = false;
  let undecidableSeen = 0;
  let resolveHeader!: (h: PcapFileHeader | null) => void;
  let resolveDone!: (s: PcapImportSummary) => void;
  const headerP = new Promise<PcapFileHeader | null>((r) => (resolveHeader = r));
  const doneP = new Promise<PcapImportSummary>((r) => (resolveDone = r));

  function hand(records: TrafficDeltaInput[]): void {
    if (records.length === 0) return;
    for (const r of records) {
      deps.sink.publish({ key: o.deviceId, value: encodeTrafficDelta(r) });
      recordsC.inc();
      packetsC.inc({ direction: 'in' }, Number(r.inPackets));
      packetsC.inc({ direction: 'out' }, Number(r.outPackets));
      octetsC.inc({ direction: 'in' }, Number(r.inOctets));
      octetsC.inc({ direction: 'out' }, Number(r.outOctets));
    }
    const u = bucketer.stats().undecidable;
    if (u > undecidableSeen) undecidableC.inc(u - undecidableSeen);
    undecidableSeen = u;
    if (!paused && reader !== null && deps.sink.queueDepth() >= highWater) {
      paused = true;
      pausesC.inc();
      reader.pause();
      void deps.sink.flush().then(() => {
        paused = false;
        reader?.resume();
      });
    }
  }

  function checkHeader(h: PcapFileHeader): void {
    if (local.size > 0 && !LINK_TYPES.has(h.linkType)) {
      throw new PcapError('unsupported', `${o.name}: local networks were given, but netmon cannot find IP addresses in frames of ${linkTypeName(h.linkType)}; supported link types: ${supportedLinkTypes()} (without local networks every packet is counted as in)`, { offset: 20 });
    }
    log.debug({ capture: o.name, ...h }, 'pcap global header');
  }

  function finish(r: { header: PcapFileHeader | null; bytes: number; error: PcapError | null; stopped: boolean }): void {
    hand(bucketer.finish());
    const s = bucketer.stats();
    resolveHeader(null);
    resolveDone({ ...s, name: o.name, header: r.header, bytes: r.bytes, error: r.error, interrupted: r.stopped });
  }

  return {
    name: 'pcap-input',
    start() {
      if (reader !== null) return Promise.resolve();
      reader = readPcap({
        source: o.open(),
        name: o.name,
        onHeader: checkHeader,
        onPacket: (p) => hand(bucketer.add(p)),
      });
      void reader.header.then(resolveHeader);
      void reader.done.then(finish);
      return Promise.resolve();
    },
    async stop() {
      if (reader === null) finish({ header: null, bytes: 0, error: null, stopped: true });
      else reader.stop();
      await doneP;
    },
    header: () => headerP,
    done: () => doneP,
    progress: () => reader?.progress() ?? { bytes: 0, packets: 0 },
  };
}
