/**
 * The shapes that the DNS layer hands to the rest of mxtls. A missing record is an answer
 * (NXDOMAIN, NODATA); a lookup that did not get an answer is a DnsError (timeout, SERVFAIL,
 * a truncated answer that TCP could not complete).
 */

export type RecordType = 'A' | 'AAAA' | 'MX' | 'CNAME' | 'TXT' | 'TLSA';

/** One resource record of an answer, already decoded. */
export type ResourceRecord =
  | { type: 'A'; name: string; ttl: number; address: string }
  | { type: 'AAAA'; name: string; ttl: number; address: string }
  | { type: 'MX'; name: string; ttl: number; preference: number; exchange: string }
  | { type: 'CNAME'; name: string; ttl: number; target: string }
  | { type: 'TXT'; name: string; ttl: number; strings: string[] }
  | {
      type: 'TLSA';
      name: string;
      ttl: number;
      usage: number;
      selector: number;
      matchingType: number;
      data: Buffer;
    };

/** The answer to one question: the response code decides between NOERROR and NXDOMAIN. */
export interface DnsAnswer {
  name: string;
  type: RecordType;
  rcode: 'NOERROR' | 'NXDOMAIN';
  /** Records of the asked type at the end of any CNAME chain, in the order the server sent. */
  records: ResourceRecord[];
  /** CNAME records met on the way, in order; empty when the name was not an alias. */
  aliases: ResourceRecord[];
  /** The AD bit of the response: the configured resolver says it validated the answer. */
  authenticated: boolean;
  /** Whether the answer came over TCP (after a truncated UDP answer, or by request). */
  tcp: boolean;
}

/** What every part of mxtls uses to ask DNS questions; tests hand in their own. */
export interface Resolver {
  /** Resolves one question; throws DnsError when no answer could be had. */
  query(name: string, type: RecordType): Promise<DnsAnswer>;
  /** The server this resolver asks, for reports: `IP:PORT`. */
  readonly server: string;
}

export interface ResolverOptions {
  /**
   * `IP` or `IP:PORT` (`[v6]:PORT` for IPv6).
   * Default: the first nameserver of /etc/resolv.conf.
   */
  server?: string;
  /** Time to wait for one UDP or TCP answer, in ms. Default 5000. */
  timeoutMs?: number;
  /** How many times a timed-out UDP query is sent again. Default 1. */
  retries?: number;
  /** How many answers to keep in an in-memory cache that honours TTLs. Default 0 (no cache). */
  cacheSize?: number;
}

/** One address of a mail host. */
export interface HostAddress {
  address: string;
  family: 4 | 6;
}

/** A mail exchanger as DNS describes it, before any SMTP. */
export interface PlannedExchange {
  /** Normalised: lower case, no trailing dot. */
  host: string;
  preference: number;
  /** True for the implicit MX of RFC 5321 5.1 (no MX records, but the domain has an address). */
  implicit: boolean;
  /** The canonical name when the MX target was a CNAME (followed, and flagged). */
  aliasOf?: string;
  addressOutcome: 'ok' | 'no-address' | 'error';
  addressError?: import('../errors.js').ErrorInfo;
  /** IPv4 first, then IPv6, each in the order the server gave. */
  addresses: HostAddress[];
}

/**
 * The mail hosts of a domain, sorted by preference (RFC 5321 5.1), with how they were found.
 * Produced by `resolveMailHosts(domain, resolver)` in src/dns/mx.ts.
 */
export interface MailHostPlan {
  domain: string;
  outcome: import('../probe/types.js').DnsOutcome;
  exchanges: PlannedExchange[];
  /** e.g. "mx-is-alias", "null-mx-mixed" (a `0 .` beside other MX records). */
  flags: string[];
  error?: import('../errors.js').ErrorInfo;
}
