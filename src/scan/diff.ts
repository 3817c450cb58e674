/**
 * What changed between two runs, per domain: what got worse, what got better, and what could
 * not be checked this time. Each kind of change is one row of CHANGE_RULES; a new kind (e.g.
 * a policy finding) is one more row. A temporary failure (timeout, 421, a DNS lookup without
 * an answer) is never read as a loss of TLS: it is its own kind, "could not be checked", so
 * that one flaky night does not raise an alarm.
 */
import type { DomainResult, DomainVerdict, DnsOutcome, HostOutcome } from '../probe/types.js';
import { readRun, type RunContents } from './results-store.js';
import { DEFAULT_EXPIRY_DAYS } from './summary.js';
import { comparePolicies } from '../policy/policy-diff.js';
import { POLICY_SCHEMA, type PolicyResult } from '../policy/types.js';

/** The schema name of a diff's JSON form; it changes only when the shape does. */
export const DIFF_SCHEMA = 'mxtls.diff/1';

/** worse and better are regressions and improvements; unchecked means "could not be checked". */
export type ChangeDirection = 'worse' | 'better' | 'unchecked';

/** The condensed state of one address in a run: what a diff compares. */
export interface HostSnapshot {
  host: string;
  address: string;
  port: number;
  outcome: HostOutcome;
  temporary: boolean;
  protocol?: string;
  verified?: boolean;
  certificate?: string;
  daysToExpiry?: number;
  validTo?: string;
  errorCode?: string;
}

/** The condensed state of one domain in a run. */
export interface DomainSnapshot {
  domain: string;
  verdict: DomainVerdict;
  dnsOutcome: DnsOutcome;
  /** MX host names, sorted. */
  mx: string[];
  hosts: HostSnapshot[];
  /** Stable error codes of the result (DNS, address lookups, probes), sorted, unique. */
  errors: string[];
  /** Policy findings, when the result has them; kept as they are for the policy rules. */
  policy?: unknown;
}

/** One change of one domain. */
export interface Change {
  kind: string;
  direction: ChangeDirection;
  /** A sentence naming what changed, e.g. "mx1.example.net [192.0.2.1]: STARTTLS lost". */
  message: string;
  host?: string;
  address?: string;
  before?: unknown;
  after?: unknown;
}

/** Everything a rule may look at besides the two snapshots. */
export interface DiffContext {
  expiryDays: number;
}

/**
 * One kind of change: `detect` compares a domain's two snapshots and returns the changes it
 * sees. Rules see both runs' domains only when the domain is in both.
 */
export interface ChangeRule {
  kind: string;
  /** Words for a reader, e.g. "STARTTLS lost". */
  title: string;
  detect(before: DomainSnapshot, after: DomainSnapshot, context: DiffContext): Change[];
}

/** The changes of one domain; only domains with at least one change are listed. */
export interface DomainDiff {
  domain: string;
  worse: Change[];
  better: Change[];
  unchecked: Change[];
}

/** The `--json` shape of `mxtls diff`. */
export interface RunDiff {
  schema: typeof DIFF_SCHEMA;
  old: { file?: string; startedAt?: string };
  new: { file?: string; startedAt?: string };
  expiryDays: number;
  counts: {
    /** Domains with at least one change in that direction. */
    worse: number;
    better: number;
    unchecked: number;
    /** Domains in both runs with no change at all. */
    unchanged: number;
    added: number;
    removed: number;
  };
  /** Domains only in the new run, sorted. */
  added: string[];
  /** Domains only in the old run, sorted. */
  removed: string[];
  domains: DomainDiff[];
}

const PROTOCOL_RANK: Record<string, number> = {
  SSLv3: 0,
  TLSv1: 1,
  'TLSv1.1': 2,
  'TLSv1.2': 3,
  'TLSv1.3': 4,
};

const GONE: ReadonlySet<DnsOutcome> = new Set(['nxdomain', 'no-mail-hosts', 'null-mx']);

const ALWAYS_TEMPORARY: ReadonlySet<HostOutcome> = new Set(['timeout', 'rate-limited']);

