// REST routes of device administration: CRUD, enable/disable, interfaces, status, test connection
// and bulk import. Rules: every route has a fastify schema (params, query, body shape; the OpenAPI
// document is generated from them), and the device itself is checked by the config schema (zod)
// so there is one definition of a valid device; bad input is a 400 whose message starts with
// `body/<field path>`. Devices leave only through redactDevice (secrets read "(set)"). Writes run
// need role admin, reads viewer (config.role; the auth plugin checks). Handlers throw catalogue errors; dashboard/http-errors.ts answers them.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { DEVICE_ID_PATTERN, deviceSchema, type DeviceConfig } from '../../common/config/schema.js';
import { InputError, NotFoundError } from '../../common/errors.js';
import { errorReplySchema as errorReply, throwInBody } from '../http-errors.js';
import type { DeviceStore } from './device-store.js';
import { detectFormat, parseImport, IMPORT_COLUMNS } from './import.js';
import { probeError, probeFailure, type ProbeResult } from './probe.js';
import { redactDevice, validateDevice } from './validate.js';

export interface DeviceRoutesDeps {
  store: DeviceStore;
  /** Live SNMP probe of a device, with the session code the collector polls with (common/snmp). */
  probe: (device: DeviceConfig) => Promise<ProbeResult>;
  statusOf?: (deviceId: string) => unknown;
  /** The device's interfaces as seen in its latest windows (no SNMP traffic). */
  recentInterfaces?: (deviceId: string) => { ifIndex: number; ifName: string; speed: number | null }[];
}

/** The device as JSON schema, for the OpenAPI document (the check itself is the zod schema). */
export const deviceJsonSchema: Record<string, unknown> = (() => {
  const s = z.toJSONSchema(deviceSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete s.$schema;
  return s;
})();

const idParams = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: { type: 'string', pattern: DEVICE_ID_PATTERN.source, description: 'Device id' } },
} as const;

/** Shape check only: the body must be a JSON object; the config schema judges the rest. */
const deviceBody = { type: 'object', description: 'A device, as in devices.yaml. Secrets may be "(set)" or left out on updates to keep the stored value.' } as const;

const redactedDevice = { type: 'object', additionalProperties: true, description: 'The device; every SNMP secret reads "(set)"' } as const;

const probeReply = {
  type: 'object',
  required: ['ok'],
  properties: {
    ok: { type: 'boolean' },
    sysName: { type: 'string' },
    sysDescr: { type: 'string' },
    interfaceCount: { type: 'integer' },
    code: { type: 'string', description: 'On failure: NETMON_ERR_SNMP_TIMEOUT, NETMON_ERR_SNMP_AUTH, ...' },
    message: { type: 'string' },
  },
} as const;

const importReply = {
  type: 'object',
  properties: {
    applied: { type: 'integer' },
    failed: { type: 'integer' },
    rows: {
      type: 'array',
      items: {
        type: 'object',
        properties: { row: { type: 'integer' }, line: { type: 'integer' }, id: { type: 'string' }, ok: { type: 'boolean' }, action: { type: 'string' }, field: { type: 'string' }, error: { type: 'string' } },
      },
    },
  },
} as const;

const interfacesReply = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    source: { type: 'string' },
    sysName: { type: 'string' },
    interfaces: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          ifIndex: { type: 'integer' },
          ifName: { type: 'string' },
          ifDescr: { type: 'string' },
          ifAlias: { type: 'string' },
          ifType: { type: ['integer', 'null'] },
          speed: { type: ['number', 'null'] },
          adminStatus: { type: 'string' },
          operStatus: { type: 'string' },
        },
      },
    },
  },
} as const;

