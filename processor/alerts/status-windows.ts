// Device reachability in event-time windows (pure), for the device_unreachable metric: the
// collector's netmon.status records (one per poll, event time = lastPollAt) are grouped per device
// into the epoch-aligned windows of the processor; a window closes when a poll of the device in a
// later window arrives, and comes out as a device-rollup window (ifIndex null, no traffic, coverage 1)
// with the fraction of its polls that found the device unreachable. A poll older than the open window
// is ignored (late); windows without any poll (collector down) never come out: missing data.
// Each open window remembers the offset of its first record, so the consumer commits only below it.
import type { DeviceStatus } from '../../common/contracts/device-status.js';
import type { WindowResultInput } from '../../common/contracts/window-result.js';

export interface StatusWindow {
  window: WindowResultInput;
  unreachable: number;
}

export interface StatusWindows {
  /** Adds one status record (with its offset); returns the windows it closed. */
  observe(s: DeviceStatus, offset: bigint): StatusWindow[];
  /** Offset of the first record of the oldest open window (commit below it), or null when none is open. */
  minOpenOffset(): bigint | null;
}

function closed(deviceId: string, start: number, windowMs: number, polls: Map<number, boolean>): StatusWindow {
  let down = 0;
  for (const d of polls.values()) if (d) down += 1;
  return {
    unreachable: down / polls.size,
    window: {
      deviceId, ifIndex: null, ifName: null, windowStart: start, windowEnd: start + windowMs,
      inOctets: 0n, outOctets: 0n, inPackets: 0n, outPackets: 0n, inErrors: 0n, outErrors: 0n, inDiscards: 0n, outDiscards: 0n,
      inBps: 0, outBps: 0, inPps: 0, outPps: 0, inAvgPacketSize: null, outAvgPacketSize: null, speed: null, inUtilization: null, outUtilization: null,
      peakInBps: 0, peakOutBps: 0, coverage: 1, sampleCount: polls.size, revision: 0,
    },
  };
}

export function createStatusWindows(opts: { windowMs: number }): StatusWindows {
  const open = new Map<string, { start: number; polls: Map<number, boolean>; firstOffset: bigint }>();
  return {
    observe(s, offset) {
      if (s.lastPollAt === null || s.state === 'pending') return [];
      const start = s.lastPollAt - (s.lastPollAt % opts.windowMs);
      const cur = open.get(s.deviceId);
      const out: StatusWindow[] = [];
      if (cur && start < cur.start) return out;
      if (cur && start > cur.start) out.push(closed(s.deviceId, cur.start, opts.windowMs, cur.polls));
      if (!cur || start > cur.start) open.set(s.deviceId, { start, polls: new Map([[s.lastPollAt, s.state === 'unreachable']]), firstOffset: offset });
      else cur.polls.set(s.lastPollAt, s.state === 'unreachable');
      return out;
    },
    minOpenOffset() {
      let min: bigint | null = null;
      for (const w of open.values()) if (min === null || w.firstOffset < min) min = w.firstOffset;
      return min;
    },
  };
}
