/** Where the host's log lines go: the terminal for `up`, a buffer (or nowhere) in tests. */
export interface Logger {
  /** One line per HTTP request or Redis message: method, path, component, status, duration. */
  request(line: string): void;
  info(line: string): void;
  error(line: string): void;
  /** A line a component wrote to stdout or stderr. */
  guest(component: string, stream: 'stdout' | 'stderr' | 'host', line: string): void;
}

export const consoleLogger: Logger = {
  request: (line) => console.log(line),
  info: (line) => console.log(line),
  error: (line) => console.error(line),
  guest: (component, stream, line) => (stream === 'stdout' ? console.log : console.error)(`[${component}] ${line}`),
};

/** Keeps every line (for assertions) and prints only errors unless `verbose`. */
export class MemoryLogger implements Logger {
  readonly lines: { kind: 'request' | 'info' | 'error' | 'guest'; text: string }[] = [];
  constructor(private readonly verbose = false) {}
  private add(kind: MemoryLogger['lines'][number]['kind'], text: string, print: boolean): void {
    this.lines.push({ kind, text });
    if (print) console.error(text);
  }
  request(line: string): void {
    this.add('request', line, this.verbose);
  }
  info(line: string): void {
    this.add('info', line, this.verbose);
  }
  error(line: string): void {
    this.add('error', line, this.verbose);
  }
  guest(component: string, stream: string, line: string): void {
    this.add('guest', `[${component}] ${stream === 'stderr' ? '(stderr) ' : ''}${line}`, this.verbose);
  }
  text(kind?: MemoryLogger['lines'][number]['kind']): string {
    return this.lines.filter((l) => !kind || l.kind === kind).map((l) => l.text).join('\n');
  }
}
