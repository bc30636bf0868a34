// Ground truth and load for the end-to-end tests: the kernel's own counters for the loopback
// interface (/proc/net/dev, the same source snmpd reads), sampled often with timestamps, and a
// steady UDP traffic generator on 127.0.0.1.
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';

export interface KernelSample {
  t: number;
  rxBytes: bigint;
  rxPackets: bigint;
  txBytes: bigint;
  txPackets: bigint;
}

export function readProcNetDev(iface = 'lo'): Omit<KernelSample, 't'> {
  const line = readFileSync('/proc/net/dev', 'utf8').split('\n').find((l) => l.trim().startsWith(`${iface}:`));
  if (!line) throw new Error(`${iface} not in /proc/net/dev`);
  const f = line.split(':')[1].trim().split(/\s+/).map((x) => BigInt(x));
  return { rxBytes: f[0], rxPackets: f[1], txBytes: f[8], txPackets: f[9] };
}

/** Samples /proc/net/dev every `everyMs` until stopped; bounded by `maxMs`. */
export function startKernelSampler(everyMs: number, maxMs: number) {
  const samples: KernelSample[] = [];
  const take = () => samples.push({ t: Date.now(), ...readProcNetDev() });
  take();
  const timer = setInterval(take, everyMs);
  const guard = setTimeout(() => clearInterval(timer), maxMs);
  return {
    samples,
    stop() {
      clearInterval(timer);
      clearTimeout(guard);
      take();
    },
    /** The kernel counter at time t, linearly interpolated between the two samples around it. */
    at(t: number, field: 'rxBytes' | 'txBytes' | 'rxPackets' | 'txPackets'): number {
      const i = samples.findIndex((s) => s.t >= t);
      if (i <= 0) throw new Error(`no kernel samples around ${new Date(t).toISOString()}`);
      const a = samples[i - 1];
      const b = samples[i];
      const va = Number(a[field]);
      const vb = Number(b[field]);
      return b.t === a.t ? vb : va + ((vb - va) * (t - a.t)) / (b.t - a.t);
    },
  };
}

/** Sends UDP datagrams to a local sink at a steady rate, in small bursts every 5 ms; bounded by maxMs. */
export async function startUdpLoad(opts: { bytesPerSecond: number; payload: number; maxMs: number }) {
  const sink: Socket = createSocket('udp4');
  await new Promise<void>((r) => sink.bind(0, '127.0.0.1', () => r()));
  sink.on('message', () => undefined);
  const port = sink.address().port;
  const src = createSocket('udp4');
  const buf = Buffer.alloc(opts.payload, 0x61);
  const perTick = opts.bytesPerSecond / 200 / opts.payload;
  let owed = 0;
  let sent = 0;
  const timer = setInterval(() => {
    owed += perTick;
    while (owed >= 1) {
      src.send(buf, port, '127.0.0.1');
      owed -= 1;
      sent++;
    }
  }, 5);
  const guard = setTimeout(() => clearInterval(timer), opts.maxMs);
  return {
    sent: () => sent,
    async stop() {
      clearInterval(timer);
      clearTimeout(guard);
      await new Promise<void>((r) => src.close(() => r()));
      await new Promise<void>((r) => sink.close(() => r()));
    },
  };
}
