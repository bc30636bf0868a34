// The one configuration schema: every field has a default (where one makes sense) and a description,
// unknown keys are rejected (strict objects), cross-field rules live here. `netmon config-reference`
// prints this schema as the reference table in README.md.
import { z } from 'zod';
import { Secret, SecretUrl } from './secret.js';
import { DEVICE_ID_PATTERN, deviceIdSchema } from '../contracts/device-id.js';

const secret = z.string().min(1, 'must not be empty').transform((s) => new Secret(s));
const port = z.number().int().min(1).max(65535);

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export const SNMP_VERSIONS = ['1', '2c', '3'] as const;
export const SNMP_V3_LEVELS = ['noAuthNoPriv', 'authNoPriv', 'authPriv'] as const;
export const SNMP_AUTH_PROTOCOLS = ['md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512'] as const;
export const SNMP_PRIV_PROTOCOLS = ['des', 'aes', 'aes256b', 'aes256r'] as const;
/** The device id's character set (common/contracts/device-id.ts), re-exported for the JSON schemas that import it from here. */
export { DEVICE_ID_PATTERN };

const snmpCommunity = z.strictObject({
  version: z.enum(['1', '2c']).describe('SNMP version: "1" or "2c" (community based)'),
  community: secret.describe('Community string (secret: never logged or printed)'),
});

const snmpV3 = z
  .strictObject({
    version: z.literal('3').describe('SNMP version 3 (user based security)'),
    username: z.string().min(1).max(32).describe('USM user name'),
    level: z.enum(SNMP_V3_LEVELS).default('authPriv').describe('Security level'),
    authProtocol: z.enum(SNMP_AUTH_PROTOCOLS).optional().describe('Authentication protocol (authNoPriv, authPriv)'),
    authKey: secret.optional().describe('Authentication passphrase (secret)'),
    privProtocol: z.enum(SNMP_PRIV_PROTOCOLS).optional().describe('Privacy protocol (authPriv)'),
    privKey: secret.optional().describe('Privacy passphrase (secret)'),
    context: z.string().max(64).default('').describe('SNMPv3 context name'),
  })
  .superRefine((v, ctx) => {
    if (v.level !== 'noAuthNoPriv') {
      if (!v.authProtocol) ctx.addIssue({ code: 'custom', path: ['authProtocol'], message: `required for level ${v.level}; allowed: ${SNMP_AUTH_PROTOCOLS.join(', ')}` });
      if (!v.authKey) ctx.addIssue({ code: 'custom', path: ['authKey'], message: `required for level ${v.level}` });
    }
    if (v.level === 'authPriv') {
      if (!v.privProtocol) ctx.addIssue({ code: 'custom', path: ['privProtocol'], message: `required for level authPriv; allowed: ${SNMP_PRIV_PROTOCOLS.join(', ')}` });
      if (!v.privKey) ctx.addIssue({ code: 'custom', path: ['privKey'], message: 'required for level authPriv' });
    }
  });

export const snmpSchema = z.discriminatedUnion('version', [snmpCommunity, snmpV3], {
  error: (iss) => (iss.code === 'invalid_union' ? `version must be one of ${SNMP_VERSIONS.map((v) => `"${v}"`).join(', ')}` : undefined),
});

/** A JavaScript regular expression, as text; the message says when it does not compile. */
export const regexSchema = z.string().min(1).max(512).refine((p) => {
  try {
    new RegExp(p);
    return true;
  } catch {
    return false;
  }
}, 'must be a valid regular expression');

export const interfaceSelectionSchema = z.strictObject({
  include: z.array(regexSchema).default([]).describe('Poll only interfaces whose ifName matches one of these regular expressions (empty = all)'),
  exclude: z.array(regexSchema).default([]).describe('Leave out interfaces whose ifName matches one of these regular expressions'),
  types: z.array(z.number().int().min(1).max(1000)).default([]).describe('Poll only these IANA ifTypes, e.g. [6, 161] for ethernet and LAG (empty = all)'),
  adminUpOnly: z.boolean().default(false).describe('Leave out interfaces that are administratively down'),
});