/** The interfaces of a device in a list of windows: the latest name and speed per ifIndex, ordered. */
export function interfacesInWindows(windows: readonly { deviceId: string; ifIndex: number | null; ifName: string | null; speed: number | null; windowStart: number }[], deviceId: string): { ifIndex: number; ifName: string; speed: number | null }[] {
  const latest = new Map<number, { ifIndex: number; ifName: string; speed: number | null; at: number }>();
  for (const w of windows) {
    if (w.deviceId !== deviceId || w.ifIndex === null) continue;
    const prev = latest.get(w.ifIndex);
    if (!prev || w.windowStart >= prev.at) latest.set(w.ifIndex, { ifIndex: w.ifIndex, ifName: w.ifName ?? '', speed: w.speed, at: w.windowStart });
  }
  return [...latest.values()].sort((a, b) => a.ifIndex - b.ifIndex).map(({ ifIndex, ifName, speed }) => ({ ifIndex, ifName, speed }));
}

function withStatus(d: DeviceConfig, statusOf?: (id: string) => unknown): Record<string, unknown> {
  const out = redactDevice(d);
  if (statusOf) out.status = statusOf(d.id) ?? null;
  return out;
}

// Reading the device list (hosts, tags, poll status; never a secret) is for viewers; changing it, its
// file and the SNMP probe (which sends packets to any host named) for admins.
const viewer = { role: 'viewer' } as const;
const admin = { role: 'admin' } as const;

