/**
 * The outbound policy closes SSRF: the directory POSTs tokens to URLs that nodes chose, so a node must not be
 * able to point it at the directory's own host, its LAN or a cloud metadata service.
 *
 * - `checkUrl` (at registration and again before each delivery): scheme, no credentials, no query/fragment,
 *   and for literal addresses (after WHATWG URL normalisation, so `0x7f.1` and `2130706433` are 127.0.0.1)
 *   the address ranges below. `localhost` names count as loopback.
 * - `lookup` (at connection time, plugged into the HTTP client): resolves the name and refuses the connection
 *   when any resolved address is not allowed, so a DNS answer that changes after registration (rebinding)
 *   gains nothing.
 *
 * Ranges: public unicast is allowed; loopback, private (RFC 1918, RFC 6598, IPv6 ULA) and link-local only when
 * the operator says so; cloud metadata addresses, unspecified, multicast, broadcast, reserved and translation
 * ranges (NAT64, 6to4, Teredo: they can embed any IPv4 address) never, unless listed in `allowedCidrs`.
 * IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are judged as the IPv4 address they carry.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import ipaddr from 'ipaddr.js';
import { apiUrlForbidden, apiUrlUnresolvable } from './errors.js';
import type { OutboundOptions } from './options.js';

export type AddressClass = 'public' | 'loopback' | 'private' | 'link-local' | 'metadata' | 'special';

export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

const METADATA = ['169.254.169.254/32', '169.254.170.2/32', '100.100.100.200/32', 'fd00:ec2::254/128'].map(
  (c) => ipaddr.parseCIDR(c),
);

/** Node's `lookup` signature, as net.connect / tls.connect call it. */
export type LookupFunction = (
  hostname: string,
  options: { all?: boolean; family?: number | string },
  callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
) => void;

export class OutboundPolicy {
  readonly #opts: Required<Omit<OutboundOptions, 'checkDnsOnRegister'>>;
  readonly #allowed: Cidr[];
  readonly #resolve: Resolver;

  constructor(options: OutboundOptions = {}, resolver: Resolver = systemResolver) {
    this.#opts = {
      allowedSchemes: options.allowedSchemes ?? ['http', 'https'],
      allowPrivate: options.allowPrivate ?? false,
      allowLoopback: options.allowLoopback ?? false,
      allowLinkLocal: options.allowLinkLocal ?? false,
      allowedCidrs: options.allowedCidrs ?? [],
    };
    this.#allowed = this.#opts.allowedCidrs.map((c) => {
      try {
        return ipaddr.parseCIDR(c);
      } catch {
        throw new Error(`outbound.allowedCidrs: ${c} is not a CIDR range`);
      }
    });
    this.#resolve = resolver;
  }

  /** The class of a literal IPv4/IPv6 address (throws on anything else). */
  static classify(address: string): AddressClass {
    const ip = ipaddr.process(address);
    if (METADATA.some(([net, bits]) => ip.kind() === net.kind() && ip.match(net, bits))) return 'metadata';
    switch (ip.range()) {
      case 'unicast':
        return 'public';
      case 'loopback':
        return 'loopback';
      case 'private':
      case 'uniqueLocal':
      case 'carrierGradeNat':
        return 'private';
      case 'linkLocal':
        return 'link-local';
      default:
        return 'special';
    }
  }

  /** Why `address` is refused, or null when it is allowed. */
  addressProblem(address: string): string | null {
    if (!ipaddr.isValid(address)) return `${address} is not an IP address`;
    const ip = ipaddr.process(address);
    if (this.#allowed.some(([net, bits]) => ip.kind() === net.kind() && ip.match(net, bits))) return null;
    const cls = OutboundPolicy.classify(address);
    const ok =
      cls === 'public' ||
      (cls === 'loopback' && this.#opts.allowLoopback) ||
      (cls === 'private' && this.#opts.allowPrivate) ||
      (cls === 'link-local' && this.#opts.allowLinkLocal);
    return ok ? null : `${ip.toString()} is a ${cls} address`;
  }

  /** Static checks of an `api_url`; throws OR_ERR_API_URL_FORBIDDEN. Returns the parsed URL. */
  checkUrl(raw: string): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw apiUrlForbidden('not a URL');
    }
    const scheme = url.protocol.slice(0, -1);
    if (!(this.#opts.allowedSchemes as string[]).includes(scheme)) throw apiUrlForbidden(`scheme ${scheme}`);
    if (url.username || url.password) throw apiUrlForbidden('credentials in the URL');
    if (url.search || url.hash || raw.includes('#') || raw.includes('?')) {
      throw apiUrlForbidden('query or fragment in the URL');
    }
    const host = bareHost(url.hostname);
    if (host === '') throw apiUrlForbidden('no host');
    if (ipaddr.isValid(host)) {
      const problem = this.addressProblem(host);
      if (problem) throw apiUrlForbidden(problem);
    } else if (isLocalhostName(host) && !this.#opts.allowLoopback) {
      throw apiUrlForbidden(`${host} is a loopback name`);
    }
    return url;
  }

  /** Resolves `hostname` and returns its addresses, or throws when none resolves or any is not allowed. */
  async resolveAllowed(hostname: string): Promise<LookupAddress[]> {
    const host = bareHost(hostname);
    if (ipaddr.isValid(host)) {
      const problem = this.addressProblem(host);
      if (problem) throw apiUrlForbidden(problem);
      const ip = ipaddr.process(host);
      return [{ address: ip.toString(), family: ip.kind() === 'ipv4' ? 4 : 6 }];
    }
    if (isLocalhostName(host) && !this.#opts.allowLoopback)
      throw apiUrlForbidden(`${host} is a loopback name`);
    let addresses: LookupAddress[];
    try {
      addresses = await this.#resolve(host);
    } catch {
      throw apiUrlUnresolvable(host);
    }
    if (addresses.length === 0) throw apiUrlUnresolvable(host);
    for (const a of addresses) {
      const problem = this.addressProblem(a.address);
      if (problem) throw apiUrlForbidden(`${host} resolves to ${a.address}: ${problem}`);
    }
    return addresses;
  }

  /** Static checks plus DNS resolution of the host. */
  async checkUrlResolved(raw: string): Promise<URL> {
    const url = this.checkUrl(raw);
    await this.resolveAllowed(url.hostname);
    return url;
  }

  /** A `lookup` for net/tls connections that only ever connects to allowed addresses. */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    this.resolveAllowed(hostname).then(
      (all) => {
        const family =
          options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : Number(options.family ?? 0);
        const addresses = family === 4 || family === 6 ? all.filter((a) => a.family === family) : all;
        if (addresses.length === 0) {
          callback(
            Object.assign(new Error(`no IPv${family} address for ${hostname}`), { code: 'ENOTFOUND' }),
            '',
          );
        } else if (options.all) callback(null, addresses);
        else callback(null, addresses[0]!.address, addresses[0]!.family);
      },
      (err: Error) => callback(Object.assign(err, { code: (err as { code?: string }).code ?? 'EACCES' }), ''),
    );
  };
}

function bareHost(hostname: string): string {
  const h = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

function isLocalhostName(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost');
}