export const deviceSchema = z.strictObject({
  id: deviceIdSchema.describe('Stable device id (Kafka key, InfluxDB tag)'),
  host: z.string().min(1).max(253).regex(/^[A-Za-z0-9.:_-]+$/, 'must be a hostname or an IP address').describe('Hostname or IP address of the SNMP agent'),
  port: port.default(161).describe('SNMP UDP port'),
  enabled: z.boolean().default(true).describe('Poll this device'),
  tags: z.array(z.string().min(1).max(64)).default([]).describe('Free-form tags (alert scopes, filtering)'),
  snmp: snmpSchema.describe('SNMP credentials'),
  interfaces: interfaceSelectionSchema.prefault({}).describe('Which interfaces to poll'),
  speedOverrides: z
    .record(z.string().min(1).max(256), z.number().nonnegative().max(1e15))
    .default({})
    .describe('Link speed in bit/s by interface name, replacing what the device reports (0 = unknown); e.g. {lo: 0}'),
  timeoutMs: z.number().int().min(50).max(60000).optional().describe('Per-request timeout; default collector.timeoutMs'),
  retries: z.number().int().min(0).max(10).optional().describe('Retries per request; default collector.retries'),
});

export const devicesFileSchema = z
  .strictObject({
    devices: z.array(deviceSchema).default([]).describe('Devices to poll'),
  })
  .superRefine((f, ctx) => {
    const unique = uniqueIdCheck('devices', 'device', ctx);
    f.devices.forEach((d, i) => unique(d.id, i));
  });

/** A check to call for each entry of a list in order: an id an earlier entry has is an issue at `<list>[i].id`. */
export function uniqueIdCheck(list: string, noun: string, ctx: z.RefinementCtx): (id: string, i: number) => void {
  const seen = new Map<string, number>();
  return (id, i) => {
    const first = seen.get(id);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: [list, i, 'id'], message: `duplicate ${noun} id "${id}" (also ${list}[${first}])` });
    else seen.set(id, i);
  };
}

/** host:port for a /metrics listener; "" turns it off. */
const listenAddress = z.string().regex(/^$|^(\[[0-9a-fA-F:]+\]|[^\s:]+):\d{1,5}$/, 'must be host:port (or "" for off)');

/** An InfluxDB duration: hours, days or weeks, or INF. */
const duration = z.string().regex(/^([1-9][0-9]*[hdw]|INF)$/, 'must be like 48h, 30d, 52w or INF');

// Delivery channels of the alert notifier.
const webhookChannel = z.strictObject({
  type: z.literal('webhook').describe('An HTTP POST of JSON'),
  url: z
    .url({ protocol: /^https?$/ })
    .transform((u) => new SecretUrl(u))
    .describe('Where to POST (secret but for its host: logs, errors and delivery records name only scheme://host:port)'),
  format: z.enum(['json', 'slack']).default('json').describe('"json" (the alert event) or "slack" (a Slack-compatible {text} body)'),
  timeoutMs: z.number().int().min(100).max(60_000).default(5000).describe('Per-attempt timeout'),
});
const emailChannel = z.strictObject({
  type: z.literal('email').describe('Mail over SMTP'),
  host: z.string().min(1).describe('SMTP server'),
  port: port.default(25).describe('SMTP port'),
  secure: z.boolean().default(false).describe('TLS from the start (port 465); otherwise STARTTLS when offered'),
  username: z.string().optional().describe('SMTP user'),
  password: secret.optional().describe('SMTP password (secret)'),
  from: z.string().min(3).describe('From address'),
  to: z.array(z.string().min(3)).min(1).describe('Recipients'),
  timeoutMs: z.number().int().min(100).max(60_000).default(10_000).describe('Per-attempt timeout'),
});
export const channelSchema = z.discriminatedUnion('type', [webhookChannel, emailChannel], {
  error: (iss) => (iss.code === 'invalid_union' ? 'type must be one of "webhook", "email"' : undefined),
});
export type ChannelConfig = z.output<typeof channelSchema>;

const topicName = z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be a valid Kafka topic name');

