/**
 * Server identity checks of RFC 6125 (6.4), written out so that the rules are ours and
 * testable: names compared case-insensitively without a trailing dot, a wildcard only as the
 * whole left-most label matching exactly one label, never on a public suffix, and IP
 * addresses in subjectAltName never standing in for a DNS name.
 */
import { isIP } from 'node:net';
import { parse as parseDomain } from 'tldts';

/** Lower case, no trailing dot: the form every name is compared and sent (SNI) in. */
export function normalizeHostName(name: string): string {
  const lower = name.trim().toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/**
 * Whether one subjectAltName DNS entry (`pattern`) names `host`. IDNA A-labels (`xn--...`)
 * are compared as they are, without conversion to Unicode.
 */
export function matchesDnsName(pattern: string, host: string): boolean {
  const name = normalizeHostName(host);
  const presented = normalizeHostName(pattern);
  if (name === '' || presented === '' || isIP(name) !== 0) return false;
  if (!presented.includes('*')) return presented === name;

  // Only `*.rest` is a wildcard; `f*.example.com`, `*foo.example.com` and `a.*.example.com`
  // name nothing.
  if (!presented.startsWith('*.') || presented.indexOf('*', 1) !== -1) return false;
  const rest = presented.slice(2);
  if (!isWildcardBase(rest)) return false;

  const dot = name.indexOf('.');
  if (dot <= 0) return false;
  return name.slice(dot + 1) === rest;
}

/** A wildcard needs at least two labels under it, none of which may form a public suffix. */
function isWildcardBase(rest: string): boolean {
  const labels = rest.split('.');
  if (labels.length < 2 || labels.some((label) => label === '')) return false;
  const parsed = parseDomain(rest, { allowPrivateDomains: false });
  return parsed.publicSuffix !== rest;
}

/**
 * Whether a certificate with these subjectAltName entries names `host`. The subject CN is
 * never consulted: RFC 6125 6.4.4 allows it only without DNS SANs, and public CAs have put
 * every name in SANs for years, so a CN-only match would mostly excuse broken certificates.
 * A DNS name matches DNS entries only; an IP literal matches IP entries only.
 */
export function matchesHost(
  host: string,
  names: { dnsNames: readonly string[]; ipAddresses?: readonly string[] },
): boolean {
  const name = normalizeHostName(host).replace(/^\[|\]$/g, '');
  if (isIP(name) !== 0) {
    return (names.ipAddresses ?? []).some((ip) => sameAddress(ip, name));
  }
  return names.dnsNames.some((pattern) => matchesDnsName(pattern, name));
}

function sameAddress(a: string, b: string): boolean {
  return expandAddress(a) === expandAddress(b);
}

/** IPv6 addresses have many spellings; compare them in one canonical form. */
function expandAddress(address: string): string {
  const lower = address.toLowerCase();
  if (isIP(lower) !== 6) return lower;
  try {
    return new URL(`http://[${lower}]/`).hostname;
  } catch {
    return lower;
  }
}
