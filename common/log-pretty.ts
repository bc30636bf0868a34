// Human-readable log lines for a terminal: pino's JSON turned into `12:04:05.123 WARN  message
// key=value ...`, coloured by level when the terminal takes colour. Used when log.format is
// "pretty", or "auto" on a TTY; pipes and files keep JSON lines. Rules: a line that is not JSON is
// passed through as it is; nothing is dropped (every field prints), secrets are already redacted
// by the logger before a line gets here.
const LEVELS: Record<number, { name: string; colour: string }> = {
  10: { name: 'TRACE', colour: '\x1b[90m' },
  20: { name: 'DEBUG', colour: '\x1b[36m' },
  30: { name: 'INFO', colour: '\x1b[32m' },
  40: { name: 'WARN', colour: '\x1b[33m' },
  50: { name: 'ERROR', colour: '\x1b[31m' },
  60: { name: 'FATAL', colour: '\x1b[35m' },
};
const RESET = '\x1b[0m';
const DIM = '\x1b[2m';
/** Fields every line has, shown in the prefix or not at all. */
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name', 'v']);

function value(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  if (v !== null && typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function clock(t: unknown): string {
  const d = new Date(typeof t === 'number' || typeof t === 'string' ? t : Date.now());
  return Number.isNaN(d.getTime()) ? '??:??:??.???' : d.toISOString().slice(11, 23);
}

/** One pino JSON line as one readable line (no trailing newline). */
export function prettyLine(line: string, opts: { colour: boolean }): string {
  let rec: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return line.trimEnd();
    rec = parsed as Record<string, unknown>;
  } catch {
    return line.trimEnd();
  }
  const lvl = LEVELS[Number(rec.level)] ?? { name: value(rec.level ?? '?').toUpperCase(), colour: '' };
  const fields = Object.entries(rec)
    .filter(([k, v]) => !HIDDEN.has(k) && v !== undefined)
    .map(([k, v]) => (k === 'err' && v && typeof v === 'object' && 'message' in v ? `err=${value(v.message)}` : `${k}=${value(v)}`));
  const msg = typeof rec.msg === 'string' ? rec.msg : '';
  const levelText = lvl.name.padEnd(5);
  if (!opts.colour) return [clock(rec.time), levelText, msg, ...fields].filter(Boolean).join(' ');
  return [`${DIM}${clock(rec.time)}${RESET}`, `${lvl.colour}${levelText}${RESET}`, msg, fields.length > 0 ? `${DIM}${fields.join(' ')}${RESET}` : ''].filter(Boolean).join(' ');
}

/** A pino destination that writes readable lines to `out`. */
export function prettyDestination(out: NodeJS.WritableStream, colour: boolean): { write(chunk: string): boolean } {
  return {
    write(chunk: string): boolean {
      let text = '';
      for (const line of chunk.split('\n')) if (line.length > 0) text += `${prettyLine(line, { colour })}\n`;
      return out.write(text);
    },
  };
}
