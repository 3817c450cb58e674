/**
 * The text form of a comparison for a person: when the message travelled and when the probes
 * ran, the partner's MX, then each hand-off with the header clause, the probe outcome and the
 * conclusion drawn from them. Everything taken from a header or a server is sanitised.
 */
import { sanitize } from '../errors.js';
import type { CompareHop, CompareResult, ReceiverEvidence } from '../compare/types.js';

const CONCLUSION_LABELS: Readonly<Record<CompareHop['conclusion'], string>> = {
  encrypted: 'encrypted',
  'sender-did-not-use-tls': 'SENDER DID NOT USE TLS',
  'receiver-lacked-tls': 'RECEIVER LACKED TLS',
  'cannot-tell': 'cannot tell',
};

const ROLE_LABELS: Readonly<Record<CompareHop['role'], string>> = {
  'sender-side': 'inside the sender\'s side',
  'partner-outbound': 'partner outbound',
  relay: 'between providers',
  'recipient-inbound': 'into the recipient\'s provider',
};

const FOUND_BY: Readonly<Record<NonNullable<ReceiverEvidence['foundBy']>, string>> = {
  'by-clause': 'the by clause',
  'next-hop-sender': 'the next hop\'s sender',
  'recipient-domain-mx': 'the recipient domain\'s MX',
  'receiver-domain-mx': 'the receiver domain\'s MX',
  'partner-mx': 'the partner\'s MX',
};

/** The hand-offs that count are those from the partner's outbound hop on; say so if fewer. */
function counted(result: CompareResult): string {
  const provider = result.summary.providerHops;
  return provider < result.message.handoffs
    ? `, ${provider} from the partner's outbound hop on` : '';
}

/** Returns the lines of the report. */
export function formatCompare(result: CompareResult): string[] {
  const lines: string[] = [];
  const { message, probe } = result;
  lines.push(`Compare for ${result.domain}`);
  lines.push(`  message:  travelled ${formatDate(message.firstDate)} to ` +
    `${formatDate(message.lastDate)} (${count(message.hops, 'hop')}, ` +
    `${count(message.handoffs, 'hand-off')}${counted(result)})`);
  if (probe.source === 'live') {
    lines.push(`  probes:   made now, ${formatDate(probe.oldestCheckedAt)}, ` +
      `resolver ${probe.resolver ?? '?'}`);
  } else {
    const age = probe.ageDays === null ? 'none used' : `${probe.ageDays} days old`;
    lines.push(`  probes:   saved in ${probe.file ?? '?'}, probed ` +
      `${formatDate(probe.oldestCheckedAt)} (${age})`);
  }
  lines.push('  A probe shows a server as it is at probe time, not as it was when the message');
  lines.push('  travelled: it points to a cause, it does not prove what happened then.');
  lines.push('');
  lines.push(`Partner ${result.domain} MX: ${describeReceiver(result.partner.mx)}`);

  for (const hop of result.hops) {
    lines.push('');
    const path = `${hop.from ?? '?'} → ${hop.to ?? '?'}`;
    lines.push(`Hop ${hop.hop}  ${path}  (${ROLE_LABELS[hop.role]})  ${formatDate(hop.date)}`);
    lines.push(`  header:     ${hop.header.clause}`);
    lines.push(`              ${describeHeader(hop)}`);
    if (hop.receiver !== null) lines.push(`  probe:      ${describeReceiver(hop.receiver)}`);
    lines.push(`  conclusion: ${CONCLUSION_LABELS[hop.conclusion]}: ${hop.reason}`);
    if (hop.note !== null) lines.push(`  note:       ${hop.note.text}`);
    if (!hop.providerHop) lines.push('  (not counted: before the partner\'s outbound hop)');
  }
  lines.push('');
  lines.push(result.summary.text);
  return lines.map((line) => sanitize(line, 2000));
}

function describeHeader(hop: CompareHop): string {
  const h = hop.header;
  if (h.verdict === 'encrypted') {
    const detail = [h.protocol, h.cipher].filter((p) => p !== null).join(', ');
    // The first marker is the one the verdict rests on; the rest repeat parts of it.
    const marker = (h.markers[0] ?? '').replace(/\s+/g, ' ');
    return `TLS recorded${detail ? ` (${detail})` : ''}: ${marker}`;
  }
  const dialect = `${h.recorder} records TLS: ${h.recordsTls}`;
  if (h.verdict === 'not-encrypted') return `no TLS recorded (${dialect})`;
  return `no TLS marker, which proves nothing here (${dialect})`;
}

function describeReceiver(evidence: ReceiverEvidence): string {
  const found = evidence.foundBy === null ? '' : ` (from ${FOUND_BY[evidence.foundBy]})`;
  const when = evidence.checkedAt === null
    ? ''
    : `, ${evidence.source === 'saved' ? 'saved probe of' : 'probed'} ` +
      formatDate(evidence.checkedAt);
  const name = evidence.name ?? 'no server';
  const tried = evidence.tried.length > 0 && evidence.name !== null
    ? ` [tried first: ${evidence.tried.join('; ')}]`
    : '';
  return `${name}${found}${when}: ${evidence.state}: ${evidence.detail}${tried}`;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function formatDate(iso: string | null): string {
  if (iso === null) return '(no date)';
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z').replace(/Z$/, ' UTC');
}
