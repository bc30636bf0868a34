// The Input contract: every collector input (SNMP polling, pcap import) is a Component that turns
// what it reads into wire records and hands them to the same SampleSink (the Kafka publisher).
import type { Component } from '../../common/lifecycle.js';

export interface SampleRecordOut {
  /** Kafka key: the device id, so one device's records stay in order on one partition. */
  key: string;
  /** The encoded CounterSample or TrafficDelta (or, with `topic`, another record; null = a tombstone on a compacted topic). */
  value: string | null;
  /** Where it goes; default the samples topic. */
  topic?: string;
}

export interface SampleSink {
  /** Queues a record for publishing; never throws and never blocks the caller. */
  publish(record: SampleRecordOut): void;
}

export type Input = Component;
