// A recording fake of the ConfigTopic port, for unit tests: holds the "topic" as a map, records
// every publish, and can be told to fail. A store that follows it gets the held devices at once, then
// what another instance writes (`remote`) and its own records back (`echo`, when told to hold them).
import type { DeviceConfig } from '../../common/config/schema.js';
import type { ConfigTopic, DeviceRecord } from './config-topic.js';
import type { DeviceChange } from './validate.js';

export interface FakeConfigTopic extends ConfigTopic {
  readonly held: Map<string, DeviceConfig>;
  readonly published: DeviceChange[][];
  failNext: Error | null;
  /** Another instance writes this record; resolves once the follower has applied it. */
  remote(id: string, device: DeviceConfig | null): Promise<void>;
  /** Own records published while true are held back until echo() hands them to the follower. */
  holdEchoes: boolean;
  echo(): Promise<void>;
}

export function createFakeConfigTopic(initial: readonly DeviceConfig[] = [], tombstones: readonly string[] = []): FakeConfigTopic {
  const held = new Map(initial.map((d) => [d.id, d]));
  let follower: ((r: DeviceRecord) => void | Promise<void>) | null = null;
  const heldBack: DeviceRecord[] = [];
  const fake: FakeConfigTopic = {
    holdEchoes: false,
    async remote(id, device) {
      if (device) held.set(id, device);
      else held.delete(id);
      await follower?.({ id, device, own: false });
    },
    async echo() {
      for (const r of heldBack.splice(0)) await follower?.(r);
    },
    async follow(apply) {
      for (const id of tombstones) await apply({ id, device: null, own: false });
      for (const [id, device] of held) await apply({ id, device, own: false });
      follower = apply;
    },
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
        const r = { id: c.id, device: c.device, own: true };
        if (fake.holdEchoes) heldBack.push(r);
        else if (follower) void Promise.resolve(follower(r));
      }
      return Promise.resolve();
    },
    disconnect: () => Promise.resolve(),
  };
  return fake;
}