/** Condenses a DomainResult to what the diff compares. */
export function snapshotOf(result: DomainResult): DomainSnapshot {
  const errors = new Set<string>();
  if (result.dns.error) errors.add(result.dns.error.code);
  const hosts: HostSnapshot[] = [];
  for (const exchange of result.exchanges) {
    if (exchange.addressError) errors.add(exchange.addressError.code);
    for (const host of exchange.hosts) {
      const temporary = host.temporary || ALWAYS_TEMPORARY.has(host.outcome);
      if (host.error && !temporary) errors.add(host.error.code);
      const snapshot: HostSnapshot = {
        host: host.host,
        address: host.address,
        port: host.port,
        outcome: host.outcome,
        temporary,
      };
      if (host.error) snapshot.errorCode = host.error.code;
      const tls = host.tls;
      if (tls) {
        snapshot.protocol = tls.protocol;
        snapshot.verified = tls.certificate.summary === 'verified';
        snapshot.certificate = tls.certificate.summary;
        snapshot.daysToExpiry = tls.certificate.daysToExpiry;
        if (tls.chain[0]) snapshot.validTo = tls.chain[0].validTo;
      }
      hosts.push(snapshot);
    }
  }
  const snapshot: DomainSnapshot = {
    domain: result.domain,
    verdict: result.verdict,
    dnsOutcome: result.dns.outcome,
    mx: [...new Set(result.exchanges.map((e) => e.host))].sort(),
    hosts,
    errors: [...errors].sort(),
  };
  const policy = (result as { policy?: unknown }).policy;
  if (policy !== undefined) snapshot.policy = policy;
  return snapshot;
}

function label(host: HostSnapshot): string {
  return `${host.host} [${host.address}]${host.port === 25 ? '' : `:${host.port}`}`;
}

/**
 * Pairs the addresses of two snapshots: by host, address and port; then a host seen at one
 * address in each run (its address changed) is paired by name.
 */
export function pairHosts(
  before: DomainSnapshot,
  after: DomainSnapshot,
): [HostSnapshot, HostSnapshot][] {
  const key = (h: HostSnapshot): string => `${h.host}|${h.address}|${h.port}`;
  const old = new Map(before.hosts.map((h) => [key(h), h]));
  const pairs: [HostSnapshot, HostSnapshot][] = [];
  const unpairedNew: HostSnapshot[] = [];
  for (const host of after.hosts) {
    const match = old.get(key(host));
    if (match) {
      pairs.push([match, host]);
      old.delete(key(host));
    } else {
      unpairedNew.push(host);
    }
  }
  const byName = (hosts: Iterable<HostSnapshot>): Map<string, HostSnapshot[]> => {
    const map = new Map<string, HostSnapshot[]>();
    for (const h of hosts) {
      const name = `${h.host}|${h.port}`;
      map.set(name, [...(map.get(name) ?? []), h]);
    }
    return map;
  };
  const oldByName = byName(old.values());
  for (const [name, hosts] of byName(unpairedNew)) {
    const olds = oldByName.get(name);
    const [now] = hosts;
    const [old] = olds ?? [];
    if (hosts.length === 1 && olds?.length === 1 && now && old) pairs.push([old, now]);
  }
  return pairs;
}

/**
 * A host rule: compares paired addresses whose new state is a real answer. A pair whose new
 * state is temporary is left to the "unchecked" rule.
 */
function hostRule(
  kind: string,
  title: string,
  compare: (before: HostSnapshot, after: HostSnapshot, context: DiffContext) => Change | undefined,
): ChangeRule {
  return {
    kind,
    title,
    detect(before, after, context) {
      if (before.dnsOutcome === 'error' || after.dnsOutcome === 'error') return [];
      const changes: Change[] = [];
      for (const [old, now] of pairHosts(before, after)) {
        if (now.temporary || old.temporary) continue;
        const change = compare(old, now, context);
        if (change) changes.push({ host: now.host, address: now.address, ...change });
      }
      return changes;
    },
  };
}

function change(
  kind: string,
  direction: ChangeDirection,
  message: string,
  before?: unknown,
  after?: unknown,
): Change {
  return { kind, direction, message, before, after };
}

const isTls = (h: HostSnapshot): boolean => h.outcome === 'tls';
const HANDSHAKE_FAILED: ReadonlySet<HostOutcome> = new Set([
  'handshake-failed',
  'starttls-dropped',
]);

/**
 * The kinds of change, in the order a report lists them. Append rows for new kinds; a kind's
 * name never changes meaning, since it appears in `--json` output and in notifications.
 */
