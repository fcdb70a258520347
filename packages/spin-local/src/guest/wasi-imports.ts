/**
 * The full import object for one component instance: WASI (clocks and random from preview2-shim,
 * streams/poll/http/cli from this package) plus the Spin interfaces.
 */
import { monotonicClock, wallClock } from '@bytecodealliance/preview2-shim/clocks';
import { random } from '@bytecodealliance/preview2-shim/random';
import * as http from './http.ts';
import { type ByteSink, IoError, InputStream, LineSink, OutputStream, Pollable, emptySource, poll } from './streams.ts';

export interface InstanceIo {
  stdout: ByteSink;
  stderr: ByteSink;
  outbound: http.OutboundHttp;
}

class TerminalInput {}
class TerminalOutput {}

/** No filesystem is mounted (the services use none): preopens are empty. */
class Descriptor {
  private constructor() {}
  writeViaStream(): never {
    throw 'unsupported';
  }
  appendViaStream(): never {
    throw 'unsupported';
  }
  getFlags(): never {
    throw 'unsupported';
  }
  getType(): never {
    throw 'unsupported';
  }
  stat(): never {
    throw 'unsupported';
  }
}

export function createWasiImports(io: InstanceIo) {
  const stdout = new OutputStream(io.stdout);
  const stderr = new OutputStream(io.stderr);
  const stdin = new InputStream(emptySource);
  return {
    'wasi:cli/environment': { getEnvironment: () => [], getArguments: () => [], initialCwd: () => undefined },
    'wasi:cli/exit': {
      exit(status: { tag: 'ok' | 'err' }) {
        throw new Error(`component called exit(${status.tag})`);
      },
    },
    'wasi:cli/stdin': { getStdin: () => stdin },
    'wasi:cli/stdout': { getStdout: () => stdout },
    'wasi:cli/stderr': { getStderr: () => stderr },
    'wasi:cli/terminal-input': { TerminalInput },
    'wasi:cli/terminal-output': { TerminalOutput },
    'wasi:cli/terminal-stdin': { getTerminalStdin: () => undefined },
    'wasi:cli/terminal-stdout': { getTerminalStdout: () => undefined },
    'wasi:cli/terminal-stderr': { getTerminalStderr: () => undefined },
    'wasi:clocks/monotonic-clock': {
      now: monotonicClock.now,
      resolution: monotonicClock.resolution,
      subscribeInstant: (when: bigint) => new Pollable(when),
      subscribeDuration: (duration: bigint) => new Pollable(process.hrtime.bigint() + duration),
    },
    'wasi:clocks/wall-clock': wallClock,
    'wasi:filesystem/preopens': { getDirectories: () => [] },
    'wasi:filesystem/types': { Descriptor, filesystemErrorCode: () => undefined },
    'wasi:http/types': {
      Fields: http.Fields,
      FutureIncomingResponse: http.FutureIncomingResponse,
      FutureTrailers: http.FutureTrailers,
      IncomingBody: http.IncomingBody,
      IncomingRequest: http.IncomingRequest,
      IncomingResponse: http.IncomingResponse,
      OutgoingBody: http.OutgoingBody,
      OutgoingRequest: http.OutgoingRequest,
      OutgoingResponse: http.OutgoingResponse,
      RequestOptions: http.RequestOptions,
      ResponseOutparam: http.ResponseOutparam,
      httpErrorCode: http.httpErrorCode,
    },
    'wasi:http/outgoing-handler': http.createOutgoingHandler(io.outbound),
    'wasi:io/error': { Error: IoError },
    'wasi:io/poll': { Pollable, poll },
    'wasi:io/streams': { InputStream, OutputStream },
    'wasi:random/random': random,
    'wasi:random/insecure': { getInsecureRandomBytes: random.getRandomBytes, getInsecureRandomU64: random.getRandomU64 },
    'wasi:random/insecure-seed': { insecureSeed: () => [random.getRandomU64(), random.getRandomU64()] },
  };
}

export { LineSink };
