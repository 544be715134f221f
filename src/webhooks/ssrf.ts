import { promises as dns } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Server-side request forgery guard for outbound webhooks. A target must be https and resolve only to
 * public unicast addresses; the check runs when a URL is saved and again at connection time (the lookup
 * the HTTP client uses validates every address it resolves, so a DNS answer that changed since — DNS
 * rebinding — cannot reach inside). URLs are parsed with the WHATWG parser, which normalises decimal,
 * octal and hex spellings of IPv4 addresses (http://2130706433/ is http://127.0.0.1/).
 * HINDSIGHT_WEBHOOK_ALLOW_PRIVATE=true allows plain http and private or loopback targets (development, tests).
 */

export type Resolver = (hostname: string) => Promise<{ address: string; family: number }[]>;

export const systemResolver: Resolver = (hostname) => dns.lookup(hostname, { all: true, verbatim: true });

export interface TargetPolicy {
  allowPrivate: boolean;
  resolve: Resolver;
}

const RANGE_NAMES: Record<string, string> = {
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'link-local, which includes cloud metadata services',
  loopback: 'loopback',
  carrierGradeNat: 'carrier-grade NAT, 100.64.0.0/10',
  private: 'private network',
  reserved: 'reserved',
  uniqueLocal: 'unique local, fc00::/7',
  ipv4Mapped: 'IPv4-mapped',
  rfc6145: 'IPv4-translated',
  rfc6052: 'NAT64',
  '6to4': '6to4',
  teredo: 'Teredo',
  benchmarking: 'benchmarking',
  deprecatedSiteLocal: 'site-local',
};

/** Always refused, even with allowPrivate: no host can be reached there. */
const NEVER = new Set(['unspecified', 'broadcast', 'multicast']);

/** The kind of address refused (e.g. "loopback"), or null for an address a webhook may be sent to. */
export function refusedRange(address: string, allowPrivate = false): string | null {
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    ip = ipaddr.parse(address);
  } catch {
    return 'not an IP address';
  }
  if (ip.kind() === 'ipv6') {
    const v6 = ip as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) {
      const inner = refusedRange(v6.toIPv4Address().toString(), allowPrivate);
      return inner === null ? null : `IPv4-mapped ${inner}`;
    }
    const range = v6.range();
    if (range === 'unicast' && !v6.match(ipaddr.IPv6.parse('2000::'), 3)) return judge('reserved', allowPrivate);
    return range === 'unicast' ? null : judge(range, allowPrivate);
  }
  const range = (ip as ipaddr.IPv4).range();
  return range === 'unicast' ? null : judge(range, allowPrivate);
}

function judge(range: string, allowPrivate: boolean): string | null {
  if (allowPrivate && !NEVER.has(range)) return null;
  return RANGE_NAMES[range] ?? range;
}

export type UrlCheck = { ok: true; url: string } | { ok: false; reason: string };

/** The save-time check of a webhook URL; `reason` says what is wrong, for a 422 naming /body/url. */
export async function checkWebhookUrl(raw: string, policy: TargetPolicy): Promise<UrlCheck> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'is not a valid absolute URL' };
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowPrivate)) {
    return {
      ok: false,
      reason: url.protocol === 'http:' ? 'must use https (plain http is allowed only with HINDSIGHT_WEBHOOK_ALLOW_PRIVATE=true)' : 'must be an https URL',
    };
  }
  if (url.username || url.password) return { ok: false, reason: 'must not contain credentials (user:password@)' };
  const host = hostOf(url);
  if (isIP(host)) {
    const refused = refusedRange(host, policy.allowPrivate);
    return refused ? { ok: false, reason: `points to ${host}, a ${refused} address: webhooks go to public addresses only` } : { ok: true, url: url.href };
  }
  let addresses: { address: string }[];
  try {
    addresses = await policy.resolve(host);
  } catch (error) {
    return { ok: false, reason: `host "${host}" does not resolve (${(error as { code?: string }).code ?? (error as Error).message})` };
  }
  if (addresses.length === 0) return { ok: false, reason: `host "${host}" does not resolve` };
  for (const { address } of addresses) {
    const refused = refusedRange(address, policy.allowPrivate);
    if (refused) return { ok: false, reason: `host "${host}" resolves to ${address}, a ${refused} address: webhooks go to public addresses only` };
  }
  return { ok: true, url: url.href };
}

/** The hostname without IPv6 brackets. */
export const hostOf = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');

export class RefusedTargetError extends Error {
  readonly code = 'EREFUSEDTARGET';
}

/**
 * A `lookup` for node:http(s) that resolves with the policy's resolver and refuses the connection when any
 * address is not allowed. IP-literal hosts never reach a lookup: the sender checks them itself.
 */
export function guardedLookup(policy: TargetPolicy): LookupFunction {
  return (hostname, options, callback) => {
    policy.resolve(hostname).then(
      (all) => {
        const bad = all.map((a) => ({ a, refused: refusedRange(a.address, policy.allowPrivate) })).find((r) => r.refused !== null);
        if (bad) {
          return callback(new RefusedTargetError(`refused: "${hostname}" resolves to ${bad.a.address}, a ${bad.refused} address`), '', 0);
        }
        const family = typeof options.family === 'number' && options.family !== 0 ? options.family : null;
        const usable = family ? all.filter((a) => a.family === family) : all;
        const first = usable[0];
        if (!first) return callback(Object.assign(new Error(`"${hostname}" does not resolve`), { code: 'ENOTFOUND' }), '', 0);
        if (options.all) return callback(null, usable.map((a) => ({ address: a.address, family: a.family })));
        callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}
