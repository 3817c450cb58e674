/**
 * Where to send DNS questions: the system's first nameserver, or a server named on the command
 * line. Only IP addresses are accepted, because resolving the resolver's own name would need a
 * resolver.
 */
import { readFileSync } from 'node:fs';
import { isIP, isIPv4, isIPv6 } from 'node:net';

import { DnsError, UsageError } from '../errors.js';

/** A DNS server to send questions to. */
export interface ServerAddress {
  /** An IPv4 or IPv6 address, without brackets (an IPv6 zone index is kept). */
  host: string;
  port: number;
}

const DNS_PORT = 53;

/**
 * The address of the first `nameserver` line of a resolv.conf file (IPv4 or IPv6, zone index
 * kept). Throws DnsError (code MXTLS_INPUT) when the file cannot be read or names no server.
 */
export function systemNameserver(path = '/etc/resolv.conf'): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new DnsError('MXTLS_INPUT', `Cannot find a DNS server: cannot read "${path}"`, {
      phase: 'dns',
      target: path,
      cause: error,
    });
  }

  for (const line of text.split('\n')) {
    // resolv(5): '#' or ';' in the first column starts a comment; trailing comments are common.
    const words = line.replace(/[#;].*$/, '').trim().split(/\s+/);
    if (words[0] !== 'nameserver' || words[1] === undefined) continue;
    if (isIP(words[1]) !== 0) return words[1];
  }

  throw new DnsError('MXTLS_INPUT', `Cannot find a DNS server: no nameserver line in "${path}"`, {
    phase: 'dns',
    target: path,
  });
}

/**
 * Reads a resolver given as `IP`, `IP:PORT`, `[IPv6]:PORT`, `[IPv6]` or a bare IPv6 address;
 * the port defaults to 53. Throws UsageError for host names and bad ports.
 */
export function parseServer(spec: string): ServerAddress {
  const text = spec.trim();
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  if (bracketed) {
    const host = bracketed[1] ?? '';
    if (!isIPv6(host)) throw notAnAddress(spec);
    return { host, port: parsePort(spec, bracketed[2]) };
  }

  if (isIP(text) !== 0) return { host: text, port: DNS_PORT };

  const colon = text.lastIndexOf(':');
  const host = text.slice(0, colon);
  if (colon > 0 && isIPv4(host)) return { host, port: parsePort(spec, text.slice(colon + 1)) };

  throw notAnAddress(spec);
}

/** The `IP:PORT` form of a server, with brackets around IPv6 addresses. */
export function formatServer(server: ServerAddress): string {
  return isIPv6(server.host) ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`;
}

function parsePort(spec: string, text: string | undefined): number {
  if (text === undefined) return DNS_PORT;
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) {
    throw new UsageError(`Cannot use resolver "${spec}": port "${text}" is not 1-65535`);
  }
  return port;
}

function notAnAddress(spec: string): UsageError {
  return new UsageError(
    `Cannot use resolver "${spec}": not an IP address (give IP, IP:PORT or [IPv6]:PORT)`,
  );
}