export function registerDeviceRoutes(app: FastifyInstance, deps: DeviceRoutesDeps): void {
  const { store } = deps;
  const tags = ['devices'];
  const mustGet = (id: string): DeviceConfig => {
    const d = store.get(id);
    if (!d) throw new NotFoundError(`no device with id "${id}"`);
    return d;
  };

  // Import bodies arrive as text.
  app.addContentTypeParser(['text/csv', 'application/yaml', 'application/x-yaml', 'text/yaml'], { parseAs: 'string', bodyLimit: 8 * 1024 * 1024 }, (_req, body, done) => done(null, body));

  app.get<{ Params: { id: string } }>('/api/devices/:id', { config: viewer, schema: { tags, summary: 'One device (secrets read "(set)")', params: idParams, response: { 200: redactedDevice, 404: errorReply } } }, (req) => withStatus(mustGet(req.params.id), deps.statusOf));

  app.post('/api/devices', { config: { ...admin, docsBody: deviceJsonSchema }, schema: { tags, summary: 'Add a device', body: deviceBody, response: { 201: redactedDevice, 400: errorReply, 409: errorReply } } }, async (req, reply) => {
    const d = await store.create(req.body).catch(throwInBody);
    return reply.code(201).send(withStatus(d, deps.statusOf));
  });

  app.put<{ Params: { id: string } }>('/api/devices/:id', { config: { ...admin, docsBody: deviceJsonSchema }, schema: { tags, summary: 'Replace a device (omitted secrets are kept)', params: idParams, body: deviceBody, response: { 200: redactedDevice, 400: errorReply, 404: errorReply } } }, async (req) => withStatus(await store.replace(req.params.id, req.body).catch(throwInBody), deps.statusOf));

  app.patch<{ Params: { id: string } }>('/api/devices/:id', { config: admin, schema: { tags, summary: 'Change some fields of a device (JSON merge patch; null removes a field)', params: idParams, body: deviceBody, response: { 200: redactedDevice, 400: errorReply, 404: errorReply } } }, async (req) => withStatus(await store.patch(req.params.id, req.body).catch(throwInBody), deps.statusOf));

  app.delete<{ Params: { id: string } }>('/api/devices/:id', { config: admin, schema: { tags, summary: 'Remove a device (tombstone on netmon.config)', params: idParams, response: { 404: errorReply } } }, async (req, reply) => {
    await store.remove(req.params.id);
    return reply.code(204).send();
  });

  for (const action of ['enable', 'disable'] as const) {
    app.post<{ Params: { id: string } }>(`/api/devices/:id/${action}`, { config: admin, schema: { tags, summary: `${action === 'enable' ? 'Start' : 'Stop'} polling a device`, params: idParams, response: { 200: redactedDevice, 404: errorReply } } }, async (req) => withStatus(await store.setEnabled(req.params.id, action === 'enable'), deps.statusOf));
  }

  app.get<{ Params: { id: string } }>('/api/devices/:id/status', { config: viewer, schema: { tags, summary: 'Poll status of a device', params: idParams, response: { 200: { type: 'object', properties: { id: { type: 'string' }, enabled: { type: 'boolean' }, status: {} } }, 404: errorReply } } }, (req) => {
    const d = mustGet(req.params.id);
    return { id: d.id, enabled: d.enabled, status: deps.statusOf?.(d.id) ?? null };
  });

  app.get<{ Params: { id: string }; Querystring: { source?: 'live' | 'recent' } }>(
    '/api/devices/:id/interfaces',
    {
      // A live discovery sends SNMP requests: the same as the probe, admin only.
      config: admin,
      schema: {
        tags,
        summary: "A device's interfaces: by a live SNMP discovery (default), or from its latest windows (source=recent, no SNMP traffic)",
        params: idParams,
        querystring: { type: 'object', additionalProperties: false, properties: { source: { type: 'string', enum: ['live', 'recent'], default: 'live' } } },
        response: { 200: interfacesReply, 404: errorReply, 502: errorReply },
      },
    },
    async (req) => {
      const d = mustGet(req.params.id);
      if (req.query.source === 'recent') {
        const seen = deps.recentInterfaces?.(d.id) ?? [];
        return { id: d.id, source: 'recent', interfaces: seen.map((i) => ({ ifIndex: i.ifIndex, ifName: i.ifName, speed: i.speed })) };
      }
      try {
        const r = await deps.probe(d);
        return { id: d.id, source: 'live', sysName: r.sysName, interfaces: r.interfaces };
      } catch (err) {
        throw probeError(err);
      }
    },
  );

  app.post('/api/devices/test-connection', { config: { ...admin, docsBody: deviceJsonSchema }, schema: { tags, summary: 'Probe a device (saved or not) over SNMP: sysName, sysDescr, interface count, or the error', body: deviceBody, response: { 200: probeReply, 400: errorReply } } }, async (req) => {
    let device: DeviceConfig;
    try {
      const body = req.body as Record<string, unknown>;
      const existing = typeof body.id === 'string' ? store.get(body.id) : undefined;
      device = validateDevice(body, existing);
    } catch (err) {
      throwInBody(err);
    }
    try {
      const r = await deps.probe(device);
      return { ok: true, sysName: r.sysName, sysDescr: r.sysDescr, interfaceCount: r.interfaceCount };
    } catch (err) {
      return { ok: false, ...probeFailure(err) };
    }
  });

  app.post<{ Querystring: { format?: 'csv' | 'yaml' } }>(
    '/api/devices/import',
    {
      config: admin,
      schema: {
        tags,
        summary: `Bulk import (text/csv with columns ${IMPORT_COLUMNS.join(', ')}; or application/yaml, a devices: list): valid rows are saved, each row reported`,
        querystring: { type: 'object', additionalProperties: false, properties: { format: { type: 'string', enum: ['csv', 'yaml'], description: 'Overrides the Content-Type' } } },
        body: { type: 'string', description: 'CSV or YAML text' },
        response: { 200: importReply, 400: errorReply },
      },
    },
    async (req) => {
      const text = req.body as string;
      let rows;
      try {
        rows = parseImport(text, req.query.format ?? detectFormat(req.headers['content-type'], text));
      } catch (err) {
        // The body as a whole cannot be read: its field is the line (`line 3`), not a path.
        if (err instanceof InputError) throw new InputError(err.field, err.problem, { message: `body: ${err.message}`, cause: err });
        throw err;
      }
      const results = await store.importRows(rows);
      return { applied: results.filter((r) => r.ok).length, failed: results.filter((r) => !r.ok).length, rows: results };
    },
  );

  app.get('/api/devices-file', { config: admin, schema: { tags, summary: 'The devices file and the last hand edit that could not be used', response: { 200: { type: 'object', properties: { file: { type: 'string' }, devices: { type: 'integer' }, problem: { type: ['object', 'null'], properties: { message: { type: 'string' }, at: { type: 'integer' } } } } } } } }, () => ({
    file: store.file,
    devices: store.list().length,
    problem: store.fileProblem(),
  }));

}
