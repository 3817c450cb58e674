/**
 * The summary of a run: how many domains, MX hosts and addresses it saw, and how their TLS
 * stood. Built one result at a time, so a run of any length needs only the sets of distinct
 * MX hosts and addresses.
 */
import type { DomainResult, DomainVerdict, HostResult } from '../probe/types.js';

/** Days within which a certificate counts as expiring soon unless told otherwise. */
export const DEFAULT_EXPIRY_DAYS = 14;

/** Counts over the distinct host, address and port entries of a run. */
export interface AddressCounts {
  /** Distinct host, address and port entries probed. */
  total: number;
  /** The handshake completed and the certificate verified. */
  verifiedTls: number;
  /** The handshake completed but the certificate did not verify. */
  unverifiedTls: number;
  /** The server did not offer STARTTLS. */
  noStarttls: number;
  /** STARTTLS was offered but the handshake failed (or the server dropped it). */
  handshakeFailed: number;
  /** Certificate still valid but expiring within `expiryDays`. */
  expiringSoon: number;
  expired: number;
  /** Could not be checked this time (timeout, 421, reset). */
  temporary: number;
  /** Any other failure (connect refused, protocol error). */
  otherFailures: number;
}

/** The last line of a run file, and what the CLI prints after a run. */
export interface RunSummary {
  domains: number;
  verdicts: Partial<Record<DomainVerdict, number>>;
  /** Distinct MX host names. */
  mxHosts: number;
  addresses: AddressCounts;
  /** Domains whose result carries an error (DNS or probe). */
  errors: number;
  expiryDays: number;
}

/** Accumulates a RunSummary from DomainResults. */
export class SummaryBuilder {
  readonly #expiryDays: number;
  readonly #hosts = new Set<string>();
  readonly #addresses = new Set<string>();
  readonly #verdicts: Partial<Record<DomainVerdict, number>> = {};
  readonly #counts: AddressCounts = {
    total: 0,
    verifiedTls: 0,
    unverifiedTls: 0,
    noStarttls: 0,
    handshakeFailed: 0,
    expiringSoon: 0,
    expired: 0,
    temporary: 0,
    otherFailures: 0,
  };
  #domains = 0;
  #errors = 0;

  /** `expiryDays`: a certificate expiring within this many days counts as expiring soon. */
  constructor(expiryDays = DEFAULT_EXPIRY_DAYS) {
    this.#expiryDays = expiryDays;
  }

  /** Adds one domain's result. */
  add(result: DomainResult): void {
    this.#domains += 1;
    this.#verdicts[result.verdict] = (this.#verdicts[result.verdict] ?? 0) + 1;
    let hasError = result.verdict === 'error' || result.dns.error !== undefined;
    for (const exchange of result.exchanges) {
      this.#hosts.add(exchange.host);
      if (exchange.addressError) hasError = true;
      for (const host of exchange.hosts) {
        if (host.error) hasError = true;
        const key = `${host.host}|${host.address}|${host.port}`;
        if (this.#addresses.has(key)) continue;
        this.#addresses.add(key);
        this.#countAddress(host);
      }
    }
    if (hasError) this.#errors += 1;
  }

  #countAddress(host: HostResult): void {
    const counts = this.#counts;
    counts.total += 1;
    const outcome = host.outcome;
    if (outcome === 'tls' && host.tls) {
      const certificate = host.tls.certificate;
      if (certificate.summary === 'verified') counts.verifiedTls += 1;
      else counts.unverifiedTls += 1;
      if (certificate.expired) counts.expired += 1;
      else if (certificate.daysToExpiry <= this.#expiryDays) counts.expiringSoon += 1;
    } else if (host.temporary) {
      counts.temporary += 1;
    } else if (outcome === 'starttls-not-offered') {
      counts.noStarttls += 1;
    } else if (outcome === 'handshake-failed' || outcome === 'starttls-dropped') {
      counts.handshakeFailed += 1;
    } else {
      counts.otherFailures += 1;
    }
  }

  /** The summary so far. */
  summary(): RunSummary {
    return {
      domains: this.#domains,
      verdicts: { ...this.#verdicts },
      mxHosts: this.#hosts.size,
      addresses: { ...this.#counts },
      errors: this.#errors,
      expiryDays: this.#expiryDays,
    };
  }
}

/** Summarises a list of results at once. */
export function summarizeRun(
  results: Iterable<DomainResult>,
  expiryDays = DEFAULT_EXPIRY_DAYS,
): RunSummary {
  const builder = new SummaryBuilder(expiryDays);
  for (const result of results) builder.add(result);
  return builder.summary();
}

/** The summary as a few lines of text, for stderr. */
export function formatSummary(summary: RunSummary): string[] {
  const v = summary.verdicts;
  const a = summary.addresses;
  return [
    `${summary.domains} domains: ${v['verified-tls'] ?? 0} verified TLS, ` +
      `${v['tls-unverified'] ?? 0} TLS unverified, ${v['partial'] ?? 0} partial, ` +
      `${v['no-tls'] ?? 0} no TLS, ${(v['no-mail'] ?? 0) + (v['not-found'] ?? 0)} no mail, ` +
      `${v['error'] ?? 0} errors`,
    `${summary.mxHosts} MX hosts, ${a.total} addresses: ${a.verifiedTls} verified TLS, ` +
      `${a.unverifiedTls} unverified TLS, ${a.noStarttls} without STARTTLS, ` +
      `${a.handshakeFailed} handshake failed, ${a.temporary} not checked (temporary), ` +
      `${a.otherFailures} other failures`,
    `certificates: ${a.expiringSoon} expiring within ${summary.expiryDays} days, ` +
      `${a.expired} expired; ${summary.errors} domains with errors`,
  ];
}
