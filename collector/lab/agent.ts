// One simulated device's SNMP agent. net-snmp's Agent does the protocol work — decoding, the community
// and v3 user checks (SHA + AES), v3 engine discovery, encoding and encrypting replies — and the lab's
// MIB (mib.ts) answers the requests from the device model at request time. The UDP socket is the lab's
// own: bound in start() (so a port in use fails the start), closed in stop(), and the one place where a
// dead device drops datagrams and a slow one delays them.
//
// net-snmp 3.29 internals relied on, checked when the agent is created: the Agent's `dgramModule`
// option (a socket factory; given an inert one, so the Agent binds nothing itself), `onMsg(socket,
// buffer, rinfo)`, the request methods it dispatches to (getRequest, getNextRequest, getBulkRequest,
// setRequest), `message.version`, `message.pdu` ({type, varbinds, nonRepeaters, maxRepetitions,
// getResponsePduForRequest()}) and `sendResponse(socket, rinfo, message, responsePdu)`.
// A v3 message that fails authentication or decryption gets a usmStatsWrongDigests /
// usmStatsDecryptionErrors report, as snmpd sends (net-snmp's Agent only drops it, which a manager
// cannot tell from a dead device): that uses the Agent's `listener` (its class's static
// processIncoming, to get net-snmp's Message class), `engine`, `context`, and
// Message.createFromBuffer / createReportResponseMessage / listener.send.
import dgram from 'node:dgram';
import snmp from 'net-snmp';
import type { DeviceModel } from './device.js';
import { answer, ERROR_STATUS, TAG, type MibShape, type Reply } from './mib.js';
import { V3_VARIANTS, variantUser } from './v3-users.js';

/** Counters shared by every agent of a lab (everything that moves gets a counter). */
export interface AgentStats {
  /** Requests answered. */
  requests: number;
  /** Varbinds in those answers. */
  varbinds: number;
  /** Datagrams a dead device dropped. */
  dropped: number;
  /** Datagrams a slow device held back before answering. */
  delayed: number;
  /** Messages net-snmp refused (unknown community or user, bad authentication, garbage). */
  rejected: number;
  /** Requests that failed inside the lab (answered genErr) or replies that could not be sent. */
  failures: number;
}

export function emptyStats(): AgentStats {
  return { requests: 0, varbinds: 0, dropped: 0, delayed: 0, rejected: 0, failures: 0 };
}

export interface V3User {
  user: string;
  authKey: string;
  privKey: string;
}

export interface LabAgentOptions {
  device: DeviceModel;
  /** The device's MIB layout now (it changes when the device is renumbered). */
  shape: () => MibShape;
  host: string;
  port: number;
  community: string;
  v3?: V3User;
  /** Ms since the lab started: the instant a request is answered at. */
  now: () => number;
  stats: AgentStats;
  /** A running error (the caller rate-limits its log). */
  onError: (kind: 'rejected' | 'failure' | 'socket', err: unknown) => void;
}

export interface LabAgent {
  start(): Promise<void>;
  /** Idempotent; safe when start() failed or never ran. */
  stop(): Promise<void>;
}

interface NsPdu {
  type: number;
  varbinds: Array<{ oid: string }>;
  nonRepeaters?: number;
  maxRepetitions?: number;
  getResponsePduForRequest(): NsResponsePdu;
}
interface NsResponsePdu {
  varbinds: unknown[];
  errorStatus?: number;
  errorIndex?: number;
}
interface NsMessage {
  version: number;
  pdu: NsPdu;
}
type NsHandler = (socket: dgram.Socket, message: NsMessage, rinfo: dgram.RemoteInfo) => void;
interface NsAgent {
  getAuthorizer(): { addCommunity(c: string): void; addUser(u: object): void };
  onMsg(socket: dgram.Socket, buffer: Buffer, rinfo: dgram.RemoteInfo): void;
  sendResponse(socket: dgram.Socket, rinfo: dgram.RemoteInfo, message: NsMessage, pdu: NsResponsePdu): void;
  close(): void;
  getRequest: NsHandler;
  getNextRequest: NsHandler;
  getBulkRequest: NsHandler;
  setRequest: NsHandler;
  listener: { send(message: object, rinfo: dgram.RemoteInfo, socket: dgram.Socket): void; constructor: unknown };
  engine: object;
  context: string;
}
interface NsMessageClass {
  createFromBuffer(buffer: Buffer): { version: number; isReportable(): number | boolean; createReportResponseMessage(engine: object, context: string, errorType: string): object };
}

