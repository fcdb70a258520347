import { describe, expect, it } from 'vitest';
import { createLogger, parseLogLevel, type LogLevel } from './logging.ts';

function capture(level: LogLevel) {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ level, sink: (_level, line) => lines.push(JSON.parse(line)), now: () => new Date(0) });
  return { log, lines };
}

describe('logging', () => {
  it('drops lines below the level', () => {
    const { log, lines } = capture('warn');
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    expect(lines.map((line) => line.level)).toEqual(['warn', 'error']);
  });

  it('writes JSON with time, level, msg and inherited fields', () => {
    const { log, lines } = capture('debug');
    log.child({ requestId: 'r-1' }).info('hello', { status: 200 });
    expect(lines[0]).toEqual({ time: '1970-01-01T00:00:00.000Z', level: 'info', msg: 'hello', requestId: 'r-1', status: 200 });
  });

  it('never writes secrets', () => {
    const { log, lines } = capture('info');
    log.info('login', { password: 'hunter2', nested: { refreshToken: 'abc', authorization: 'Bearer x' }, email: 'a@b.co' });
    const text = JSON.stringify(lines[0]);
    expect(text).not.toMatch(/hunter2|abc|Bearer/);
    expect(text).toContain('a@b.co');
  });

  it('parses levels, defaulting to info', () => {
    expect(parseLogLevel('DEBUG')).toBe('debug');
    expect(parseLogLevel('verbose')).toBe('info');
    expect(parseLogLevel(undefined)).toBe('info');
  });
});
