// The fault suite (issue 12, item 8): on the real stack, with the real processor as child
// processes, each fault leaves InfluxDB and netmon.windows holding exactly what an uninterrupted
// run of the same records gives (the pure engine over the records, see fault-harness.ts), field for
// field, and every rejected record in netmon.deadletter with a reason. Times are scaled down through
// config (20 s windows, 5 s polls, 30 s allowed lateness, 6 s session timeout) so the file takes
// about 8 minutes. Faults a-c run live (event time = the clock); d and e at 10x.
// Rules: this file pauses and kills the stack's own InfluxDB and Kafka (by their pid files) and
// restarts them with scripts/stack/up.sh, so it runs alone, as `npm test` runs every file; each
// test leaves the servers running and every child process stopped, whatever happens. It prints the
// table fault | records in | windows out | lost | duplicated | dead-lettered at the end.
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FaultRun, POLL_MS, SESSION_S, sleep, WINDOW_S } from './fault-harness.js';
import { clean, explain, formatTable, type Row } from './fault-verdict.js';
import { serverPid, signalServer, stackUp, type Member } from './fault-procs.js';
import { AWKWARD_IDS, baseStream, clockStep, devicePolls, hugeBatch, poisonRecords, type StreamOptions } from './fault-stream.js';
import { waitFor } from './stack.js';

const rows: Row[] = [];
const SETTLE_MS = 60_000;
const PCAP_LAG_MS = 17_000;
const W = WINDOW_S * 1000;

after(async () => {
  // Whatever failed: the stack's servers run again, unpaused.
  await ensureServers();
  const table = formatTable(rows);
  console.log(`\nfault suite (${WINDOW_S} s windows, ${POLL_MS / 1000} s polls, 30 s allowed lateness):\n${table}\n`);
  const dir = resolve(process.env.NETMON_TEST_ARTIFACTS ?? 'test-artifacts');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'faults-table.md'), `${table}\n`);
});

async function ensureServers(): Promise<void> {
  try {
    process.kill(serverPid('influx'), 'SIGCONT');
  } catch {
    // Not running (or no pid file): up.sh below starts it.
  }
  let kafkaUp = true;
  try {
    serverPid('kafka');
  } catch {
    kafkaUp = false;
  }
  if (!kafkaUp) await stackUp();
}

/** Runs one fault: `body` drives it (and returns a note for the table); then the verdict, the row, and clean exits. */
async function runFault(t: TestContext, fault: string, slug: string, body: (run: FaultRun) => Promise<string>): Promise<void> {
  const run = new FaultRun(slug);
  const row: Row = { fault, outcome: null, crashes: 0, unclean: [], note: '' };
  rows.push(row);
  try {
    await run.open();
    row.note = await body(run);
    const outcome = await run.settle(SETTLE_MS);
    row.outcome = outcome;
    row.crashes = run.members.reduce((s, m) => s + m.crashes(), 0);
    t.diagnostic(`${fault}: ${outcome.recordsIn} records in, ${outcome.windowsOut} windows out, lost ${outcome.lost}, extra ${outcome.extra}, duplicated ${outcome.duplicated}, conflicts ${outcome.conflicts}, dead letters ${outcome.deadLettered} for ${outcome.expectedDead} rejected records, processor exits ${row.crashes}; ${row.note}`);
    if (!clean(outcome)) {
      // Every difference, for the post-mortem (the message shows the first ones).
      const dir = resolve(process.env.NETMON_TEST_ARTIFACTS ?? 'test-artifacts');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `faults-${slug}-differences.txt`), `${outcome.diffs.join('\n')}\n`);
    }
    assert.ok(clean(outcome), `${fault}: not what an uninterrupted run of the same records gives\n${explain(outcome, run.members)}`);
    for (const m of run.members) {
      const code = await m.stop();
      if (code !== 0) row.unclean.push(`${m.name} ${code === null ? 'did not exit within 30 s of SIGTERM' : `exited ${code} on SIGTERM`}`);
      assert.equal(code, 0, `${m.name} exits cleanly on SIGTERM\n${m.stderr().slice(-1500)}`);
    }
  } catch (err) {
    row.note ||= (err as Error).message.split('\n')[0];
    throw err;
  } finally {
    await run.close();
  }
}

/**
 * Live streams start at the next window boundary at least 4 s away: the member has joined before the
 * first record, and each fault falls at its stated time into a stream that is being consumed (not
 * into the member's start, as it could when the stream started at the current window's boundary).
 */
const liveStart = () => Math.ceil((Date.now() + 4_000) / W) * W;
const options = (t0: number, polls: number): StreamOptions => ({ t0, polls, pollMs: POLL_MS, pcapLagMs: PCAP_LAG_MS });

/** Starts streaming in the background (its failure surfaces where it is awaited). */
function background(p: Promise<void>): Promise<void> {
  p.catch(() => undefined);
  return p;
}

// The control: the same kind of stream without a fault must come out exact, or the harness is wrong.
test('control: no fault, the stream comes out exact', { timeout: 5 * 60_000 }, async (t) => {
  await runFault(t, 'none (control)', 'control', async (run) => {
    const t0 = Math.floor((Date.now() - 10 * 60_000) / W) * W;
    await run.member('p');
    await run.stream(baseStream(options(t0, 16)), { t0, speed: 10 });
    return '';
  });
});

