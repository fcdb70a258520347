export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFields = Record<string, unknown>;

export function parseLogLevel(value: string | undefined): LogLevel {
  const normalised = (value ?? '').trim().toLowerCase();
  return (LOG_LEVELS as readonly string[]).includes(normalised) ? (normalised as LogLevel) : 'info';
}

/** Field names whose values never reach a log line. */
const SECRET_FIELD = /pass(word)?|secret|token|authorization|cookie|api[-_]?key/i;

function redact(value: unknown, depth = 0): unknown {
  if (value instanceof Error) {
    return { name: value.name, message: value.message, stack: value.stack };
  }
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = SECRET_FIELD.test(key) ? '[redacted]' : redact(item, depth + 1);
  }
  return out;
}

export type LogSink = (level: LogLevel, line: string) => void;

/** Components write to stdout/stderr, which Spin collects per component. */
export const consoleSink: LogSink = (level, line) => {
  if (level === 'warn' || level === 'error') console.error(line);
  else console.log(line);
};

export interface Logger {
  readonly level: LogLevel;
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` (e.g. the request id) to every line. */
  child(fields: LogFields): Logger;
}

/** One JSON object per line: `{ time, level, msg, ...fields }`, dropping lines below `level`. */
export function createLogger(options: { level: LogLevel; fields?: LogFields; sink?: LogSink; now?: () => Date }): Logger {
  const threshold = LOG_LEVELS.indexOf(options.level);
  const sink = options.sink ?? consoleSink;
  const now = options.now ?? (() => new Date());
  const base = options.fields ?? {};
  const write = (level: LogLevel, message: string, fields?: LogFields) => {
    if (LOG_LEVELS.indexOf(level) < threshold) return;
    const record = { time: now().toISOString(), level, msg: message, ...(redact({ ...base, ...fields }) as LogFields) };
    let line: string;
    try {
      line = JSON.stringify(record);
    } catch {
      line = JSON.stringify({ time: record.time, level, msg: message, logError: 'fields not serialisable' });
    }
    sink(level, line);
  };
  return {
    level: options.level,
    debug: (message, fields) => write('debug', message, fields),
    info: (message, fields) => write('info', message, fields),
    warn: (message, fields) => write('warn', message, fields),
    error: (message, fields) => write('error', message, fields),
    child: (fields) => createLogger({ ...options, fields: { ...base, ...fields } }),
  };
}