export const CHANGE_RULES: ChangeRule[] = [
  hostRule('starttls-lost', 'STARTTLS lost', (old, now) => {
    if (now.outcome === 'starttls-not-offered' && old.outcome !== 'starttls-not-offered') {
      return change('starttls-lost', 'worse', `${label(now)}: STARTTLS no longer offered`,
        old.outcome, now.outcome);
    }
    if (old.outcome === 'starttls-not-offered' && isTls(now)) {
      return change('starttls-lost', 'better', `${label(now)}: STARTTLS now offered`,
        old.outcome, now.outcome);
    }
    return undefined;
  }),
  hostRule('handshake-failing', 'TLS handshake failing', (old, now) => {
    if (isTls(old) && HANDSHAKE_FAILED.has(now.outcome)) {
      return change('handshake-failing', 'worse', `${label(now)}: TLS handshake now fails`,
        old.outcome, now.outcome);
    }
    if (HANDSHAKE_FAILED.has(old.outcome) && isTls(now)) {
      return change('handshake-failing', 'better', `${label(now)}: TLS handshake works again`,
        old.outcome, now.outcome);
    }
    return undefined;
  }),
  hostRule('protocol-downgraded', 'TLS protocol downgraded', (old, now) => {
    if (!old.protocol || !now.protocol) return undefined;
    const a = PROTOCOL_RANK[old.protocol];
    const b = PROTOCOL_RANK[now.protocol];
    if (a === undefined || b === undefined || a === b) return undefined;
    const worse = b < a;
    return change('protocol-downgraded', worse ? 'worse' : 'better',
      `${label(now)}: ${worse ? 'downgraded' : 'upgraded'} from ${old.protocol} to ${now.protocol}`,
      old.protocol, now.protocol);
  }),
  hostRule('certificate-unverified', 'certificate no longer verifies', (old, now) => {
    if (old.verified === undefined || now.verified === undefined) return undefined;
    if (old.verified && !now.verified) {
      return change('certificate-unverified', 'worse',
        `${label(now)}: certificate no longer verifies (${now.certificate})`,
        old.certificate, now.certificate);
    }
    if (!old.verified && now.verified) {
      return change('certificate-unverified', 'better', `${label(now)}: certificate now verifies`,
        old.certificate, now.certificate);
    }
    return undefined;
  }),
  hostRule('certificate-expiring', 'certificate expires soon', (old, now, context) => {
    if (old.daysToExpiry === undefined || now.daysToExpiry === undefined) return undefined;
    const soon = (days: number): boolean => days <= context.expiryDays;
    if (!soon(old.daysToExpiry) && soon(now.daysToExpiry)) {
      return change('certificate-expiring', 'worse',
        `${label(now)}: certificate ${expiryText(now.daysToExpiry)} (${now.validTo ?? '?'})`,
        old.daysToExpiry, now.daysToExpiry);
    }
    if (soon(old.daysToExpiry) && !soon(now.daysToExpiry)) {
      return change('certificate-expiring', 'better',
        `${label(now)}: certificate renewed, expires in ${now.daysToExpiry} days`,
        old.daysToExpiry, now.daysToExpiry);
    }
    return undefined;
  }),
  // TODO: a changed MX set counts as worse even when every new MX offers verified TLS, so a
  // planned migration raises an alarm; a reader has to look at the hosts to tell.
  {
    kind: 'mx-changed',
    title: 'MX set changed',
    detect(before, after) {
      if (before.dnsOutcome === 'error' || after.dnsOutcome === 'error') return [];
      if (GONE.has(after.dnsOutcome) || GONE.has(before.dnsOutcome)) return [];
      if (before.mx.join(' ') === after.mx.join(' ')) return [];
      const list = (mx: string[]): string => mx.join(', ') || '(none)';
      return [change('mx-changed', 'worse',
        `MX set changed from ${list(before.mx)} to ${list(after.mx)}`, before.mx, after.mx)];
    },
  },
  {
    kind: 'domain-gone',
    title: 'domain not found or without mail',
    detect(before, after) {
      const wasGone = GONE.has(before.dnsOutcome);
      const isGone = GONE.has(after.dnsOutcome);
      if (after.dnsOutcome === 'error' || before.dnsOutcome === 'error' || wasGone === isGone) {
        return [];
      }
      return isGone
        ? [change('domain-gone', 'worse', `domain now ${after.dnsOutcome}`,
            before.dnsOutcome, after.dnsOutcome)]
        : [change('domain-gone', 'better', `domain receives mail again (${after.dnsOutcome})`,
            before.dnsOutcome, after.dnsOutcome)];
    },
  },
  {
    kind: 'new-errors',
    title: 'new errors',
    detect(before, after) {
      if (after.dnsOutcome === 'error') return [];
      const old = new Set(before.errors);
      const now = new Set(after.errors);
      const added = after.errors.filter((code) => !old.has(code) && !isTemporaryCode(code));
      const cleared = before.errors.filter((code) => !now.has(code) && !isTemporaryCode(code));
      const changes: Change[] = [];
      if (added.length > 0) {
        changes.push(
          change('new-errors', 'worse', `new errors: ${added.join(', ')}`, undefined, added),
        );
      }
      if (cleared.length > 0) {
        changes.push(change('new-errors', 'better', `errors gone: ${cleared.join(', ')}`, cleared));
      }
      return changes;
    },
  },
  {
    // MTA-STS mode or coverage, DANE, TLS-RPT and REQUIRETLS; the policy module names the
    // kinds. A run without policy checks on either side reports no policy change.
    kind: 'policy',
    title: 'policy changed',
    detect(before, after) {
      return comparePolicies(policyOf(before), policyOf(after));
    },
  },
  {
    kind: 'unchecked',
    title: 'could not be checked',
    detect(before, after) {
      if (after.dnsOutcome === 'error' && before.dnsOutcome !== 'error') {
        return [change('unchecked', 'unchecked',
          `could not be checked: DNS lookup failed (${after.errors.join(', ') || 'error'})`,
          before.dnsOutcome, after.dnsOutcome)];
      }
      const changes: Change[] = [];
      for (const [old, now] of pairHosts(before, after)) {
        if (now.temporary && !old.temporary) {
          changes.push({
            ...change('unchecked', 'unchecked',
              `${label(now)}: could not be checked (${now.outcome})`, old.outcome, now.outcome),
            host: now.host,
            address: now.address,
          });
        }
      }
      return changes;
    },
  },
];

