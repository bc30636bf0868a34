// Types for pcap-parser 0.2.1 (CommonJS, ships none): what pcap-reader.ts uses of it.
declare module 'pcap-parser' {
  import type { EventEmitter } from 'node:events';
  import type { Readable } from 'node:stream';

  namespace pcapParser {
    interface GlobalHeader {
      magicNumber: number;
      majorVersion: number;
      minorVersion: number;
      gmtOffset: number;
      timestampAccuracy: number;
      snapshotLength: number;
      linkLayerType: number;
    }
    interface PacketHeader {
      timestampSeconds: number;
      /** Microseconds (nanoseconds in a nanosecond-resolution file, which pcap-parser itself rejects). */
      timestampMicroseconds: number;
      capturedLength: number;
      originalLength: number;
    }
    interface Packet {
      header: PacketHeader;
      data: Buffer;
    }
    interface Parser extends EventEmitter {
      on(event: 'globalHeader', listener: (header: GlobalHeader) => void): this;
      on(event: 'packetHeader', listener: (header: PacketHeader) => void): this;
      on(event: 'packet', listener: (packet: Packet) => void): this;
      on(event: 'error', listener: (err: Error) => void): this;
      on(event: 'end', listener: () => void): this;
    }
    /** A file name (read with fs.createReadStream) or a readable stream. */
    function parse(input: string | Readable): Parser;
  }
  export = pcapParser;
}
