/**
 * What changed between two policy checks of one domain, for `mxtls diff` and `watch`: the
 * MTA-STS mode, MX hosts that fell out of (or came back into) the policy, certificates an
 * enforce policy now refuses, DANE outcomes per MX host, TLS-RPT and REQUIRETLS. The change
 * objects have the shape of the diff's own changes, so a diff rule can return them as they are.
 */
import type { DaneOutcome, PolicyResult, StsMode } from './types.js';

/** One change; `direction` says whether mail got safer (`better`) or less safe (`worse`). */
export interface PolicyChange {
  kind: string;
  direction: 'worse' | 'better' | 'unchecked';
  message: string;
  host?: string;
  before?: unknown;
  after?: unknown;
}

/** Stronger modes rank higher; no policy at all ranks lowest. */
const MODE_RANK: Record<StsMode | 'absent', number> = { absent: 0, none: 1, testing: 2,
  enforce: 3 };

/** DANE outcomes that authenticate or prove absence, against those that make a sender defer. */
const DANE_GOOD = new Set<DaneOutcome>(['match', 'no-tlsa', 'not-applicable']);
const DANE_FAILING = new Set<DaneOutcome>(['no-match', 'no-chain', 'unusable']);

/**
 * Compares two policy results of one domain. Missing results (a run without policy checks)
 * give no changes, so turning the checks on is never reported as a change of the domain.
 */
export function comparePolicies(
  before: PolicyResult | undefined,
  after: PolicyResult | undefined,
): PolicyChange[] {
  if (!before || !after) return [];
  return [
    ...modeChanges(before, after),
    ...coverageChanges(before, after),
    ...refusalChanges(before, after),
    ...daneChanges(before, after),
    ...presenceChanges(before, after),
  ];
}

function modeOf(result: PolicyResult): StsMode | 'absent' | undefined {
  const sts = result.mtaSts;
  if (sts.verdict === 'no-policy' || sts.verdict === 'invalid-record') return 'absent';
  // A fetch that failed or a lookup error says nothing about the mode: not a change.
  return sts.mode;
}

function modeChanges(before: PolicyResult, after: PolicyResult): PolicyChange[] {
  const old = modeOf(before);
  const now = modeOf(after);
  if (old === undefined || now === undefined || old === now) return [];
  return [{ kind: 'mta-sts-mode-changed', direction: MODE_RANK[now] > MODE_RANK[old] ? 'better'
    : 'worse', message: `MTA-STS mode changed from ${old} to ${now}`, before: old, after: now }];
}

function coverageChanges(before: PolicyResult, after: PolicyResult): PolicyChange[] {
  const changes: PolicyChange[] = [];
  for (const host of after.mtaSts.uncovered) {
    if (before.mtaSts.uncovered.includes(host)) continue;
    changes.push({ kind: 'mta-sts-mx-uncovered', direction: 'worse', host,
      message: `${host}: MX no longer covered by the MTA-STS policy` });
  }
  for (const host of before.mtaSts.uncovered) {
    if (after.mtaSts.uncovered.includes(host) || !after.mx.includes(host)) continue;
    changes.push({ kind: 'mta-sts-mx-uncovered', direction: 'better', host,
      message: `${host}: MX now covered by the MTA-STS policy` });
  }
  return changes;
}

function refusalChanges(before: PolicyResult, after: PolicyResult): PolicyChange[] {
  const key = (r: { host: string; address: string }): string => `${r.host} [${r.address}]`;
  const old = new Set(before.mtaSts.refused.map(key));
  const now = new Set(after.mtaSts.refused.map(key));
  const changes: PolicyChange[] = [];
  for (const refusal of after.mtaSts.refused) {
    if (old.has(key(refusal))) continue;
    changes.push({ kind: 'mta-sts-certificate-refused', direction: 'worse', host: refusal.host,
      message: `${key(refusal)}: certificate no longer acceptable under the MTA-STS policy ` +
        `(${refusal.reason})`, after: refusal.reason });
  }
  for (const refusal of before.mtaSts.refused) {
    if (now.has(key(refusal))) continue;
    changes.push({ kind: 'mta-sts-certificate-refused', direction: 'better', host: refusal.host,
      message: `${key(refusal)}: certificate acceptable under the MTA-STS policy again`,
      before: refusal.reason });
  }
  return changes;
}

function daneChanges(before: PolicyResult, after: PolicyResult): PolicyChange[] {
  const old = new Map(before.dane.exchanges.map((e) => [e.host, e.outcome]));
  const changes: PolicyChange[] = [];
  for (const exchange of after.dane.exchanges) {
    const was = old.get(exchange.host);
    const now = exchange.outcome;
    if (was === undefined || was === now) continue;
    let direction: PolicyChange['direction'] = 'unchecked';
    if (DANE_FAILING.has(now) && !DANE_FAILING.has(was)) direction = 'worse';
    else if (DANE_FAILING.has(was) && DANE_GOOD.has(now)) direction = 'better';
    else if (was === 'match' && now !== 'indeterminate') direction = 'worse';
    else if (now === 'match') direction = 'better';
    const message = direction === 'worse' && DANE_FAILING.has(now)
      ? `${exchange.host}: DANE now failing (${was} → ${now})`
      : `${exchange.host}: DANE ${was} → ${now}`;
    changes.push({ kind: 'dane-changed', direction, host: exchange.host, message, before: was,
      after: now });
  }
  return changes;
}

function presenceChanges(before: PolicyResult, after: PolicyResult): PolicyChange[] {
  const changes: PolicyChange[] = [];
  const rpt = (r: PolicyResult): boolean | undefined => r.tlsRpt.verdict === 'error' ? undefined
    : r.tlsRpt.verdict === 'present';
  const oldRpt = rpt(before);
  const nowRpt = rpt(after);
  if (oldRpt !== undefined && nowRpt !== undefined && oldRpt !== nowRpt) {
    changes.push({ kind: 'tls-rpt-changed', direction: nowRpt ? 'better' : 'worse',
      message: nowRpt ? 'TLS-RPT record now published' : 'TLS-RPT record no longer usable',
      before: before.tlsRpt.verdict, after: after.tlsRpt.verdict });
  }
  const req = (r: PolicyResult): boolean | undefined => r.requireTls.verdict === 'unknown'
    ? undefined : r.requireTls.verdict === 'advertised';
  const oldReq = req(before);
  const nowReq = req(after);
  if (oldReq !== undefined && nowReq !== undefined && oldReq !== nowReq) {
    changes.push({ kind: 'requiretls-changed', direction: nowReq ? 'better' : 'worse',
      message: nowReq ? 'REQUIRETLS now advertised' : 'REQUIRETLS no longer advertised',
      before: before.requireTls.verdict, after: after.requireTls.verdict });
  }
  return changes;
}
