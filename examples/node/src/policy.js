// The egress policy, with the behaviour of host-harness/runtime/src/egress.rs:
// deny by default; allowed origins for `http`, allowed `host:port` targets for
// `transport`; every address a name resolves to is classified, so that an
// allowed name resolving to loopback, a private range or the cloud metadata
// service is refused (DNS rebinding). Callers connect to exactly the
// addresses `resolve` returned.

import { lookup } from 'node:dns/promises';
import net from 'node:net';

/** Refused by the policy; the message names the target, never a secret. */
export class Denied extends Error {
  constructor(message) {
    super(message);
    this.name = 'Denied';
  }
}

function list(entries) {
  const blocks = new net.BlockList();
  for (const entry of entries) {
    const [address, prefix] = entry.split('/');
    const family = net.isIPv6(address) ? 'ipv6' : 'ipv4';
    if (prefix === undefined) blocks.addAddress(address, family);
    else blocks.addSubnet(address, Number(prefix), family);
  }
  return blocks;
}

// Cloud metadata and credential services (AWS, GCP, Azure, Alibaba; ECS/EKS task credentials).
const METADATA = list(['169.254.169.254', '100.100.100.200', 'fd00:ec2::254', '169.254.170.2', '169.254.170.23',
  'fd00:ec2::23', 'fd20:ce::254', '168.63.129.16']);
const UNSPECIFIED = list(['0.0.0.0', '::']);
const LOOPBACK = list(['127.0.0.0/8', '::1/128']);
const LINK_LOCAL = list(['169.254.0.0/16', 'fe80::/10']);
const PRIVATE = list([
  '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '198.18.0.0/15',
  'fc00::/7', 'fec0::/10',
]);
const MULTICAST = list(['224.0.0.0/4', '255.255.255.255', 'ff00::/8']);
const RESERVED = list([
  '0.0.0.0/8', '192.0.0.0/24', '192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '240.0.0.0/4',
  '2001:db8::/32', '100::/64', '2001::/23', '64:ff9b:1::/48',
]);

/** The IPv4 address an IPv4-mapped (::ffff:a.b.c.d) or NAT64 (64:ff9b::a.b.c.d) address carries. */
function embeddedV4(address) {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1];
  const blocks = new net.SocketAddress({ address, family: 'ipv6' });
  const groups = expandV6(blocks.address);
  const isMapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
  const isNat64 = groups[0] === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((g) => g === 0);
  if (!isMapped && !isNat64) return null;
  return [groups[6] >> 8, groups[6] & 255, groups[7] >> 8, groups[7] & 255].join('.');
}

function expandV6(address) {
  const [head, tail] = address.split('::');
  const parse = (part) => (part ? part.split(':').map((g) => Number.parseInt(g, 16)) : []);
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return [...left, ...new Array(8 - left.length - right.length).fill(0), ...right];
}

/**
 * `public`, `loopback`, `private`, `link-local`, `metadata`, `unspecified`,
 * `multicast` or `reserved`, like egress.rs's AddressClass.
 */
export function classify(address) {
  const family = net.isIPv6(address) ? 'ipv6' : 'ipv4';
  if (family === 'ipv6') {
    const v4 = embeddedV4(address);
    if (v4) return classify(v4);
  }
  const kinds = [
    ['metadata', METADATA], ['unspecified', UNSPECIFIED], ['loopback', LOOPBACK],
    ['link-local', LINK_LOCAL], ['private', PRIVATE], ['multicast', MULTICAST], ['reserved', RESERVED],
  ];
  for (const [kind, blocks] of kinds) {
    if (blocks.check(address, family)) return kind;
  }
  return 'public';
}

