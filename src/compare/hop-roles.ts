/**
 * Which hand-offs of a trace belong to the partner's side, which one is the partner's own
 * outbound hop, and by which names the receiving server of a hop can be probed.
 */
import { getDomain } from 'tldts';
import type { Hop, Trace } from '../trace/types.js';
import type { HopRole, ReceiverSource } from './types.js';

/** A hand-off hop with its place between the partner and the recipient. */
export interface RoledHop {
  hop: Hop;
  role: HopRole;
}

/** A name to probe for a hop's receiver, and how it was found. */
export interface ReceiverCandidate {
  /** A host name, or a domain whose MX set stands for the receiver. */
  name: string;
  kind: 'host' | 'mx';
  foundBy: ReceiverSource;
}

/**
 * Gives each hand-off of `trace` its role. The partner's outbound hop is the first hand-off
 * whose sender is in `domain`'s organisation; the hand-offs before it lead to the partner's
 * own server, so they sit inside the sender's side. Returns `partnerFound: false` when no
 * sender is in the domain (then every hand-off counts between providers).
 */
export function assignRoles(
  trace: Trace,
  domain: string,
): { hops: RoledHop[]; partnerFound: boolean } {
  const organisation = organisationOf(domain) ?? key(domain);
  const handoffs = new Set(trace.handoffs.map((h) => h.hop));
  const hops = trace.hops.filter((h) => handoffs.has(h.index));
  const partnerAt = hops.findIndex((h) => isPartnerSender(h, organisation));
  const roled = hops.map((hop, i): RoledHop => {
    let role: HopRole;
    if (partnerAt >= 0 && i < partnerAt) role = 'sender-side';
    else if (i === partnerAt) role = 'partner-outbound';
    else if (i === hops.length - 1) role = 'recipient-inbound';
    else role = 'relay';
    return { hop, role };
  });
  return { hops: roled, partnerFound: partnerAt >= 0 };
}

/**
 * The names to try for a hop's receiver, best first: the by clause's host; the next hop's
 * sender when the trace says it is the same server; for the partner's outbound hop, the MX of
 * the recipient's domain (where the partner's server looked); then the MX of the receiver's
 * domain. Names that are not host names (address literals, single labels) are left out.
 */
export function receiverCandidates(trace: Trace, hop: Hop, role: HopRole): ReceiverCandidate[] {
  const candidates: ReceiverCandidate[] = [];
  const add = (name: string | null | undefined, kind: 'host' | 'mx', foundBy: ReceiverSource)
  : void => {
    if (!name || !isHostName(name)) return;
    const clean = key(name);
    if (candidates.some((c) => c.name === clean && c.kind === kind)) return;
    candidates.push({ name: clean, kind, foundBy });
  };

  add(hop.by?.host, 'host', 'by-clause');
  const next = trace.hops[hop.index];
  if (next && next.continuity === 'match' && next.from) {
    add(next.from.rdns, 'host', 'next-hop-sender');
    add(next.from.helo, 'host', 'next-hop-sender');
  }
  if (role === 'partner-outbound') add(recipientDomain(trace, hop), 'mx', 'recipient-domain-mx');
  add(hop.byOrganisation, 'mx', 'receiver-domain-mx');
  return candidates;
}

/** The registrable domain of a name (public suffix list), or null. */
export function organisationOf(name: string): string | null {
  return getDomain(key(name));
}

function isPartnerSender(hop: Hop, organisation: string): boolean {
  if (hop.fromOrganisation === organisation) return true;
  const names = [hop.from?.rdns, hop.from?.helo].map((n) => key(n ?? ''));
  return names.some((n) => n === organisation || n.endsWith(`.${organisation}`));
}

/** The domain of the first `for <address>` on this hop or a later one. */
function recipientDomain(trace: Trace, hop: Hop): string | null {
  for (const later of trace.hops.slice(hop.index - 1)) {
    const address = later.for?.replace(/^<|>$/g, '') ?? '';
    const at = address.lastIndexOf('@');
    if (at > 0) return address.slice(at + 1);
  }
  return null;
}

function isHostName(name: string): boolean {
  const clean = key(name);
  return clean.length <= 253 && clean.includes('.') &&
    /^(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/
      .test(clean) && !/^[\d.]+$/.test(clean);
}

function key(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}
