// The SNMP session port and its net-snmp adapter. The port is what polling logic needs — one
// bulk step over a set of columns — so the poller can be unit-tested with a recording fake, and v1
// (GETNEXT only) hides behind the same call. Errors are mapped to the catalogue (timeout, auth, bad reply).
import snmp from 'net-snmp';
import type { Varbind } from 'net-snmp';
import { ErrorCodes, NetmonError } from '../errors.js';
import type { DeviceConfig } from '../config/schema.js';
import { NoSuchNameError, v1GetNext } from './v1-getnext.js';
import type { RawVarbind } from './varbind.js';

export interface BulkResult {
  /** One varbind per non-repeater OID (value for the OID following it). */
  nonRepeaters: RawVarbind[];
  /** Per repeater OID, the varbinds that followed it (in order). */
  columns: RawVarbind[][];
  /** When the response arrived (ms, from the injected clock). */
  arrivedAt: number;
}

export interface SnmpSession {
  bulk(nonRepeaterOids: readonly string[], repeaterOids: readonly string[], maxRepetitions: number): Promise<BulkResult>;
  close(): void;
}

export interface SessionDefaults {
  timeoutMs: number;
  retries: number;
}

const AUTH: Record<string, unknown> = {
  md5: snmp.AuthProtocols.md5,
  sha: snmp.AuthProtocols.sha,
  sha224: snmp.AuthProtocols.sha224,
  sha256: snmp.AuthProtocols.sha256,
  sha384: snmp.AuthProtocols.sha384,
  sha512: snmp.AuthProtocols.sha512,
};
const PRIV: Record<string, unknown> = {
  des: snmp.PrivProtocols.des,
  aes: snmp.PrivProtocols.aes,
  aes256b: snmp.PrivProtocols.aes256b,
  aes256r: snmp.PrivProtocols.aes256r,
};

function mapError(device: DeviceConfig, err: unknown): NetmonError {
  const e = err as Error & { name?: string };
  const msg = e?.message ?? String(err);
  const where = `${device.id} (${device.host}:${device.port})`;
  if (e?.name === 'RequestTimedOutError' || /timed out/i.test(msg)) {
    return new NetmonError(ErrorCodes.SNMP_TIMEOUT, `SNMP request to ${where} timed out`, { cause: err, retriable: true });
  }
  if (/auth|usm|decrypt|unknown user|wrong digest|not in time window/i.test(msg)) {
    return new NetmonError(ErrorCodes.SNMP_AUTH, `SNMP authentication with ${where} failed: ${msg}`, { cause: err });
  }
  return new NetmonError(ErrorCodes.SNMP_PROTOCOL, `SNMP request to ${where} failed: ${msg}`, { cause: err, retriable: true });
}

const NO_SUCH_NAME = Number(snmp.ErrorStatus.NoSuchName);

/** net-snmp reports a v1 noSuchName as RequestFailedError(status 2, "NoSuchName: <oid of varbind k>"). */
function v1NoSuchName(err: unknown, oids: readonly string[]): NoSuchNameError | null {
  const e = err as { name?: string; status?: number; message?: string };
  if (e?.name !== 'RequestFailedError' || e.status !== NO_SUCH_NAME) return null;
  const m = /^NoSuchName: (\S+)$/.exec(e.message ?? '');
  const at = m ? oids.indexOf(m[1]) : -1;
  return new NoSuchNameError(at >= 0 ? at : null, e.message);
}

function toRaw(vb: Varbind): RawVarbind {
  return { oid: vb.oid, type: Number(vb.type), value: vb.value };
}

/** Opens a net-snmp session for a device (v1, v2c or v3); `now` stamps response arrival. */
export function createNetSnmpSession(device: DeviceConfig, defaults: SessionDefaults, now: () => number): SnmpSession {
  const timeout = device.timeoutMs ?? defaults.timeoutMs;
  const retries = device.retries ?? defaults.retries;
  const transport = device.host.includes(':') ? 'udp6' : 'udp4';
  const s = device.snmp;
  let session: snmp.Session;
  if (s.version === '3') {
    const level = s.level === 'noAuthNoPriv' ? snmp.SecurityLevel.noAuthNoPriv : s.level === 'authNoPriv' ? snmp.SecurityLevel.authNoPriv : snmp.SecurityLevel.authPriv;
    const user = {
      name: s.username,
      level,
      authProtocol: s.authProtocol ? AUTH[s.authProtocol] : undefined,
      authKey: s.authKey?.reveal(),
      privProtocol: s.privProtocol ? PRIV[s.privProtocol] : undefined,
      privKey: s.privKey?.reveal(),
    } as unknown as snmp.User;
    session = snmp.createV3Session(device.host, user, { port: device.port, timeout, retries, transport, version: snmp.Version3, context: s.context } as unknown as snmp.SessionOptionsV3);
  } else {
    session = snmp.createSession(device.host, s.community.reveal(), {
      port: device.port,
      timeout,
      retries,
      transport,
      version: s.version === '1' ? snmp.Version1 : snmp.Version2c,
    });
  }
  // A socket error must not crash the process; it surfaces as the request's error.
  (session as unknown as { on(ev: string, cb: (e: Error) => void): void }).on('error', () => undefined);
  const isV1 = s.version === '1';

  const getNext = (oids: string[]) =>
    new Promise<RawVarbind[]>((resolve, reject) => {
      session.getNext(oids, (err, vbs) => {
        if (!err) return resolve((vbs as Varbind[]).map(toRaw));
        const noSuchName = v1NoSuchName(err, oids);
        reject(noSuchName ?? mapError(device, err));
      });
    });

  return {
    async bulk(nonRepeaterOids, repeaterOids, maxRepetitions) {
      if (isV1) {
        // SNMPv1 has no GETBULK: one GETNEXT returns one row of every column (a column past its end
        // is a noSuchName for the whole request, which v1GetNext turns into "that column is done").
        const { varbinds } = await v1GetNext(getNext, [...nonRepeaterOids, ...repeaterOids]);
        const arrivedAt = now();
        const nr = nonRepeaterOids.length;
        return { nonRepeaters: varbinds.slice(0, nr), columns: varbinds.slice(nr).map((vb) => [vb]), arrivedAt };
      }
      const vbs = await new Promise<unknown[]>((resolve, reject) => {
        session.getBulk([...nonRepeaterOids, ...repeaterOids], nonRepeaterOids.length, maxRepetitions, (err, res) =>
          err ? reject(mapError(device, err)) : resolve(res as unknown[]),
        );
      });
      const arrivedAt = now();
      const nr = nonRepeaterOids.length;
      const nonRepeaters = (vbs.slice(0, nr) as Varbind[]).map(toRaw);
      const columns = repeaterOids.map((_oid, i) => {
        const col = vbs[nr + i];
        return Array.isArray(col) ? (col as Varbind[]).map(toRaw) : [];
      });
      return { nonRepeaters, columns, arrivedAt };
    },
    close() {
      try {
        session.close();
      } catch {
        // already closed
      }
    },
  };
}