/** RFC 3414 usmStats error types (net-snmp's UsmErrorType). */
const USM_WRONG_DIGESTS = '5';
const USM_DECRYPTION_ERROR = '6';

/** What kind of v3 security failure an error from net-snmp's Agent is, if it is one. */
function securityFailure(err: unknown): string | null {
  const e = err as { name?: string; code?: number; message?: string };
  if (e?.name === 'ResponseInvalidError' && e.code === snmp.ResponseInvalidCode.EAuthFailure) return USM_WRONG_DIGESTS;
  if (/^Failed to decrypt PDU/.test(e?.message ?? '')) return USM_DECRYPTION_ERROR;
  return null;
}

let messageClass: NsMessageClass | null = null;
/** net-snmp's (unexported) Message class, from a message its Listener parses: a minimal v1 GetRequest. */
function nsMessageClass(agent: NsAgent): NsMessageClass {
  if (messageClass) return messageClass;
  const listener = (agent.listener as { constructor: { processIncoming?: (b: Buffer, a: object, cb: () => void) => unknown } }).constructor;
  const probe = Buffer.from('30130201000401' + '78' + 'a00b020101020100020100' + '3000', 'hex');
  const parsed = listener.processIncoming?.(probe, { communities: ['x'], users: [], disableAuthorization: false }, () => undefined) as { constructor?: NsMessageClass } | undefined;
  const cls = parsed?.constructor;
  if (typeof cls?.createFromBuffer !== 'function') throw new Error("cannot reach net-snmp's Message class: this lab is written against net-snmp 3.29 internals");
  return (messageClass = cls);
}

/** A socket factory whose sockets do nothing: net-snmp's Agent must not bind its own. */
const INERT_DGRAM = {
  createSocket() {
    const inert = {
      on: () => inert,
      bind: () => undefined,
      close: (cb?: () => void) => cb?.(),
      address: () => ({ address: '', family: '', port: 0 }),
    };
    return inert;
  },
};

function createNsAgent(o: LabAgentOptions, onAgentError: (err: unknown) => void): NsAgent {
  const transport = o.host.includes(':') ? 'udp6' : 'udp4';
  const agent = snmp.createAgent({ port: o.port, address: o.host, transport, engineID: o.device.engineId.toString('hex'), dgramModule: INERT_DGRAM, disableAuthorization: false }, (err: unknown) => {
    if (err) onAgentError(err);
  }) as NsAgent;
  for (const m of ['onMsg', 'sendResponse', 'getRequest', 'getNextRequest', 'getBulkRequest', 'setRequest'] as const) {
    if (typeof agent[m] !== 'function') throw new Error(`net-snmp's Agent has no ${m}(): this lab is written against net-snmp 3.29 internals`);
  }
  if (typeof agent.listener?.send !== 'function' || !agent.engine) throw new Error("net-snmp's Agent has no listener.send() or engine: this lab is written against net-snmp 3.29 internals");
  nsMessageClass(agent);
  const auth = agent.getAuthorizer();
  auth.addCommunity(o.community);
  if (o.v3) {
    for (const v of V3_VARIANTS) {
      auth.addUser({
        name: variantUser(o.v3.user, v),
        level: snmp.SecurityLevel[v.level],
        ...(v.authProtocol ? { authProtocol: snmp.AuthProtocols[v.authProtocol], authKey: o.v3.authKey } : {}),
        ...(v.privProtocol ? { privProtocol: snmp.PrivProtocols[v.privProtocol], privKey: o.v3.privKey } : {}),
      });
    }
  }
  return agent;
}

