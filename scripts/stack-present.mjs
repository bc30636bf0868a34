// Whether the local stack is (even partly) there, for the commands that start it and must stop only
// what they started (`npm start`, `npm test`): a pid file naming a live process, or a port the stack
// uses already taken. A half-running stack (a server that lost its pid file, one that died) is
// somebody's, and is left alone.
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export function parseEnv(file) {
  const out = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

function pidAlive(file) {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (!pid) return false;
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether a TCP port (listen) or UDP port (bind) on 127.0.0.1 is taken. */
function portTaken(proto, port) {
  return new Promise((done) => {
    if (proto === 'udp') {
      const s = createSocket('udp4');
      s.once('error', () => done(true));
      s.bind(port, '127.0.0.1', () => s.close(() => done(false)));
    } else {
      const srv = createServer();
      srv.once('error', () => done(true));
      srv.listen(port, '127.0.0.1', () => srv.close(() => done(false)));
    }
  });
}

/**
 * Whether any part of the stack is already there: a pid file naming a live process, or a port the
 * stack uses already taken. Only a stack this run started from nothing is stopped at the end; a
 * half-running one (a server that lost its pid file, one that died) is somebody's, and is left alone.
 * `e`: the environment the stack's ports come from (NETMON_*_PORT).
 */
export async function stackPresent(stackDir, e = process.env) {
  const stackEnv = join(stackDir, 'env');
  const env = existsSync(stackEnv) ? parseEnv(stackEnv) : {};
  if (['NETMON_KAFKA_PID_FILE', 'NETMON_INFLUX_PID_FILE', 'NETMON_SNMPD_PID_FILE'].some((k) => env[k] && pidAlive(env[k]))) return true;
  const portOf = (text) => Number(/:(\d+)(?:\/|$)/.exec(text ?? '')?.[1]) || null;
  const ports = [
    ['tcp', Number(e.NETMON_KAFKA_PORT) || 19092], ['tcp', Number(e.NETMON_KAFKA_CONTROLLER_PORT) || 19093],
    ['tcp', Number(e.NETMON_INFLUX_PORT) || 18086], ['tcp', Number(e.NETMON_INFLUX_RPC_PORT) || 18088],
    ['udp', Number(e.NETMON_SNMP_PORT) || 11161],
    ['tcp', portOf(env.NETMON_KAFKA_BROKERS)], ['tcp', portOf(env.NETMON_INFLUX_URL)], ['udp', Number(env.NETMON_SNMP_PORT) || null],
  ].filter(([, p]) => p);
  for (const [proto, port] of ports) if (await portTaken(proto, port)) return true;
  return false;
}
