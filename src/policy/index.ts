/**
 * Everything a domain publishes about TLS for mail, checked in one call: `checkPolicies`
 * gives the PolicyResult that a scan stores as `DomainResult.policy`. When a probe result is
 * handed in, MTA-STS and DANE are judged against the certificates the servers really
 * presented, and REQUIRETLS is read from their EHLO replies after STARTTLS.
 *
 * JSON shape (schema "mxtls.policy/1"; every member documented in ./types.ts):
 *
 *   { schema, domain, checkedAt, mx: string[],
 *     mtaSts:   { verdict, severity, mode?, detail, record?, policy?, policyUrl?,
 *                 uncovered: string[], refused: [{ host, address, reason }], warnings, error? },
 *     tlsRpt:   { verdict, severity, detail, raw?, rua: [{ uri, scheme, valid, problem? }],
 *                 extensions, warnings, error? },
 *     dane:     { outcome, severity, detail, mxSecure, resolver,
 *                 exchanges: [{ host, outcome, detail, tlsaName, tlsa: [...],
 *                               addresses: [{ address, outcome, matched?, depth?, detail }] }] },
 *     requireTls: { verdict, detail, hosts: [{ host, address, advertised }] },
 *     versions?: [{ host, address, port, accepted, flags,
 *                   attempts: [{ version, outcome, cipher?, flags, detail }] }] }
 */
import type { Resolver } from '../dns/types.js';
import { resolveMailHosts } from '../dns/mx.js';
import type { HostTarget } from '../probe/options.js';
import type { DomainResult } from '../probe/types.js';
import { checkDane, type PresentedChain } from './dane.js';
import { checkMtaSts } from './mta-sts.js';
import { checkRequireTls } from './require-tls.js';
import { checkTlsRpt } from './tls-rpt.js';
import { POLICY_SCHEMA, type DaneResult, type PolicyResult, type VersionsResult } from './types.js';
import { enumerateVersions, type VersionOptions } from './versions.js';

export * from './types.js';
export { parseStsPolicy, parseStsRecord, matchesMxPattern, uncoveredHosts } from './sts-policy.js';
export { fetchStsPolicy, policyUrl, resolverLookup, MAX_POLICY_BYTES } from './policy-fetch.js';
export { checkMtaSts, evaluatePolicy, lookupStsRecord } from './mta-sts.js';
export { checkTlsRpt, parseTlsRptRecord } from './tls-rpt.js';
export { checkDane, checkDaneExchange, tlsaName } from './dane.js';
export { matchTlsa, isUsableTlsa, type TlsaRecord } from './tlsa-match.js';
export { checkRequireTls } from './require-tls.js';
export { enumerateVersions, localCanOffer, TLS_VERSIONS, type VersionOptions } from './versions.js';
export { gradeCipher, hasForwardSecrecy, type CipherFlag } from './cipher-grades.js';
export { comparePolicies, type PolicyChange } from './policy-diff.js';
export { policyCells, type PolicyCells } from './summary.js';

/** What `checkPolicies` needs and may be given; defaults are stated per field. */
export interface PolicyOptions {
  /** Asks every DNS question; its AD bit is what DANE trusts. */
  resolver: Resolver;
  /** PEM CA certificates for the policy fetch (`--ca-file`). Default: system roots. */
  ca?: string | Buffer;
  /** The scan of the same domain; without it, certificates are not judged. */
  probe?: DomainResult;
  /** Run version enumeration on every probed address. Default false (it costs 4 sessions). */
  versions?: boolean | Omit<VersionOptions, 'ca'>;
  /** Deadline of the policy fetch in ms. Default 10000. */
  fetchTimeoutMs?: number;
  /** HTTPS port of the policy host, for tests. Default 443. */
  httpsPort?: number;
  /** Clock, for tests. Default Date.now. */
  now?: () => number;
  signal?: AbortSignal;
}

/** Checks MTA-STS, TLS-RPT, DANE, REQUIRETLS and (on request) versions. Never throws. */
export async function checkPolicies(domain: string, options: PolicyOptions): Promise<PolicyResult> {
  const now = options.now ?? Date.now;
  const checkedAt = new Date(now()).toISOString();
  const name = domain.trim().toLowerCase().replace(/\.$/, '');
  const { resolver, probe } = options;
  const mx = probe ? probe.exchanges.map((e) => e.host) : await plannedHosts(name, resolver);
  const mxLookup = await mxSecurity(name, resolver, probe);
  const mxSecure = mxLookup === 'secure';

  const chains = new Map<string, PresentedChain[]>();
  for (const exchange of probe?.exchanges ?? []) {
    chains.set(exchange.host, exchange.hosts.map((h) => ({ address: h.address,
      ...(h.tls ? { chain: h.tls.chain } : {}) })));
  }

  const [mtaSts, tlsRpt, dane] = await Promise.all([
    checkMtaSts(name, {
      resolver, mx,
      ...(probe ? { exchanges: probe.exchanges } : {}),
      ...(options.ca === undefined ? {} : { ca: options.ca }),
      ...(options.fetchTimeoutMs === undefined ? {} : { timeoutMs: options.fetchTimeoutMs }),
      ...(options.httpsPort === undefined ? {} : { port: options.httpsPort }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    }),
    checkTlsRpt(name, resolver),
    mxLookup === 'error' ? undeterminedDane(name, resolver)
      : checkDane(mx, resolver, { mxSecure, ...(probe ? { chains } : {}), now: now() }),
  ]);

  const result: PolicyResult = {
    schema: POLICY_SCHEMA, domain: name, checkedAt, mx, mtaSts, tlsRpt, dane,
    requireTls: checkRequireTls(probe?.exchanges ?? []),
  };
  if (options.versions && probe) {
    const extra = typeof options.versions === 'object' ? options.versions : {};
    result.versions = await enumerateAll(probe, {
      ...extra,
      ...(options.ca === undefined ? {} : { ca: options.ca }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  }
  return result;
}

async function plannedHosts(domain: string, resolver: Resolver): Promise<string[]> {
  const plan = await resolveMailHosts(domain, resolver);
  return plan.exchanges.map((e) => e.host);
}

/**
 * Whether the MX answer was validated. A failed MX lookup (in the probe or now) is `error`:
 * without the MX set, no TLSA question can be asked, and that is not the same as no DANE.
 */
async function mxSecurity(domain: string, resolver: Resolver, probe?: DomainResult):
  Promise<'secure' | 'insecure' | 'error'> {
  if (probe?.dns.outcome === 'error') return 'error';
  try {
    return (await resolver.query(domain, 'MX')).authenticated ? 'secure' : 'insecure';
  } catch {
    return 'error';
  }
}

async function undeterminedDane(domain: string, resolver: Resolver): Promise<DaneResult> {
  return { outcome: 'indeterminate', severity: 'warning', mxSecure: false,
    resolver: resolver.server, exchanges: [],
    detail: `The MX lookup of ${domain} failed, so DANE cannot be judged` };
}

/** Version enumeration of every probed address, one address at a time. */
async function enumerateAll(probe: DomainResult, options: VersionOptions):
  Promise<VersionsResult[]> {
  const results: VersionsResult[] = [];
  for (const exchange of probe.exchanges) {
    for (const host of exchange.hosts) {
      // An address that never got past the greeting would only give four more errors.
      if (host.starttls !== 'offered') continue;
      const target: HostTarget = { host: exchange.host, address: host.address,
        family: host.family, port: host.port };
      results.push(await enumerateVersions(target, options));
    }
  }
  return results;
}