/** "expires in 5 days", or "expired 3 days ago" once the date has passed. */
function expiryText(days: number): string {
  if (days < 0) return `expired ${-days} day${days === -1 ? '' : 's'} ago`;
  return `expires in ${days} day${days === 1 ? '' : 's'}`;
}

/** The snapshot's policy result, when it is one (runs from other versions may differ). */
function policyOf(snapshot: DomainSnapshot): PolicyResult | undefined {
  const policy = snapshot.policy as Partial<PolicyResult> | undefined;
  return policy?.schema === POLICY_SCHEMA ? (policy as PolicyResult) : undefined;
}

// DNS and SMTP timeouts say nothing about the domain's TLS.
const TEMPORARY_CODES: ReadonlySet<string> = new Set([
  'MXTLS_DNS_TIMEOUT',
  'MXTLS_SMTP_TIMEOUT',
  'MXTLS_DNS_SERVFAIL',
]);

function isTemporaryCode(code: string): boolean {
  return TEMPORARY_CODES.has(code);
}

const VERDICT_RANK: Record<DomainVerdict, number> = {
  'verified-tls': 4,
  'tls-unverified': 3,
  partial: 2,
  'no-tls': 1,
  'no-mail': 0,
  'not-found': 0,
  error: -1,
};

/**
 * The verdict rule runs after the others and reports a verdict that got worse or better only
 * when no other rule explained it in that direction (e.g. the MX moved to a host without TLS).
 */
function verdictChanges(
  before: DomainSnapshot,
  after: DomainSnapshot,
  found: DomainDiff,
): Change[] {
  if (after.dnsOutcome === 'error') return [];
  if (after.hosts.some((h) => h.temporary)) return [];
  const a = VERDICT_RANK[before.verdict];
  const b = VERDICT_RANK[after.verdict];
  // Last run could not check the domain, and this one finds it short of verified TLS: with
  // nothing to compare against, say so, or a loss of TLS behind one flaky night would never
  // be reported (the night after compares no-tls with no-tls).
  if (before.verdict === 'error' && b >= 1 && b < VERDICT_RANK['verified-tls']) {
    if (found.worse.length > 0) return [];
    return [change('verdict-changed', 'worse',
      `now ${after.verdict}; the previous run could not check it`, before.verdict,
      after.verdict)];
  }
  if (before.dnsOutcome === 'error') return [];
  if (a === b || a < 1 || b < 1) return [];
  const direction: ChangeDirection = b < a ? 'worse' : 'better';
  if (found[direction].length > 0) return [];
  return [change('verdict-changed', direction, `verdict ${before.verdict} → ${after.verdict}`,
    before.verdict, after.verdict)];
}

