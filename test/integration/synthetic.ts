// Shared fixtures of the alert tests on the real stack: one synthetic interface whose inbound rate
// steps per window, and a reader that collects what lands on the alerts topic.
import type { Consumer, Producer } from '../../common/bus/kafka.js';
import { decodeAlertEvent, encodeCounterSample, type AlertEvent, type CounterSampleInput, type OperStatus } from '../../common/contracts/index.js';

/**
 * Device 'synth', interface 1 'eth0' (1 Gbit/s), polled every 10 s from `w0`: inbound bytes/s are
 * `rates[i]` through 60 s window i (six polls each). Returns poll k's sample.
 */
export function steppedRateSamples(rates: readonly number[], w0: number, operStatus: (k: number) => OperStatus = () => 'up'): (k: number) => CounterSampleInput {
  const octets: bigint[] = [0n];
  for (let k = 1; k <= rates.length * 6; k++) octets.push(octets[k - 1] + BigInt(rates[Math.floor((k - 1) / 6)] * 10));
  return (k) => ({
    deviceId: 'synth', source: 'snmp', ts: w0 + k * 10_000, sysUpTime: 100_000 + k * 1000,
    interfaces: [{ ifIndex: 1, name: 'eth0', alias: '', speed: 1e9, operStatus: operStatus(k), width: 64, inOctets: 5_000_000n + octets[k], outOctets: 0n, inPackets: BigInt(k) * 10n, outPackets: 0n, discontinuityTime: 0 }],
  });
}

/** Produces polls from..to (inclusive) of `sample` to the samples topic, keyed by device. */
export function sendSamples(producer: Producer, topic: string, sample: (k: number) => CounterSampleInput, from: number, to: number): Promise<unknown> {
  return producer.send({ topic, messages: Array.from({ length: to - from + 1 }, (_, i) => ({ key: 'synth', value: encodeCounterSample(sample(from + i)) })) });
}

/** Reads the alerts topic from the beginning into the returned array (the consumer keeps running). */
export async function collectAlertEvents(consumer: Consumer, topic: string): Promise<AlertEvent[]> {
  const events: AlertEvent[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  void consumer.run({ eachMessage: ({ message }) => Promise.resolve(void events.push(decodeAlertEvent(message.value))) });
  return events;
}
