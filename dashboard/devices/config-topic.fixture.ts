// A recording fake of the ConfigTopic port, for unit tests: holds the "topic" as a map, records
// every publish, and can be told to fail.
import type { DeviceConfig } from '../../common/config/schema.js';
import type { ConfigTopic } from './config-topic.js';
import type { DeviceChange } from './validate.js';

export interface FakeConfigTopic extends ConfigTopic {
  readonly held: Map<string, DeviceConfig>;
  readonly published: DeviceChange[][];
  failNext: Error | null;
}

export function createFakeConfigTopic(initial: readonly DeviceConfig[] = []): FakeConfigTopic {
  const held = new Map(initial.map((d) => [d.id, d]));
  const fake: FakeConfigTopic = {
    held,
    published: [],
    failNext: null,
    connect: () => Promise.resolve(),
    readDevices: () => Promise.resolve(new Map(held)),
    publish(changes) {
      if (fake.failNext) {
        const e = fake.failNext;
        fake.failNext = null;
        return Promise.reject(e);
      }
      fake.published.push([...changes]);
      for (const c of changes) {
        if (c.device) held.set(c.id, c.device);
        else held.delete(c.id);
      }
      return Promise.resolve();
    },
    disconnect: () => Promise.resolve(),
  };
  return fake;
}