export function createLabAgent(o: LabAgentOptions): LabAgent {
  const { device, shape, stats } = o;
  let socket: dgram.Socket | null = null;
  let agent: NsAgent | null = null;
  const held = new Set<NodeJS.Timeout>();
  /** Set (synchronously, from inside onMsg) when the datagram being delivered failed v3 security. */
  let securityError: string | null = null;

  const respond: NsHandler = (sock, message, rinfo) => {
    const pdu = message.pdu;
    let reply: Reply;
    try {
      reply = answer(shape(), device, o.now(), {
        version: message.version,
        type: pdu.type,
        oids: pdu.varbinds.map((v) => v.oid),
        nonRepeaters: pdu.nonRepeaters ?? 0,
        maxRepetitions: pdu.maxRepetitions ?? 0,
      });
    } catch (err) {
      stats.failures++;
      o.onError('failure', err);
      reply = { errorStatus: ERROR_STATUS.genErr, errorIndex: 1, varbinds: pdu.varbinds.map((v) => ({ oid: v.oid, type: TAG.Null, value: null })) };
    }
    const response = pdu.getResponsePduForRequest();
    response.varbinds = reply.varbinds;
    response.errorStatus = reply.errorStatus;
    response.errorIndex = reply.errorIndex;
    try {
      agent!.sendResponse(sock, rinfo, message, response);
      stats.requests++;
      stats.varbinds += reply.varbinds.length;
    } catch (err) {
      stats.failures++;
      o.onError('failure', err);
    }
  };

  const deliver = (sock: dgram.Socket, buffer: Buffer, rinfo: dgram.RemoteInfo) => {
    if (device.dead || agent === null) {
      stats.dropped++;
      return;
    }
    securityError = null;
    try {
      agent.onMsg(sock, buffer, rinfo);
    } catch (err) {
      stats.failures++;
      o.onError('failure', err);
    }
    if (securityError !== null) {
      const errorType = securityError;
      securityError = null;
      try {
        const request = nsMessageClass(agent).createFromBuffer(buffer);
        if (request.version === snmp.Version3 && request.isReportable()) agent.listener.send(request.createReportResponseMessage(agent.engine, agent.context, errorType), rinfo, sock);
      } catch (err) {
        stats.failures++;
        o.onError('failure', err);
      }
    }
  };

  return {
    async start() {
      if (socket) return;
      const a = createNsAgent(o, (err) => {
        securityError = securityFailure(err);
        stats.rejected++;
        o.onError('rejected', err);
      });
      a.getRequest = respond;
      a.getNextRequest = respond;
      a.getBulkRequest = respond;
      a.setRequest = respond;
      const s = dgram.createSocket(o.host.includes(':') ? 'udp6' : 'udp4');
      socket = s;
      try {
        await new Promise<void>((resolve, reject) => {
          s.once('error', reject);
          s.bind(o.port, o.host, () => {
            s.off('error', reject);
            resolve();
          });
        });
      } catch (err) {
        socket = null;
        try {
          s.close();
        } catch {
          // never bound
        }
        throw err;
      }
      agent = a;
      s.on('error', (err) => o.onError('socket', err));
      s.on('message', (buffer, rinfo) => {
        if (device.dead) {
          stats.dropped++;
          return;
        }
        if (device.slowMs > 0) {
          stats.delayed++;
          const timer = setTimeout(() => {
            held.delete(timer);
            deliver(s, buffer, rinfo);
          }, device.slowMs);
          held.add(timer);
          return;
        }
        deliver(s, buffer, rinfo);
      });
    },
    async stop() {
      for (const t of held) clearTimeout(t);
      held.clear();
      agent?.close();
      agent = null;
      const s = socket;
      socket = null;
      if (!s) return;
      await new Promise<void>((resolve) => {
        try {
          s.close(() => resolve());
        } catch {
          resolve(); // never bound or already closed
        }
      });
    },
  };
}
