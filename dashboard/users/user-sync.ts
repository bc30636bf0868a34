// Keeps the users of dashboard instances that share the config topic (dashboard.shared) the same
// on all of them: the topic is the source of truth, each instance's users file a copy. Rules: at
// start the topic is read to its end; a topic that never held a user record is seeded from the users file,
// else the file is made to hold what the topic holds; every change of the store (API, logout, a
// `netmon user` edit of the file) is published as the records that differ (user-records.ts), in
// order, one send at a time; records of other instances are applied as they arrive, except one
// read while an own record of that key is on its way back (it was written earlier: ours wins, see
// dashboard/devices/echo-tracker.ts). A component: started before the dashboard, stopped after it.
import { followTopic, newOrigin, ORIGIN_HEADER, originOf, type TopicTail } from '../../common/bus/compacted-topic.js';
import { connectOrderedProducer, createKafka, type Producer } from '../../common/bus/kafka.js';
import { batches, recordBytes } from '../../common/batching.js';
import { DEFAULT_SEND_BOUND, readMessageLimitsOf, sendBoundOf } from '../../common/bus/message-limit.js';
import type { NetmonConfig } from '../../common/config/schema.js';
import { CONFIG_CHANGE_VERSION, decodeConfigChange } from '../../common/contracts/config-change.js';
import { ErrorCodes, NetmonError, errorMessage } from '../../common/errors.js';
import type { Component } from '../../common/lifecycle.js';
import type { Logger } from '../../common/log.js';
import { Counter, type Registry } from '../../common/metrics.js';
import { createSerial } from '../../common/serial.js';
import { createEchoTracker } from '../devices/echo-tracker.js';
import { applyUserRecord, diffUserRecords, isUserKey, usersToRecords } from './user-records.js';
import type { UserReplica, UserStore } from './user-store.js';
import type { UsersData } from './users-file.js';

/** How often the users file is looked at for an edit by `netmon user` when no request does it. */
const FILE_CHECK_MS = 2000;

export interface UserSync extends Component, UserReplica {
  /** The store whose users this keeps in line (set once, before start). */
  attach(store: UserStore): void;
}