/** Compares one domain's two snapshots with every rule. */
export function diffDomain(
  before: DomainSnapshot,
  after: DomainSnapshot,
  context: DiffContext,
  rules: ChangeRule[] = CHANGE_RULES,
): DomainDiff {
  const diff: DomainDiff = { domain: after.domain, worse: [], better: [], unchecked: [] };
  for (const rule of rules) {
    for (const found of rule.detect(before, after, context)) diff[found.direction].push(found);
  }
  for (const found of verdictChanges(before, after, diff)) diff[found.direction].push(found);
  return diff;
}

/** Options of a diff. */
export interface DiffOptions {
  /** Certificates expiring within this many days count as expiring soon. Default 14. */
  expiryDays?: number;
  rules?: ChangeRule[];
}

/** A run as the diff needs it: its snapshots by domain and where it came from. */
export interface RunSnapshots {
  file?: string;
  startedAt?: string;
  domains: Map<string, DomainSnapshot>;
}

/** Compares two runs held in memory. */
export function diffRuns(
  oldRun: RunSnapshots,
  newRun: RunSnapshots,
  options: DiffOptions = {},
): RunDiff {
  const builder = new DiffBuilder(oldRun, options);
  for (const snapshot of newRun.domains.values()) builder.add(snapshot);
  return builder.finish({ file: newRun.file, startedAt: newRun.startedAt });
}

class DiffBuilder {
  readonly #old: RunSnapshots;
  readonly #seen = new Set<string>();
  readonly #context: DiffContext;
  readonly #rules: ChangeRule[];
  readonly #diff: RunDiff;

  constructor(oldRun: RunSnapshots, options: DiffOptions) {
    this.#old = oldRun;
    this.#context = { expiryDays: options.expiryDays ?? DEFAULT_EXPIRY_DAYS };
    this.#rules = options.rules ?? CHANGE_RULES;
    this.#diff = {
      schema: DIFF_SCHEMA,
      old: { file: oldRun.file, startedAt: oldRun.startedAt },
      new: {},
      expiryDays: this.#context.expiryDays,
      counts: { worse: 0, better: 0, unchecked: 0, unchanged: 0, added: 0, removed: 0 },
      added: [],
      removed: [],
      domains: [],
    };
  }

  add(snapshot: DomainSnapshot): void {
    // A domain twice in one run (only a hand-edited file has that) counts once.
    if (this.#seen.has(snapshot.domain)) return;
    this.#seen.add(snapshot.domain);
    const before = this.#old.domains.get(snapshot.domain);
    if (!before) {
      this.#diff.added.push(snapshot.domain);
      return;
    }
    const diff = diffDomain(before, snapshot, this.#context, this.#rules);
    const counts = this.#diff.counts;
    if (diff.worse.length > 0) counts.worse += 1;
    if (diff.better.length > 0) counts.better += 1;
    if (diff.unchecked.length > 0) counts.unchecked += 1;
    if (diff.worse.length + diff.better.length + diff.unchecked.length === 0) counts.unchanged += 1;
    else this.#diff.domains.push(diff);
  }

  finish(newRun: { file?: string; startedAt?: string }): RunDiff {
    const diff = this.#diff;
    diff.new = newRun;
    for (const domain of this.#old.domains.keys()) {
      if (!this.#seen.has(domain)) diff.removed.push(domain);
    }
    diff.added.sort();
    diff.removed.sort();
    diff.domains.sort((a, b) => (a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : 0));
    diff.counts.added = diff.added.length;
    diff.counts.removed = diff.removed.length;
    return diff;
  }
}

/** Reads a complete run file into snapshots (an InputError when unreadable or incomplete). */
export async function loadRunSnapshots(path: string): Promise<RunSnapshots & { run: RunContents }> {
  const domains = new Map<string, DomainSnapshot>();
  const run = await readRun(path, (result) => domains.set(result.domain, snapshotOf(result)), {
    requireComplete: true,
  });
  return { file: path, startedAt: run.header.startedAt, domains, run };
}

/**
 * Compares two complete run files. The old run is held as snapshots; the new one is read
 * through, so memory grows with the old run's domains only (a few hundred bytes each).
 */
export async function diffRunFiles(
  oldPath: string,
  newPath: string,
  options: DiffOptions = {},
): Promise<RunDiff> {
  const oldRun = await loadRunSnapshots(oldPath);
  const builder = new DiffBuilder(oldRun, options);
  const run = await readRun(newPath, (result) => builder.add(snapshotOf(result)), {
    requireComplete: true,
  });
  return builder.finish({ file: newPath, startedAt: run.header.startedAt });
}
