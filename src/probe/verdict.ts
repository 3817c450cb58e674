/**
 * The verdict on a domain from what DNS and each of its MX addresses said. A temporary
 * failure (timeout, 421, reset) is never counted as "no TLS": a domain whose only failures
 * are temporary gets `error`, not `no-tls`.
 */
import type { DnsOutcome, DomainVerdict, ExchangeResult, HostResult } from './types.js';
import type { ErrorInfo } from '../errors.js';

/** The verdict and the one sentence that explains it. */
export interface VerdictWithDetail {
  verdict: DomainVerdict;
  detail: string;
}

/** How one address counts toward the verdict. */
export type AddressStanding =
  | 'verified'
  | 'unverified'
  | 'no-tls'
  | 'temporary'
  | 'unchecked'
  | 'local';

/**
 * The outcomes that are evidence about TLS itself. Any other failure (a refused greeting, a
 * rejected EHLO, a reply too long to read, a refused connection) ends the session before
 * TLS could be judged, so it never counts as "no TLS".
 */
const NO_TLS_OUTCOMES: ReadonlySet<HostResult['outcome']> = new Set([
  'starttls-not-offered',
  'starttls-refused',
  'starttls-dropped',
  'handshake-failed',
]);

/** Where one address's result stands. */
export function addressStanding(result: HostResult): AddressStanding {
  if (result.outcome === 'tls') {
    return result.tls?.certificate.summary === 'verified' ? 'verified' : 'unverified';
  }
  // "This machine has no IPv6 route" says nothing about the server.
  if (result.outcome === 'no-route') return 'local';
  if (result.temporary) return 'temporary';
  return NO_TLS_OUTCOMES.has(result.outcome) ? 'no-tls' : 'unchecked';
}

/**
 * Judges a domain. `dnsError` is the lookup failure when `dnsOutcome` is "error". Addresses
 * this machine cannot reach at all (`no-route`) are left out while any other address was
 * probed, so that a host without IPv6 does not mark every dual-stack domain "partial".
 */
export function judgeDomain(
  dnsOutcome: DnsOutcome,
  exchanges: ExchangeResult[],
  dnsError?: ErrorInfo,
): VerdictWithDetail {
  switch (dnsOutcome) {
    case 'null-mx':
      return { verdict: 'no-mail', detail: 'The domain accepts no mail (RFC 7505 null MX).' };
    case 'nxdomain':
      return { verdict: 'not-found', detail: 'The domain does not exist (NXDOMAIN).' };
    case 'no-mail-hosts':
      return { verdict: 'not-found', detail: 'The domain has no MX and no address records.' };
    case 'error':
      return {
        verdict: 'error',
        detail: `The MX lookup failed: ${dnsError?.message ?? 'no answer'}.`,
      };
    default:
      break;
  }

  const all = exchanges.flatMap((exchange) => exchange.hosts);
  if (all.length === 0) {
    const failed = exchanges.some((exchange) => exchange.addressOutcome === 'error');
    return failed
      ? { verdict: 'error', detail: 'The address lookups of the MX hosts failed.' }
      : { verdict: 'not-found', detail: 'No MX host of the domain has an address.' };
  }
  const reachable = all.filter((result) => addressStanding(result) !== 'local');
  const results = reachable.length > 0 ? reachable : all;
  const skipped = all.length - results.length;
  const note = skipped > 0 ? ` (${skipped} address${skipped === 1 ? '' : 'es'} not reachable ` +
    'from this machine left out)' : '';
  const count = (standing: AddressStanding) =>
    results.filter((result) => addressStanding(result) === standing);
  const verified = count('verified');
  const unverified = count('unverified');
  const noTls = count('no-tls');
  // Addresses that could not be judged: temporary failures, sessions that broke before TLS
  // could be tried, and (when nothing else answered) addresses this machine cannot reach.
  const temporary = [...count('temporary'), ...count('unchecked'), ...count('local')];
  const total = results.length;
  const tls = verified.length + unverified.length;
  const hostCount = new Set(results.map((result) => result.host)).size;

  if (verified.length === total) {
    return {
      verdict: 'verified-tls',
      detail: `${all1(total)} of ${plural(hostCount, 'MX host')} ${offer(total)} TLS ` +
        `with a verified certificate${note}.`,
    };
  }
  if (tls === total) {
    const first = unverified[0] as HostResult;
    return {
      verdict: 'tls-unverified',
      detail: `${all1(total)} ${offer(total)} TLS, but ${unverified.length} ` +
        `certificate${unverified.length === 1 ? '' : 's'} did not verify (${where(first)}: ` +
        `${first.tls?.certificate.summary ?? 'unknown'})${note}.`,
    };
  }
  if (tls === 0 && noTls.length > 0) {
    const first = noTls[0] as HostResult;
    const rest = temporary.length > 0
      ? `; ${temporary.length} other${temporary.length === 1 ? '' : 's'} could not be checked`
      : '';
    return {
      verdict: 'no-tls',
      detail: `No address offers TLS (${where(first)}: ${first.detail})${rest}${note}.`,
    };
  }
  if (tls === 0) {
    const first = temporary[0] as HostResult;
    return {
      verdict: 'error',
      detail: `No address could be probed to the end (${where(first)}: ${first.detail})${note}.`,
    };
  }
  const failed = [...noTls, ...temporary][0] as HostResult;
  return {
    verdict: 'partial',
    detail: `${tls} of ${plural(total, 'address')} do TLS; ${where(failed)}: ` +
      `${failed.detail}${note}.`,
  };
}

/** "The 1 address" or "All 3 addresses". */
function all1(count: number): string {
  return count === 1 ? 'The 1 address' : `All ${plural(count, 'address')}`;
}

function offer(count: number): string {
  return count === 1 ? 'offers' : 'offer';
}

function where(result: HostResult): string {
  return `${result.host}[${result.address}]`;
}

function plural(count: number, noun: string): string {
  if (count === 1) return `1 ${noun}`;
  return `${count} ${noun.endsWith('s') ? `${noun}es` : `${noun}s`}`;
}
