/**
 * DANE for SMTP (RFC 7672) as far as a validating resolver lets us see it. mxtls does not
 * validate DNSSEC itself: it trusts the AD bit of the configured resolver, so the answer is
 * only as good as that resolver and the path to it. TLSA records are looked up only for MX
 * hosts whose address records are secure, and a failed lookup (SERVFAIL, which is also what
 * a validating resolver answers for bogus data) is "indeterminate", never "no DANE".
 */
import { errorInfo } from '../errors.js';
import type { DnsAnswer, RecordType, Resolver } from '../dns/types.js';
import type { CertificateSummary } from '../probe/types.js';
import { describeTlsa, isUsableTlsa, matchTlsa, type TlsaRecord } from './tlsa-match.js';
import type { DaneExchangeResult, DaneOutcome, DaneResult, Severity } from './types.js';

/** The chain one address of an MX host presented; absent when its handshake failed. */
export interface PresentedChain {
  address: string;
  chain?: readonly CertificateSummary[];
}

/** Outcomes from worst to best: the domain's outcome is its exchanges' worst. */
const PRECEDENCE: DaneOutcome[] = [
  'no-match', 'indeterminate', 'unusable', 'no-chain', 'match', 'no-tlsa', 'not-applicable',
];

const SEVERITY: Record<DaneOutcome, Severity> = {
  'no-match': 'error',
  indeterminate: 'warning',
  unusable: 'warning',
  'no-chain': 'warning',
  match: 'ok',
  'no-tlsa': 'info',
  'not-applicable': 'info',
};

/**
 * The TLSA base name of an SMTP server on port 25 (RFC 7672 2.2.3).
 * TODO: an MX host that is a CNAME should first be tried at its secure canonical name
 * (RFC 7672 2.2.2); the MX name itself is used, so such hosts may show `no-tlsa` wrongly.
 */
export function tlsaName(host: string, port = 25): string {
  return `_${port}._tcp.${host}`;
}

/**
 * Checks one MX host: address security, then TLSA records, then each presented chain.
 * `chains` absent means no probe ran, which gives `no-chain` when usable records exist.
 */
export async function checkDaneExchange(
  host: string,
  resolver: Resolver,
  chains: readonly PresentedChain[] | undefined,
  now: number,
): Promise<DaneExchangeResult> {
  const name = tlsaName(host);
  const result = (outcome: DaneOutcome, detail: string): DaneExchangeResult =>
    ({ host, outcome, detail, tlsaName: name, tlsa: [], addresses: [] });

  const addresses: DnsAnswer[] = [];
  for (const type of ['A', 'AAAA'] as RecordType[]) {
    try {
      addresses.push(await resolver.query(host, type));
    } catch (error) {
      return { ...result('indeterminate', `The ${type} lookup of ${host} failed, so DANE ` +
        `cannot be judged: ${errorInfo(error).message}`), error: errorInfo(error) };
    }
  }
  if (addresses.some((answer) => !answer.authenticated)) {
    return result('not-applicable', `The address records of ${host} are not DNSSEC-validated`);
  }

  let answer: DnsAnswer;
  try {
    answer = await resolver.query(name, 'TLSA');
  } catch (error) {
    return { ...result('indeterminate', `The TLSA lookup of ${name} failed, so DANE cannot be ` +
      `judged: ${errorInfo(error).message}`), error: errorInfo(error) };
  }
  if (!answer.authenticated) {
    return result('not-applicable', `The TLSA answer for ${name} is not DNSSEC-validated`);
  }
  const records: TlsaRecord[] = answer.records.flatMap((r) => (r.type === 'TLSA'
    ? [{ usage: r.usage, selector: r.selector, matchingType: r.matchingType, data: r.data }]
    : []));
  if (records.length === 0) {
    return result('no-tlsa', `DNSSEC proves there is no TLSA record at ${name}`);
  }
  const tlsa = records.map(describeTlsa);
  if (!records.some(isUsableTlsa)) {
    return { ...result('unusable', `None of the ${records.length} TLSA records at ${name} ` +
      'is usable for SMTP (usage 2 or 3, selector 0 or 1, matching type 0 to 2)'), tlsa };
  }
  if (!chains || chains.length === 0) {
    return { ...result('no-chain', `TLSA records at ${name} exist but no certificate chain ` +
      'was available to match'), tlsa };
  }

  const matches = chains.map((c) => matchTlsa(records, c.chain ?? [], host, c.address, now));
  const failed = matches.filter((m) => m.outcome === 'no-match');
  const matched = matches.filter((m) => m.outcome === 'match');
  let outcome: DaneOutcome;
  let detail: string;
  if (failed.length > 0) {
    outcome = 'no-match';
    detail = `No usable TLSA record at ${name} matches the chain of ` +
      `${failed.map((m) => m.address).join(', ')}; a DANE sender defers mail`;
  } else if (matched.length > 0) {
    outcome = 'match';
    detail = `TLSA record ${matched[0]?.matched ?? ''} matches the chain of ` +
      `${matched.map((m) => m.address).join(', ')}`;
  } else {
    outcome = 'no-chain';
    detail = `TLSA records at ${name} exist but no address completed a handshake to match`;
  }
  return { host, outcome, detail, tlsaName: name, tlsa, addresses: matches };
}

/**
 * Checks every MX host and sums them up as the worst outcome. `mxSecure` says whether the MX
 * answer itself was validated; when it was not, DANE still applies per MX host whose own
 * records are secure (RFC 7672 2.2.1), but an attacker could have chosen the MX hosts.
 */
export async function checkDane(
  hosts: readonly string[],
  resolver: Resolver,
  options: { mxSecure: boolean; chains?: ReadonlyMap<string, PresentedChain[]>; now: number },
): Promise<DaneResult> {
  const exchanges: DaneExchangeResult[] = [];
  // One MX host at a time: a domain has few, and the resolver's cache serves the rest.
  for (const host of hosts) {
    exchanges.push(await checkDaneExchange(host, resolver, options.chains?.get(host),
      options.now));
  }
  const outcome = PRECEDENCE.find((o) => exchanges.some((e) => e.outcome === o)) ??
    'not-applicable';
  const worst = exchanges.find((e) => e.outcome === outcome);
  const detail = exchanges.length === 0 ? 'No MX host to check'
    : exchanges.length === 1 ? (worst?.detail ?? '')
    : `${worst?.host ?? ''}: ${worst?.detail ?? ''}` +
      ` (${exchanges.map((e) => `${e.host} ${e.outcome}`).join(', ')})`;
  return { outcome, severity: SEVERITY[outcome], detail, mxSecure: options.mxSecure,
    resolver: resolver.server, exchanges };
}