/** [scheme, host, port] of an absolute http(s) URL. */
export function origin(url) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    throw new Denied(`${JSON.stringify(url)} is not an absolute URL`);
  }
  const scheme = parsed.protocol.slice(0, -1);
  if (scheme !== 'http' && scheme !== 'https') {
    throw new Denied(`scheme \`${scheme}\` is not allowed (only https, and http to loopback)`);
  }
  if (parsed.username || parsed.password) throw new Denied(`${parsed.host}: credentials in the URL are refused`);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  const port = parsed.port ? Number(parsed.port) : scheme === 'https' ? 443 : 80;
  return [scheme, host, port];
}

/**
 * Which targets the component may reach. `allowOrigins`: `https://host[:port]`
 * origins for `http`; `allowTargets`: `host:port` pairs for `transport`.
 * Loopback needs `allowLoopback` (and plain `http` / `plain` mail go only to
 * loopback), private and link-local ranges `allowPrivate`; metadata,
 * unspecified, multicast and reserved addresses are never allowed. `caFile`
 * adds a trusted CA (PEM) to the system's roots.
 */
export class Policy {
  constructor({ allowOrigins = [], allowTargets = [], allowLoopback = false, allowPrivate = false, caFile = null } = {}) {
    this.allowOrigins = allowOrigins.map((o) => origin(o).join(' '));
    this.allowTargets = allowTargets.map((t) => t.toLowerCase());
    this.allowLoopback = allowLoopback;
    this.allowPrivate = allowPrivate;
    this.caFile = caFile;
  }

  /** The options a worker needs to rebuild this policy. */
  toJSON() {
    return {
      allowOrigins: this.allowOrigins.map((o) => {
        const [scheme, host, port] = o.split(' ');
        return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
      }),
      allowTargets: this.allowTargets,
      allowLoopback: this.allowLoopback,
      allowPrivate: this.allowPrivate,
      caFile: this.caFile,
    };
  }

  checkUrl(url) {
    const [scheme, host, port] = origin(url);
    if (scheme === 'http' && !this.allowLoopback) {
      throw new Denied(`plain http to ${host}:${port} is refused: http is allowed only to loopback`);
    }
    if (!this.allowOrigins.includes(`${scheme} ${host} ${port}`)) {
      throw new Denied(`${scheme}://${host}:${port}: origin not allowed`);
    }
    return [scheme, host, port];
  }

  checkHostPort(host, port) {
    const wanted = `${host.toLowerCase()}:${port}`;
    if (!this.allowTargets.includes(wanted)) throw new Denied(`${wanted}: target not allowed`);
  }

  checkAddress(host, address) {
    const kind = classify(address);
    const allowed = kind === 'public'
      || (kind === 'loopback' && this.allowLoopback)
      || ((kind === 'private' || kind === 'link-local') && this.allowPrivate);
    if (!allowed) throw new Denied(`${host}: resolves to ${kind} address ${address}`);
  }

  /**
   * The checked addresses of `host` ([{address, family}]); every resolved
   * address must pass. With `loopbackOnly`, each must also be loopback
   * (plain http, plain mail).
   */
  async resolve(host, { loopbackOnly = false } = {}) {
    let addresses;
    if (net.isIP(host)) {
      addresses = [{ address: host, family: net.isIP(host) }];
    } else {
      try {
        addresses = await lookup(host, { all: true, verbatim: true });
      } catch (error) {
        const failure = new Error(`${host}: name resolution failed (${error.code ?? 'error'})`);
        failure.code = 'ENOTFOUND';
        throw failure;
      }
    }
    for (const { address } of addresses) {
      this.checkAddress(host, address);
      if (loopbackOnly && classify(address) !== 'loopback') {
        throw new Denied(`${host}: plain (no TLS) is allowed only to loopback`);
      }
    }
    return addresses;
  }
}

/** Time, size and count limits of the imports (the Rust host's defaults). */
export const DEFAULT_LIMITS = Object.freeze({
  connectTimeoutMs: 10_000,
  ioTimeoutMs: 30_000,
  maxRequestBytes: 1 << 20,
  maxResponseBytes: 1 << 20,
  maxLineBytes: 64 * 1024,
  maxConnections: 16,
});