export const netmonConfigSchema = z
  .strictObject({
    log: z
      .strictObject({
        level: z.enum(LOG_LEVELS).default('info').describe('Log level'),
        format: z.enum(LOG_FORMATS).default('auto').describe('Log lines: json (one object per line), pretty (readable), auto (pretty on a terminal, else json)'),
      })
      .prefault({})
      .describe('Logging'),
    kafka: z
      .strictObject({
        brokers: z.array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port')).min(1).default(['127.0.0.1:9092']).describe('Bootstrap brokers (env NETMON_KAFKA_BROKERS, comma separated)'),
        clientId: z.string().min(1).default('netmon').describe('Kafka client id prefix'),
        samplesPartitions: z.number().int().min(1).max(1000).default(12).describe('Partitions of the samples topic when netmon creates it'),
        collectorStatePartitions: z
          .number()
          .int()
          .min(1)
          .max(1000)
          .default(24)
          .describe('Partitions of the collector-state topic when netmon creates it: the units of work the collector group shares out, so at most this many collectors have devices'),
        topics: z
          .strictObject({
            samples: topicName.default('netmon.samples').describe('Counter samples and traffic deltas (key = device id)'),
            windows: topicName.default('netmon.windows').describe('Window results (key = device id)'),
            alerts: topicName.default('netmon.alerts').describe('Alert events'),
            config: topicName.default('netmon.config').describe('Device and rule changes (compacted)'),
            deadletter: topicName.default('netmon.deadletter').describe('Rejected records with the reason'),
            status: topicName.default('netmon.status').describe('Latest poll status per device (compacted, key = device id)'),
            alertState: topicName.default('netmon.alert-state').describe('Alert evaluation state per rule and scope (compacted)'),
            alertActions: topicName.default('netmon.alert-actions').describe('Acknowledgements and silences (compacted)'),
            collectorState: topicName
              .default('netmon.collector-state')
              .describe('What follows a device from collector to collector: interface identity maps (compacted, key = <collector.groupId>:<device id>); its partitions are what the collector group shares out'),
          })
          .prefault({})
          .describe('Topic names'),
      })
      .prefault({})
      .describe('Kafka, the backbone'),
    influx: z
      .strictObject({
        url: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:8086').describe('InfluxDB 1.x HTTP URL (env NETMON_INFLUX_URL)'),
        database: z.string().regex(/^[A-Za-z0-9_]{1,64}$/).default('netmon').describe('Database (env NETMON_INFLUX_DATABASE)'),
        username: z.string().optional().describe('User, when InfluxDB auth is on'),
        password: secret.optional().describe('Password (secret)'),
        rawRetention: duration.default('30d').describe('How long 1-minute windows are kept (retention policy netmon_raw, the default)'),
        rollupRetention: duration.default('365d').describe('How long the 1-hour rollups are kept (retention policy netmon_rollup)'),
      })
      .prefault({})
      .describe('InfluxDB, the window store'),
    collector: z
      .strictObject({
        pollIntervalSeconds: z.number().min(1).max(3600).default(60).describe('Poll interval per device'),
        timeoutMs: z.number().int().min(50).max(60000).default(2000).describe('SNMP request timeout'),
        retries: z.number().int().min(0).max(10).default(1).describe('SNMP retries per request'),
        maxRepetitions: z.number().int().min(1).max(200).default(20).describe('GETBULK max-repetitions'),
        concurrency: z.number().int().min(1).max(10000).default(200).describe('Devices polled at once, at most'),
        publishQueueSize: z.number().int().min(1).max(10_000_000).default(100_000).describe('Records that may wait for Kafka (an outage); beyond it new records are dropped and counted'),
        maxQueueBytes: z
          .number()
          .int()
          .min(1024 * 1024)
          .max(16 * 1024 * 1024 * 1024)
          .default(64 * 1024 * 1024)
          .describe('Bytes (UTF-8 keys and values) that may wait for Kafka, alongside publishQueueSize; beyond it new records are dropped and counted'),
        clockJumpThresholdMs: z.number().int().min(100).max(3_600_000).default(2000).describe("A step of the collector host's wall clock against its monotonic clock larger than this (checked every poll cycle) is logged, counted and shown in the device status"),
        rediscoverMinutes: z.number().min(1).max(10080).default(60).describe('Re-read ifType and ifDescr this often (and after every reboot)'),
        metricsListen: listenAddress.default('127.0.0.1:9461').describe('Where `netmon collector` serves /metrics ("" = off; `netmon all` serves it on the dashboard)'),
        stateDir: z.string().min(1).optional().describe('Directory for state that must survive a restart (interface identity maps after renumbering), relative to the working directory; unset = kept in memory only'),
        followConfigTopic: z.boolean().default(true).describe('Apply device-list changes from the config topic (kafka.topics.config) without restart'),
        groupId: z
          .string()
          .regex(/^$|^[A-Za-z0-9._-]{1,200}$/, 'must be letters, digits, ".", "_" or "-" (or "" for no group)')
          .default('netmon-collectors')
          .describe('Kafka consumer group of the collectors: collectors with the same group share the devices, each polled by one of them, and take over a dead one\'s ("" = this collector polls every device)'),
        sessionTimeoutMs: z.number().int().min(3000).max(300_000).default(10_000).describe('How long a silent collector keeps its devices before the group gives them to the others (Kafka session timeout; within the broker\'s group.min/max.session.timeout.ms)'),
        heartbeatIntervalMs: z.number().int().min(100).max(60_000).default(1000).describe('How often a collector tells the group it is alive, and so how soon it sees a rebalance; below collector.sessionTimeoutMs / 3'),
      })
      .prefault({})
      .describe('SNMP collector'),
    processor: z
      .strictObject({
        groupId: z.string().min(1).default('netmon-processor').describe('Kafka consumer group'),
        metricsListen: listenAddress.default('127.0.0.1:9462').describe('Where `netmon processor` serves /metrics ("" = off; `netmon all` serves it on the dashboard)'),
        windowSeconds: z.number().int().min(1).max(3600).default(60).describe('Tumbling window length, epoch aligned; must divide 3600'),
        outOfOrdernessSeconds: z.number().min(0).max(3600).optional().describe('Watermark lag behind the newest event time; default 2 poll intervals'),
        idleTimeoutSeconds: z
          .number()
          .min(1)
          .max(86400)
          .optional()
          .describe('A partition without records this long (while caught up and writing) lets its watermark follow the clock, closing its windows; default 2 poll intervals, at least 10 s'),
        maxGapPolls: z.number().min(1).max(1000).default(5).describe('A counter delta spanning more poll intervals than this is not spread (counted as a gap)'),
        maxRateFactor: z.number().min(1).max(100).default(2).describe('A rate above this multiple of the link speed is dropped as implausible'),
        allowedLatenessSeconds: z.number().min(0).max(86400).default(300).describe('After its watermark emission a window still takes late data (a new revision) this long'),
        sessionTimeoutSeconds: z
          .number()
          .min(6)
          .max(300)
          .default(30)
          .describe('Kafka group session timeout: how long a dead processor holds its partitions before another takes them over'),
        maxFutureSeconds: z.number().min(1).max(86400).default(300).describe('A record whose event time is further ahead of the processor\'s clock than this is dead-lettered as `future` and moves no watermark'),
        maxRecordAttempts: z
          .number()
          .int()
          .min(2)
          .max(100)
          .default(3)
          .describe('Attempts at a partition\'s records that keep stopping the processor (restarts, counted in the commit metadata); the last goes record by record, and the record it stops on is dead-lettered as `poison`'),
        stateTtlSeconds: z
          .number()
          .min(60)
          .max(2_592_000)
          .default(86400)
          .describe('State of a device or interface not seen for this long (event time) is dropped; its next sample starts a new baseline. At least allowedLatenessSeconds + windowSeconds + the maximum gap'),
      })
      .prefault({})
      .describe('Window processor'),
    dashboard: z
      .strictObject({
        host: z.string().min(1).default('127.0.0.1').describe('Listen address (env NETMON_DASHBOARD_HOST)'),
        port: z.number().int().min(0).max(65535).default(8080).describe('Listen port, 0 = any free port (env NETMON_DASHBOARD_PORT)'),
        groupIdPrefix: z.string().min(1).default('netmon-dashboard').describe('Each dashboard instance consumes windows in its own group'),
        shared: z
          .boolean()
          .default(false)
          .describe('Several dashboard instances serve the same users (docs/dashboard.md "Several instances"): the config topic, not this instance\'s files, is the source of truth for devices, alert rules, users and session ends; the local files are written-through copies. Needs auth.sessionKeys (the same on every instance). false = the files are the source of truth and the topic follows them'),
        recentWindows: z.number().int().min(1).max(10000).default(60).describe('Windows kept per series for clients that connect'),
        publicUrl: z.url({ protocol: /^https?$/ }).optional().describe('The address people open the dashboard at (e.g. https://netmon.example.net/ behind a proxy); its host name is allowed in the Host header, its origin in Origin'),
        allowedHosts: z
          .array(z.string().regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(:\d{1,5})?$/, 'must be a host name or address, optionally with :port'))
          .default([])
          .describe('Other names the dashboard may be reached by (Host header), besides IP addresses, localhost, the listen address and publicUrl; a request for any other name is refused (DNS rebinding). "name" matches any port, "name:port" only that one'),
        limits: z
          .strictObject({
            bodyBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024).describe('Largest request body, bytes (413 beyond; the bulk import takes its own 8 MiB)'),
            jsonDepth: z.number().int().min(2).max(256).default(32).describe('Deepest nesting of a JSON request body (400 beyond)'),
            recentPage: z.number().int().min(1).max(100_000).default(5000).describe('Windows per page of GET /api/recent when `limit` is not given'),
            recentMaxPage: z.number().int().min(1).max(100_000).default(20_000).describe('Largest `limit` GET /api/recent accepts'),
            helloWindows: z.number().int().min(0).max(100_000).default(5000).describe('Windows in the /live hello, at most (the newest; the rest through GET /api/recent)'),
            wsPerClient: z.number().int().min(1).max(10_000).default(20).describe('Open /live connections per client address (429 beyond)'),
            wsTotal: z.number().int().min(1).max(1_000_000).default(2000).describe('Open /live connections in total (503 beyond)'),
            probesPerMinute: z.number().int().min(1).max(10_000).default(10).describe('SNMP probes (test connection, live interface discovery) per client address per minute (429 beyond)'),
          })
          .prefault({})
          .describe('Bounds on what one client can make the dashboard do'),
        auth: z
          .strictObject({
            adminPassword: secret.optional().describe('Password of the built-in user "admin" (role admin; secret; e.g. ${NETMON_ADMIN_PASSWORD}); kept for compatibility, users are better managed with `netmon user`'),
            adminToken: secret.optional().describe('A service bearer token with role admin (`Authorization: Bearer <token>`; secret; also accepted as the password of "admin" by the login form)'),
            usersFile: z.string().min(1).default('users.yaml').describe('Users and token hashes (written by `netmon user` and the admin page, mode 0600), relative to the devices file; the generated session key is kept beside it in session.key'),
            sessionKeys: z.array(z.string().min(32, 'must be at least 32 characters').transform((s) => new Secret(s))).default([]).describe('Keys of the session cookies (secret, >= 32 random characters each): the first encrypts, all decrypt (rotation: put a new key first, drop the old one after sessionMinutes); empty = a key generated once and kept in session.key'),
            sessionMinutes: z.number().int().min(1).max(10080).default(720).describe('Absolute lifetime of a login session (cookie)'),
            idleMinutes: z.number().int().min(1).max(10080).default(60).describe('A login session unused this long ends'),
            loginAttemptsPerMinute: z.number().int().min(1).max(1000).default(10).describe('Failed logins allowed per client address per minute (then 429 with Retry-After)'),
            tokenFailuresPerMinute: z.number().int().min(1).max(1000).default(10).describe('Wrong bearer tokens allowed per client address per minute (then 429 with Retry-After, even for a right token)'),
            anonymousRole: z.enum(['viewer']).optional().describe('Role of requests without credentials (only "viewer": nobody writes anonymously); not set = every route but /healthz and the login needs a login'),
            metricsRole: z.enum(['anonymous', 'viewer', 'operator', 'admin']).default('viewer').describe('Role /metrics needs ("anonymous" for a scraper without a token; else give it a token: `netmon user token prometheus --role viewer`)'),
            proxy: z
              .strictObject({
                header: z.string().min(1).default('Remote-User').describe('Header carrying the user name set by the proxy'),
                groupsHeader: z.string().min(1).default('Remote-Groups').describe('Header carrying the user\'s groups (comma separated)'),
                trustedProxies: z.array(z.string().min(1)).min(1).describe('Addresses or CIDRs of the proxies whose headers are believed; the headers from any other peer are ignored (and logged)'),
                roleMap: z.record(z.string().min(1), z.enum(['viewer', 'operator', 'admin'])).default({}).describe('Group -> role; a user gets the highest role of their groups'),
                defaultRole: z.enum(['viewer', 'operator', 'admin']).optional().describe('Role of a proxy user in no mapped group; not set = such a user gets 403'),
              })
              .optional()
              .describe('Single sign-on: trust a user name header from a reverse proxy'),
            allowedOrigins: z.array(z.url({ protocol: /^https?$/ })).default([]).describe('Other origins (scheme://host:port) whose pages may open /live and send writes, besides the dashboard\'s own'),
          })
          .prefault({})
          .describe('Users, roles, sessions and tokens (docs/security.md)'),
      })
      .superRefine((d, ctx) => {
        // Every instance must open every other's cookies and derive the same proxy CSRF token.
        if (d.shared && d.auth.sessionKeys.length === 0) ctx.addIssue({ code: 'custom', path: ['auth', 'sessionKeys'], message: 'must be set (the same keys on every instance) when dashboard.shared is true' });
      })
      .prefault({})
      .describe('Web dashboard'),
    devicesFile: z.string().min(1).default('devices.yaml').describe('Device list file, relative to this file'),
    alerts: z
      .strictObject({
        rulesFile: z
          .string()
          .optional()
          .describe('Alert rules file, relative to this file; when not set, alerts.yaml beside it if that exists ("" = no rules)'),
        channels: z.record(z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 of letters, digits, ".", "_", "-"'), channelSchema).default({}).describe('Delivery channels by name (webhook or email), used by the rules'),
        notifierGroupId: z.string().min(1).default('netmon-notifier').describe('Kafka consumer group of the notifier'),
        maxAttempts: z.number().int().min(1).max(100).default(6).describe('Delivery attempts per notification and channel before it is marked failed'),
        initialBackoffMs: z.number().int().min(10).max(600_000).default(1000).describe('Wait before the first retry; doubles each retry'),
        maxBackoffMs: z.number().int().min(10).max(3_600_000).default(60_000).describe('Longest wait between retries'),
      })
      .superRefine((a, ctx) => {
        if (a.maxBackoffMs < a.initialBackoffMs) ctx.addIssue({ code: 'custom', path: ['maxBackoffMs'], message: `must be >= initialBackoffMs (${a.initialBackoffMs})` });
      })
      .prefault({})
      .describe('Threshold alerts: rules, delivery channels, retries'),
  })
  .superRefine((c, ctx) => {
    if (3600 % c.processor.windowSeconds !== 0) {
      ctx.addIssue({ code: 'custom', path: ['processor', 'windowSeconds'], message: `must divide 3600 so windows align with hourly rollups (got ${c.processor.windowSeconds})` });
    }
    const p = c.processor;
    const minTtl = p.allowedLatenessSeconds + p.windowSeconds + p.maxGapPolls * c.collector.pollIntervalSeconds;
    if (p.stateTtlSeconds < minTtl) {
      ctx.addIssue({ code: 'custom', path: ['processor', 'stateTtlSeconds'], message: `must be at least allowedLatenessSeconds + windowSeconds + maxGapPolls x collector.pollIntervalSeconds (${minTtl}), got ${p.stateTtlSeconds}` });
    }
    if (c.collector.heartbeatIntervalMs * 3 > c.collector.sessionTimeoutMs) {
      ctx.addIssue({ code: 'custom', path: ['collector', 'heartbeatIntervalMs'], message: `must be at most a third of collector.sessionTimeoutMs (${c.collector.sessionTimeoutMs}), got ${c.collector.heartbeatIntervalMs}` });
    }
  });

export type NetmonConfig = z.output<typeof netmonConfigSchema>;
export type DeviceConfig = z.output<typeof deviceSchema>;
export type SnmpConfig = z.output<typeof snmpSchema>;
export type DevicesFile = z.output<typeof devicesFileSchema>;

/** Defaults derived from other fields (kept out of the schema so the file stays what the user wrote). */
export function outOfOrdernessMs(c: { processor: Pick<NetmonConfig['processor'], 'outOfOrdernessSeconds'>; collector: Pick<NetmonConfig['collector'], 'pollIntervalSeconds'> }): number {
  return Math.round((c.processor.outOfOrdernessSeconds ?? 2 * c.collector.pollIntervalSeconds) * 1000);
}
