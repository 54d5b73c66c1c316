// A component worker: compiles jco's core modules once, then gives each call
// a fresh instance (nothing of one call, or one tenant, survives into the
// next). Its `http` and `transport` imports are synchronous, as jco calls
// them: each blocks this thread on synckit's Atomics.wait bridge while the
// I/O thread (io-worker.js) does the asynchronous work. The platform's event
// loop runs on another thread and never waits.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';

import * as shim from '@bytecodealliance/preview2-shim';
import { createSyncFn } from 'synckit';

// jco's bindings try `WebAssembly.promising` (JSPI) for every export and
// catch the TypeError where it is missing (Node 20). V8 builds that error's
// message by re-parsing the 20,000-line function around the call: 90 ms per
// instantiation. The identity leaves the bindings exactly as the catch does
// (the synchronous function), in this worker only, at 1 ms per instantiation.
WebAssembly.promising ??= (fn) => fn;

const { dir, policy, limits, httpModule } = workerData;
const io = createSyncFn(new URL('./io-worker.js', import.meta.url), {
  timeout: limits.connectTimeoutMs + limits.ioTimeoutMs * 2 + 5_000,
});
io('init', policy, limits, httpModule);

const modules = new Map();
for (const file of readdirSync(dir)) {
  if (file.endsWith('.wasm')) modules.set(file, new WebAssembly.Module(readFileSync(join(dir, file))));
}
const { instantiate } = await import(pathToFileURL(join(dir, 'mail_oauth.js')).href);

let callId = 0;

/** What jco turns into the `err` case of an import's result. */
function answer(result) {
  if ('err' in result) throw { payload: result.err };
  return result.ok;
}

/** `transport.connection`: a handle into the I/O thread's table. */
class Connection {
  constructor(handle) {
    this.handle = handle;
  }

  readLine(maxLen) {
    return answer(io('readLine', callId, this.handle, maxLen));
  }

  readExact(length) {
    return answer(io('readExact', callId, this.handle, length));
  }

  write(data) {
    answer(io('write', callId, this.handle, data));
  }

  upgradeTls() {
    answer(io('upgradeTls', callId, this.handle));
  }

  [Symbol.dispose]() {
    io('drop', callId, this.handle);
  }
}

// WASI as the component's std uses it: no arguments, no environment (the
// host's variables stay the host's), no cwd; clocks, random and the standard
// streams from preview2-shim.
const environment = { getEnvironment: () => [], getArguments: () => [], initialCwd: () => undefined };
const imports = {
  'mail-oauth:plugin/http': { send: (request) => answer(io('send', callId, request)) },
  'mail-oauth:plugin/transport': {
    Connection,
    connect: (host, port, security) => new Connection(answer(io('connect', callId, host, port, security))),
  },
  'mail-oauth:plugin/types': {},
  'wasi:cli/environment': environment,
  'wasi:cli/exit': shim.cli.exit,
  'wasi:cli/stderr': shim.cli.stderr,
  'wasi:cli/stdin': shim.cli.stdin,
  'wasi:cli/stdout': shim.cli.stdout,
  'wasi:cli/terminal-input': shim.cli.terminalInput,
  'wasi:cli/terminal-output': shim.cli.terminalOutput,
  'wasi:cli/terminal-stderr': shim.cli.terminalStderr,
  'wasi:cli/terminal-stdin': shim.cli.terminalStdin,
  'wasi:cli/terminal-stdout': shim.cli.terminalStdout,
  'wasi:clocks/monotonic-clock': shim.clocks.monotonicClock,
  'wasi:clocks/wall-clock': shim.clocks.wallClock,
  'wasi:io/error': shim.io.error,
  'wasi:io/poll': shim.io.poll,
  'wasi:io/streams': shim.io.streams,
  'wasi:random/insecure-seed': shim.random.insecureSeed,
  'wasi:random/random': shim.random.random,
};

function camel(name) {
  return name.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
}

// The next call's instance is made ahead, while the worker is idle: still
// fresh (never used), but off the call's critical path.
let ready = null;
const prepare = () => {
  ready ??= instantiate((file) => modules.get(file), imports);
};
setImmediate(prepare);

parentPort.on('message', ({ id, name, args, httpData }) => {
  callId = id;
  const post = (message) => {
    if (httpData !== undefined) message.httpReport = io('end', id).ok;
    parentPort.postMessage(message);
  };
  if (httpData !== undefined) io('begin', id, httpData);
  try {
    const [iface, fn] = name.split('.');
    const exports = ready ?? instantiate((file) => modules.get(file), imports);
    ready = null;
    const target = exports[iface]?.[camel(fn)];
    if (typeof target !== 'function') {
      post({ id, usage: `the component exports no ${name}` });
      return;
    }
    let value;
    try {
      value = target(...args);
    } catch (error) {
      if (error && Object.hasOwn(error, 'payload')) {
        post({ id, witError: error.payload });
        return;
      }
      if (error instanceof TypeError || error instanceof RangeError) {
        post({ id, usage: `${name}: ${error.message}` });
        return;
      }
      throw error;
    }
    post({ id, ok: value });
  } catch (error) {
    post({ id, trap: `${name}: the component trapped: ${String(error?.message ?? error).split('\n')[0]}` });
  } finally {
    io('closeAll', id);
    setImmediate(prepare);
  }
});
