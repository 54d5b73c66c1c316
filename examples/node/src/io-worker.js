// The I/O thread of a component worker (synckit's `runAsWorker`): the
// component's imports are synchronous in jco, so the component thread blocks
// on Atomics.wait while this thread does the real, asynchronous I/O. It holds
// the policy, the limits and the open mail connections of the calls in
// flight; every answer is {ok: value} or {err: WIT error value}.

import { runAsWorker } from 'synckit';

import { send } from './http.js';
import { Policy } from './policy.js';
import { Connections } from './transport.js';

let state = null;
let hooks = null;

const operations = {
  async init(options, limits, httpModule) {
    const policy = new Policy(options);
    state = { policy, limits, connections: new Connections(policy, limits) };
    hooks = httpModule ? await import(httpModule) : null;
    return { ok: null };
  },
  send: (callId, request) => (hooks ? hooks.send(request, callId) : send(state.policy, state.limits, request)),
  begin: (callId, data) => ({ ok: hooks?.begin?.(callId, data) ?? null }),
  end: (callId) => ({ ok: hooks?.end?.(callId) ?? null }),
  connect: (callId, host, port, security) => state.connections.connect(callId, host, port, security),
  readLine: (callId, handle, maxLen) => state.connections.call(callId, handle, 'readLine', maxLen),
  readExact: (callId, handle, length) => state.connections.call(callId, handle, 'readExact', length),
  write: (callId, handle, data) => state.connections.call(callId, handle, 'write', data),
  upgradeTls: (callId, handle) => state.connections.call(callId, handle, 'upgradeTls'),
  drop(callId, handle) {
    state.connections.drop(callId, handle);
    return { ok: null };
  },
  closeAll(callId) {
    state.connections.closeAll(callId);
    return { ok: null };
  },
};

runAsWorker(async (operation, ...args) => {
  if (operation !== 'init' && state === null) return { err: { tag: 'other', val: 'the I/O thread is not set up' } };
  return operations[operation](...args);
});
