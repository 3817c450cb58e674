/**
 * MTA-STS (RFC 8461) for one domain: find the `_mta-sts` record, fetch and parse the policy,
 * and judge it against the domain's MX hosts and, when a probe ran, the certificates they
 * presented, as a sender that applies the policy would.
 */
import { errorInfo, sanitize } from '../errors.js';
import type { Resolver } from '../dns/types.js';
import type { ExchangeResult } from '../probe/types.js';
import { fetchStsPolicy, policyUrl, type PolicyFetchOptions } from './policy-fetch.js';
import { isStsRecord, parseStsPolicy, parseStsRecord, uncoveredHosts } from './sts-policy.js';
import { joinTxtStrings } from './tag-list.js';
import type { MtaStsResult, StsRecord, StsRefusal, StsPolicy, PolicyWarning } from './types.js';

/** The fetch options plus what the policy is judged against. */
export interface MtaStsOptions extends PolicyFetchOptions {
  /** The MX hosts to check coverage of, normalised, in preference order. */
  mx: readonly string[];
  /** The probe's exchanges; their certificates are judged in enforce mode. */
  exchanges?: readonly ExchangeResult[];
}

/** What the TXT lookup found: the one valid record, nothing, or why it is unusable. */
export type StsRecordLookup =
  | { kind: 'record'; record: StsRecord }
  | { kind: 'none' }
  | { kind: 'invalid'; problem: string; raw?: string };

/**
 * Looks up `_mta-sts.<domain>` TXT. Records that do not start with `v=STSv1` are ignored;
 * more than one that does is an error (RFC 8461 3.1). Throws DnsError when the lookup got no
 * answer.
 */
export async function lookupStsRecord(
  domain: string,
  resolver: Resolver,
): Promise<StsRecordLookup> {
  const answer = await resolver.query(`_mta-sts.${domain}`, 'TXT');
  const values = answer.records
    .flatMap((r) => (r.type === 'TXT' ? [joinTxtStrings(r.strings)] : []));
  const candidates = values.filter(isStsRecord);
  const [only, ...more] = candidates;
  if (only === undefined) return { kind: 'none' };
  if (more.length > 0) {
    return { kind: 'invalid', problem: `${candidates.length} v=STSv1 records are published` };
  }
  const parsed = parseStsRecord(only);
  if ('problem' in parsed) return { kind: 'invalid', problem: parsed.problem, raw: only };
  return { kind: 'record', record: parsed.record };
}

/** Checks a domain's MTA-STS record and policy. Never throws: failures are verdicts. */
export async function checkMtaSts(domain: string, options: MtaStsOptions): Promise<MtaStsResult> {
  const base = { uncovered: [], refused: [], warnings: [] };
  let lookup: StsRecordLookup;
  try {
    lookup = await lookupStsRecord(domain, options.resolver);
  } catch (error) {
    return { ...base, verdict: 'error', severity: 'warning', error: errorInfo(error),
      detail: `The _mta-sts TXT lookup got no answer: ${errorInfo(error).message}` };
  }
  if (lookup.kind === 'none') {
    return { ...base, verdict: 'no-policy', severity: 'info',
      detail: 'No v=STSv1 record at _mta-sts; senders apply no MTA-STS policy' };
  }
  if (lookup.kind === 'invalid') {
    return { ...base, verdict: 'invalid-record', severity: 'warning',
      detail: `The _mta-sts record is not usable: ${lookup.problem}; senders apply no policy` };
  }

  const record = lookup.record;
  const url = policyUrl(domain, options.port);
  let body: string;
  try {
    body = await fetchStsPolicy(domain, options);
  } catch (error) {
    const info = errorInfo(error);
    return { ...base, verdict: 'fetch-failed', severity: 'warning', record, policyUrl: url,
      error: info, detail: `The policy could not be fetched: ${info.message}` };
  }
  const parsed = parseStsPolicy(body);
  if (!parsed.policy) {
    return { ...base, verdict: 'invalid-policy', severity: 'warning', record, policyUrl: url,
      warnings: parsed.warnings,
      detail: `The policy file is not valid: ${parsed.problem ?? 'unknown problem'}` };
  }
  return evaluatePolicy(parsed.policy, parsed.warnings, options, { record, policyUrl: url });
}

/**
 * Judges a parsed policy against the MX hosts and the certificates the probe saw. In mode
 * `none` nothing is judged; in `testing` the same findings are warnings, because a sender
 * only reports them; in `enforce` they are errors, because a sender refuses to deliver.
 */
export function evaluatePolicy(
  policy: StsPolicy,
  warnings: PolicyWarning[],
  options: Pick<MtaStsOptions, 'mx' | 'exchanges'>,
  context: { record?: StsRecord; policyUrl?: string } = {},
): MtaStsResult {
  const common = { ...context, policy, mode: policy.mode, warnings };
  if (policy.mode === 'none') {
    return { ...common, verdict: 'ok', severity: 'info', uncovered: [], refused: [],
      detail: 'The policy is in mode none: senders apply no MTA-STS checks' };
  }
  const enforce = policy.mode === 'enforce';
  const uncovered = uncoveredHosts(policy, options.mx);
  const refused = refusedCertificates(options.exchanges ?? [], uncovered);
  if (uncovered.length > 0) {
    return { ...common, verdict: 'mx-not-covered', severity: enforce ? 'error' : 'warning',
      uncovered, refused,
      detail: `MX not covered by ${policy.mode} policy: ${uncovered.join(', ')}` };
  }
  if (refused.length > 0) {
    const list = refused.map((r) => `${r.host} [${r.address}] (${r.reason})`).join(', ');
    const effect = enforce ? 'a compliant sender would refuse' : 'a sender would report';
    return { ...common, verdict: 'certificate-refused', severity: enforce ? 'error' : 'warning',
      uncovered, refused,
      detail: `Certificate does not verify under the ${policy.mode} policy, ${effect}: ${list}` };
  }
  return { ...common, verdict: 'ok', severity: 'ok', uncovered, refused,
    detail: `The ${policy.mode} policy covers every MX host (${options.mx.join(', ')})` +
      (options.exchanges ? ' and their certificates verify' : '') };
}

/** Addresses of covered hosts whose certificate fails chain, name or date checks. */
function refusedCertificates(
  exchanges: readonly ExchangeResult[],
  uncovered: readonly string[],
): StsRefusal[] {
  const refused: StsRefusal[] = [];
  for (const exchange of exchanges) {
    if (uncovered.includes(exchange.host)) continue;
    for (const host of exchange.hosts) {
      const verdict = host.tls?.certificate;
      // An address without TLS is refused too: MTA-STS requires TLS to every MX.
      if (!verdict) {
        if (!host.temporary) {
          refused.push({ host: exchange.host, address: host.address, reason: host.outcome });
        }
        continue;
      }
      if (!verdict.chainVerified || !verdict.nameMatches || verdict.expired ||
        verdict.notYetValid) {
        refused.push({ host: exchange.host, address: host.address,
          reason: sanitize(verdict.summary, 40) });
      }
    }
  }
  return refused;
}
