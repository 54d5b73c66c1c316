// The `http` import over node:http/https under a Policy: certificate and host
// name validation (system roots plus the policy's CA), no redirects followed
// (a 3xx is returned as it is), no proxy (node:http takes none from the
// environment, and no agent is shared), connect and read timeouts, request and
// response size caps, and the socket connected to exactly an address the
// policy checked (a `lookup` that answers with it).

import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';

import { Denied } from './policy.js';

/** The CAs to trust: the system's (Node's bundled roots) plus `caFile`. */
export function trustedCas(policy) {
  return policy.caFile ? [...tls.rootCertificates, readFileSync(policy.caFile, 'utf8')] : undefined;
}

// Connections are kept alive per origin (as any HTTP client's are): a
// reused socket goes to an address the policy checked when it was opened,
// for the same origin. Agents live on the I/O thread of one kit worker.
const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 4, maxFreeSockets: 2, timeout: 30_000 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 4, maxFreeSockets: 2, timeout: 30_000 }),
};

/** An `http-error` variant. */
const fail = (tag, val) => ({ err: val === undefined ? { tag } : { tag, val } });

/**
 * Performs one request ({method, url, headers: [{name, value}], body:
 * Uint8Array}); resolves to {ok: response} or {err: http-error}.
 */
export async function send(policy, limits, request) {
  const body = Buffer.from(request.body ?? []);
  if (body.length > limits.maxRequestBytes) return fail('too-large');
  let scheme;
  let host;
  let port;
  let addresses;
  try {
    [scheme, host, port] = policy.checkUrl(request.url);
    addresses = await policy.resolve(host, { loopbackOnly: scheme === 'http' });
  } catch (error) {
    if (error instanceof Denied) return fail('denied', error.message);
    return fail('unreachable', error.message);
  }
  const [{ address, family }] = addresses;
  const url = new URL(request.url);
  const headers = {};
  for (const { name, value } of request.headers) {
    const key = name.toLowerCase();
    headers[key] = key in headers ? `${headers[key]}, ${value}` : value;
  }
  if (body.length || ['POST', 'PUT', 'PATCH'].includes(request.method)) headers['content-length'] = String(body.length);
  const options = {
    method: request.method,
    host,
    port,
    path: url.pathname + url.search,
    headers,
    agent: agents[scheme],
    lookup: (_name, opts, callback) => (opts?.all ? callback(null, [{ address, family }]) : callback(null, address, family)),
    timeout: limits.connectTimeoutMs,
  };
  if (scheme === 'https') {
    options.servername = host;
    options.ca = trustedCas(policy);
    options.rejectUnauthorized = true;
  }
  return new Promise((resolve) => {
    let settled = false;
    const done = (value) => {
      if (!settled) {
        settled = true;
        resolve(value);
      }
    };
    const req = (scheme === 'https' ? https : http).request(options, (res) => {
      const declared = Number(res.headers['content-length']);
      if (declared > limits.maxResponseBytes) {
        res.destroy();
        done(fail('too-large'));
        return;
      }
      const chunks = [];
      let size = 0;
      res.setTimeout(limits.ioTimeoutMs, () => {
        res.destroy();
        done(fail('timeout'));
      });
      res.on('data', (chunk) => {
        size += chunk.length;
        if (size > limits.maxResponseBytes) {
          res.destroy();
          done(fail('too-large'));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => {
        const responseHeaders = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) {
          responseHeaders.push({ name: res.rawHeaders[i].toLowerCase(), value: res.rawHeaders[i + 1] });
        }
        done({ ok: { status: res.statusCode, headers: responseHeaders, body: new Uint8Array(Buffer.concat(chunks)) } });
      });
      res.on('error', () => done(fail('other', `${host}:${port}: the response broke off`)));
    });
    req.on('socket', (socket) => {
      socket.once('connect', () => req.setTimeout(limits.ioTimeoutMs));
    });
    req.on('timeout', () => {
      req.destroy();
      done(fail('timeout'));
    });
    req.on('error', (error) => {
      if (error.code && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO|ERR_TLS/.test(error.code)) {
        done(fail('tls', `${host}:${port}: ${error.code}`));
      } else if (['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET'].includes(error.code)) {
        done(fail('unreachable', `${host}:${port}: ${error.code}`));
      } else {
        done(fail('other', `${host}:${port}: ${error.code ?? 'request failed'}`));
      }
    });
    req.end(body);
  });
}
