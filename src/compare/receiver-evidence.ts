/**
 * Reduces probe results (one host's addresses, or a whole MX set) to the receiver evidence the
 * inference rules read. A temporary failure (timeout, 421, reset) is never read as "no TLS",
 * and a certificate that does not verify still counts as TLS offered: opportunistic senders
 * use it anyway.
 */
import type { ExchangeResult, HostResult } from '../probe/types.js';
import type { ReceiverEvidence, ReceiverSource, ReceiverState } from './types.js';

/** Where a probe result came from: the probe itself, and when and how it was made. */
export interface ProbedExchanges {
  exchanges: ExchangeResult[];
  checkedAt: string;
  source: 'live' | 'saved';
  /** The DNS lookup of the name failed (as opposed to finding nothing). */
  lookupFailed?: boolean;
}

type Standing = 'offers-tls' | 'no-starttls' | 'handshake-failed' | 'temporary' | 'unreachable';

/** What one address's probe says about TLS at that address. */
export function hostStanding(result: HostResult): Standing {
  if (result.outcome === 'tls') return 'offers-tls';
  if (result.temporary) return 'temporary';
  switch (result.outcome) {
    case 'starttls-not-offered':
      return 'no-starttls';
    case 'starttls-refused':
    case 'starttls-dropped':
    case 'handshake-failed':
      return 'handshake-failed';
    case 'connect-failed':
    case 'no-route':
      return 'unreachable';
    default:
      // A refused greeting or EHLO, or a protocol error, says nothing about TLS.
      return 'temporary';
  }
}

/**
 * Summarises probed exchanges. When `hopAddress` (the receiver's address from the by clause)
 * is among the probed addresses, only that address counts: it is the one the message met.
 */
export function summariseReceiver(
  probed: ProbedExchanges,
  name: string,
  foundBy: ReceiverSource,
  hopAddress: string | null = null,
  tried: string[] = [],
): ReceiverEvidence {
  let hosts = probed.exchanges.flatMap((e) => e.hosts);
  const matching = hosts.filter((h) => hopAddress !== null && h.address === hopAddress);
  if (matching.length > 0) hosts = matching;
  const base = {
    name,
    foundBy,
    addresses: hosts.map((h) => h.address),
    checkedAt: probed.checkedAt,
    source: probed.source,
    tried,
  };

  if (hosts.length === 0) {
    const failed = probed.lookupFailed === true ||
      probed.exchanges.some((e) => e.addressOutcome === 'error');
    return {
      ...base,
      state: failed ? 'temporary' : 'unresolved',
      certificate: null,
      protocol: null,
      detail: failed ? `the address lookup of ${name} failed` : `${name} has no address`,
    };
  }

  const standings = hosts.map(hostStanding);
  const decisive = [...new Set(standings.filter((s) => isDecisive(s)))];
  let state: ReceiverState;
  if (decisive.length === 1) state = decisive[0] as ReceiverState;
  else if (decisive.length > 1) state = 'mixed';
  else if (standings.includes('temporary')) state = 'temporary';
  else state = 'unreachable';

  // Of several TLS addresses, the one whose certificate fails speaks for them all: "verified"
  // must be true of every address, not of the first.
  const sessions = hosts.flatMap((h) => (h.outcome === 'tls' && h.tls ? [h.tls] : []));
  const tls = sessions.find((t) => t.certificate.summary !== 'verified') ?? sessions[0];
  const certificate = state === 'offers-tls' ? (tls?.certificate.summary ?? null) : null;
  return {
    ...base,
    state,
    certificate,
    protocol: state === 'offers-tls' ? (tls?.protocol ?? null) : null,
    detail: describeHosts(hosts, certificate),
  };
}

/** The evidence for a receiver no probe could be had for, with why. */
export function noProbe(state: 'unresolved' | 'not-probed' | 'temporary', detail: string,
  tried: string[]): ReceiverEvidence {
  return {
    state,
    name: null,
    foundBy: null,
    addresses: [],
    certificate: null,
    protocol: null,
    checkedAt: null,
    source: null,
    detail,
    tried,
  };
}

function isDecisive(standing: Standing): boolean {
  return standing === 'offers-tls' || standing === 'no-starttls' ||
    standing === 'handshake-failed';
}

/** "127.0.0.2:25 STARTTLS, TLSv1.3, certificate untrusted (…); 127.0.0.3:25 timed out …". */
function describeHosts(hosts: HostResult[], certificate: string | null): string {
  const parts = hosts.slice(0, 4).map((h) => {
    const where = `${h.address}:${h.port}`;
    if (h.outcome !== 'tls') return `${where} ${h.outcome}: ${h.detail}`;
    return `${where} offers STARTTLS, ${h.tls?.protocol ?? 'TLS'} handshake completed`;
  });
  if (hosts.length > 4) parts.push(`and ${hosts.length - 4} more addresses`);
  let text = parts.join('; ');
  if (certificate !== null && certificate !== 'verified') {
    text += `; certificate ${certificate}, which still counts as TLS offered: ` +
      'opportunistic senders use it anyway';
  } else if (certificate === 'verified') {
    text += '; certificate verified';
  }
  return text;
}