test('fault a: InfluxDB paused (SIGSTOP) 60 s, longer than the allowed lateness, while records keep arriving', { timeout: 7 * 60_000 }, async (t) => {
  await runFault(t, 'a. InfluxDB SIGSTOP 60 s', 'a', async (run) => {
    const t0 = liveStart();
    await run.member('p');
    const streaming = background(run.stream(baseStream(options(t0, 20)), { t0, speed: 1 }));
    let paused = false;
    try {
      await run.until(t0 + 20_000);
      await signalServer('influx', 'SIGSTOP');
      paused = true;
      await run.until(t0 + 80_000);
    } finally {
      if (paused) await signalServer('influx', 'SIGCONT');
    }
    await streaming;
    return 'InfluxDB stopped at 20 s, continued at 80 s of a 100 s stream';
  });
});

test('fault b: the broker killed (SIGKILL, later SIGTERM) and restarted mid-stream', { timeout: 7 * 60_000 }, async (t) => {
  await runFault(t, 'b. Kafka SIGKILL + SIGTERM', 'b', async (run) => {
    const t0 = liveStart();
    await run.member('p');
    const streaming = background(run.stream(baseStream(options(t0, 14)), { t0, speed: 1 }));
    const downs: string[] = [];
    try {
      for (const [at, sig] of [[15_000, 'SIGKILL'], [40_000, 'SIGTERM']] as const) {
        await run.until(t0 + at);
        const since = Date.now();
        await signalServer('kafka', sig);
        await stackUp();
        downs.push(`${sig} at ${at / 1000} s, up again after ${((Date.now() - since) / 1000).toFixed(1)} s`);
      }
    } finally {
      await ensureServers();
    }
    await streaming;
    return downs.join('; ');
  });
});

// The stall that fencing is for: a member stops while it still has windows to write, another takes
// its partitions and writes newer revisions (a late pcap source on every partition makes them), and
// the first wakes up with its old queue. So that it has a queue when it stops, InfluxDB is paused a
// few seconds first (a slow store), and continued once the member is stopped.
test('fault c: a processor paused (SIGSTOP) past the session timeout while a second takes over, then resumed', { timeout: 7 * 60_000 }, async (t) => {
  await runFault(t, 'c. processor SIGSTOP, other takes over', 'c', async (run) => {
    const t0 = liveStart();
    const a = await run.member('a');
    const streaming = background(run.stream(baseStream(options(t0, 14), [0, 1, 2, 3, 4]), { t0, speed: 1 }));
    await run.until(t0 + 8_000);
    const b = await run.member('b');
    const consumed = async (m: Member) => (await m.metric('netmon_processor_records_total')) + (await m.metric('netmon_processor_replayed_records_total'));
    await waitFor('both members to consume', async () => (await consumed(a)) > 0 && (await consumed(b)) > 0, 60_000, 200);
    const unwritten = async () => (await a.metric('netmon_processor_windows_emitted_total')) - (await a.metric('netmon_processor_windows_written_total'));
    let queued = 0;
    let stoppedFor = 0;
    let influxPaused = false;
    let aStopped = false;
    let replayedBefore = 0;
    try {
      await run.until(t0 + 25_000);
      await signalServer('influx', 'SIGSTOP');
      influxPaused = true;
      await waitFor('a to queue windows behind the paused store', async () => (queued = await unwritten()) > 0, 30_000, 100);
      replayedBefore = await b.metric('netmon_processor_replayed_records_total');
      a.signal('SIGSTOP');
      aStopped = true;
      const stoppedAt = Date.now();
      await signalServer('influx', 'SIGCONT');
      influxPaused = false;
      await waitFor("b to take over a's partitions (it replays them)", async () => (await b.metric('netmon_processor_replayed_records_total')) > replayedBefore, 60_000, 200);
      // Held past three session timeouts, so b writes newer revisions of a's queued windows first.
      await sleep(Math.max(0, stoppedAt + 3 * SESSION_S * 1000 - Date.now()));
      stoppedFor = Date.now() - stoppedAt;
    } finally {
      if (influxPaused) await signalServer('influx', 'SIGCONT');
      if (aStopped) a.signal('SIGCONT');
    }
    await streaming;
    return `a stopped ${(stoppedFor / 1000).toFixed(0)} s with ${queued} windows queued (InfluxDB paused ~until then); b replayed ${(await b.metric('netmon_processor_replayed_records_total')) - replayedBefore} records`;
  });
});

test('fault d: a collector clock step (two devices\' polls 2 h ahead for three polls)', { timeout: 5 * 60_000 }, async (t) => {
  await runFault(t, 'd. collector clock step', 'd', async (run) => {
    const now = Date.now();
    const t0 = Math.floor((now - 10 * 60_000) / W) * W;
    const records = clockStep(baseStream(options(t0, 16)), ['f-06', 'f-07'], 6, 8, now, 2 * 3600_000);
    await run.member('p');
    await run.stream(records, { t0, speed: 10 });
    return '6 polls dead-lettered as future, the rest must be exact';
  });
});

test('fault e: poison records and a huge batch among valid records', { timeout: 5 * 60_000 }, async (t) => {
  await runFault(t, 'e. poison records, huge batch', 'e', async (run) => {
    const now = Date.now();
    const t0 = Math.floor((now - 10 * 60_000) / W) * W;
    const o = options(t0, 16);
    const records = [
      ...baseStream(o),
      ...devicePolls(o, 10, AWKWARD_IDS[0], 3, 2),
      ...devicePolls(o, 11, AWKWARD_IDS[1], 4, 2),
      ...poisonRecords(o, t0 + 6 * POLL_MS + 2_500, now),
      ...hugeBatch(o, t0 + 16 * POLL_MS, 1000),
    ];
    await run.member('p');
    await run.stream(records, { t0, speed: 10 });
    return `poison: 200 KB key, 1 MB kind, 0..8.64e15 delta, 10 years ahead, newline id, invalid JSON, 60-day-old and year-2300 imports; valid ids ${AWKWARD_IDS.map((s) => JSON.stringify(s)).join(', ')}; 16 x 1000-interface samples at once`;
  });
});