export function createUserSync(log: Logger, kafka: NetmonConfig['kafka'], opts: { groupIdPrefix: string }, deps: { registry: Registry; now: () => number }): UserSync {
  const client = createKafka(log, kafka, 'dashboard-users');
  const topic = kafka.topics.config;
  const origin = newOrigin();
  const headers = { [ORIGIN_HEADER]: origin };
  let maxBytes = DEFAULT_SEND_BOUND;
  const echoes = createEchoTracker();
  const sends = createSerial();
  /** The last value per user key on the topic, as far as this instance has read or written it. */
  const held = new Map<string, Record<string, unknown>>();
  const records = new Counter({ name: 'netmon_dashboard_user_records_total', help: 'User, token and session-epoch records on the config topic (dashboard.shared), by result: published, applied (from another instance), behind (an own later record wins), rejected', labelNames: ['result'], registers: [deps.registry] });
  let store: UserStore | null = null;
  let producer: Producer | null = null;
  let tail: TopicTail | null = null;
  let started = false;
  let last: Promise<void> = Promise.resolve();
  let fileCheck: NodeJS.Timeout | null = null;

  /** Publishes what `data` has that the topic does not (one send at a time, in call order). */
  function publish(data: UsersData): Promise<void> {
    return sends.run(async () => {
      const diff = diffUserRecords(held, data);
      if (diff.length === 0) return;
      if (!producer) throw new NetmonError(ErrorCodes.KAFKA, 'users: the config topic producer is not connected');
      const keys = diff.map((c) => c.key);
      echoes.sending(keys);
      try {
        const messages = diff.map((c) => ({ key: c.key, value: c.value ? JSON.stringify({ v: CONFIG_CHANGE_VERSION, kind: 'config-change', ts: deps.now(), user: c.value }) : null, headers }));
        // In sends under the topic's limit (read at start), in order, one at a time.
        for (const chunk of batches(messages, recordBytes, { maxBytes })) await producer.send({ topic, messages: chunk });
      } catch (err) {
        echoes.failed(keys);
        throw new NetmonError(ErrorCodes.KAFKA, `the users change is saved here but could not reach the other dashboard instances (${errorMessage(err)}); it goes out with the next change`, { cause: err, retriable: true });
      }
      for (const c of diff) {
        if (c.value) held.set(c.key, c.value);
        else held.delete(c.key);
      }
      records.inc({ result: 'published' }, diff.length);
      log.info({ changes: diff.map((c) => `${c.value ? 'set' : 'delete'} ${c.key}`) }, 'user changes published to the config topic');
    });
  }

  /** User records read before start finished (tombstones count): none = a topic to seed. */
  let readAtStart = 0;

  function onRecord(key: string, value: Record<string, unknown> | null, own: boolean): void {
    if (!started) readAtStart++;
    if (value) held.set(key, value);
    else held.delete(key);
    const verdict = echoes.seen(key, own);
    if (!started || verdict === 'own') return;
    if (verdict === 'behind-own') {
      records.inc({ result: 'behind' });
      return;
    }
    try {
      store!.applyRemote((d) => applyUserRecord(d, key, value));
      records.inc({ result: 'applied' });
    } catch (err) {
      records.inc({ result: 'rejected' });
      log.warn({ key, err: errorMessage(err) }, 'user record of another dashboard instance rejected');
      return;
    }
    // A lower session epoch than one seen here was not applied: the topic gets the higher one back.
    last = publish(store!.snapshot()).catch((err: unknown) => log.warn({ err: errorMessage(err) }, 'users: publishing failed'));
  }

  return {
    name: 'user-sync',
    attach(s) {
      store = s;
    },
    changed(data) {
      if (!started) return;
      last = publish(data);
      // Also awaited by settled(); here only so an unawaited failure is logged, not thrown away.
      last.catch((err: unknown) => log.warn({ err: errorMessage(err) }, 'users: publishing failed'));
    },
    settled: () => last,
    async start() {
      if (!store) throw new NetmonError(ErrorCodes.INTERNAL, 'user sync started without a store');
      producer = await connectOrderedProducer(client, kafka);
      maxBytes = sendBoundOf(await readMessageLimitsOf(client, [topic], log), [topic]);
      tail = await followTopic(client, topic, `${opts.groupIdPrefix}-users-follow`, (message) => {
        const key = message.key?.toString('utf8') ?? '';
        if (!isUserKey(key)) return;
        let value: Record<string, unknown> | null;
        try {
          value = decodeConfigChange(message.value)?.user ?? null;
        } catch (err) {
          records.inc({ result: 'rejected' });
          log.warn({ key, offset: message.offset, err: errorMessage(err) }, 'unreadable user record on the config topic ignored');
          return;
        }
        onRecord(key, value, originOf(message) === origin);
      }, { onCrash: (err) => log.error({ err: errorMessage(err) }, 'following the config topic (users) stopped') });
      // `netmon user` on this machine edits the file: looked at even when no request comes in (the
      // store reads the file when it changed and tells this replica).
      const s = store;
      fileCheck = setInterval(() => {
        try {
          s.snapshot();
        } catch (err) {
          log.warn({ err: errorMessage(err) }, 'users: reading the users file failed');
        }
      }, FILE_CHECK_MS);
      fileCheck.unref();
      const mine = store.snapshot();
      if (readAtStart === 0) {
        started = true;
        await publish(mine);
        log.info({ users: mine.users.length, tokens: mine.tokens.length }, 'users: the config topic had none; seeded from the users file (dashboard.shared)');
        return;
      }
      // The topic wins; a session epoch higher here than there is kept (and published), so no logout is undone.
      store.applyRemote((d) => {
        const fromTopic: UsersData = { users: [], tokens: [], epochs: {} };
        for (const [key, value] of held) applyUserRecord(fromTopic, key, value);
        for (const u of fromTopic.users) u.epoch = Math.max(u.epoch, d.users.find((x) => x.uid === u.uid)?.epoch ?? 0);
        for (const [uid, e] of Object.entries(d.epochs)) fromTopic.epochs[uid] = Math.max(e, fromTopic.epochs[uid] ?? 0);
        const changed = diffUserRecords(usersToRecords(d), fromTopic).length > 0;
        d.users = fromTopic.users;
        d.tokens = fromTopic.tokens;
        d.epochs = fromTopic.epochs;
        return changed;
      });
      started = true;
      await publish(store.snapshot());
      log.info({ users: store.snapshot().users.length }, 'users: the users file brought in line with the config topic (dashboard.shared)');
    },
    async stop() {
      started = false;
      if (fileCheck) clearInterval(fileCheck);
      fileCheck = null;
      await sends.idle();
      const t = tail;
      tail = null;
      await t?.stop();
      const p = producer;
      producer = null;
      await p?.disconnect();
    },
  };
}
