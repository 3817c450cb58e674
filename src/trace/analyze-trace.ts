/**
 * Turns parsed Received fields into judged hops: oldest first, each with its two ends, the
 * receiver's dialect, the TLS evidence, whether it stayed inside one organisation, its delay,
 * and a verdict; then the hand-offs between organisations and the summary line.
 */
import { DEFAULT_INTERNAL_NETWORKS, inNetworks, parseNetwork, type Network } from './addresses.js';
import { clauseText, readReceiver, readSender } from './hop-endpoints.js';
import { recogniseRecorder, type RecorderContext } from './recorders.js';
import { organisation, organisationName, sameOrganisation } from './organisations.js';
import { readTlsMarkers, transmissionCore } from './tls-markers.js';
import {
  TRACE_SCHEMA,
  type Clause,
  type Handoff,
  type Hop,
  type ReceivedField,
  type TlsEvidence,
  type Trace,
  type TraceOptions,
  type TraceSkipped,
  type TraceSummary,
  type Verdict,
} from './types.js';
import { UsageError } from '../errors.js';

/** Default tolerance before a negative delay is called clock skew, in seconds. */
export const CLOCK_SKEW_SECONDS = 60;
/** Delays above this are noted (queued, moderated, retried); they are not errors. */
const LONG_DELAY_SECONDS = 3600;

// Transmission types that never cross between two mail servers' SMTP services.
const LOCAL_TYPES: ReadonlyMap<string, string> = new Map([
  ['lmtp', 'delivered to the mailbox over LMTP'],
  ['lmtpa', 'delivered to the mailbox over LMTP'],
  ['lmtps', 'delivered to the mailbox over LMTP'],
  ['lmtpsa', 'delivered to the mailbox over LMTP'],
  ['mapi', 'submitted from the mailbox store over MAPI'],
  ['local', 'submitted on the host itself'],
  ['spool', 'taken from a local spool'],
  ['http', 'submitted over HTTP (webmail or API), not passed between mail servers'],
  ['https', 'submitted over HTTPS (webmail or API), not passed between mail servers'],
]);

// Leftmost labels too common to show that two names are one host.
const GENERIC_LABELS: ReadonlySet<string> = new Set([
  'mail', 'smtp', 'mx', 'mx1', 'mx2', 'relay', 'localhost', 'mta', 'out', 'in', 'gateway',
]);

/** Parses the CIDR list of `internalNetworks`; throws UsageError on a bad entry. */
export function parseInternalNetworks(list: readonly string[]): Network[] {
  return list.map((text) => {
    const network = parseNetwork(text);
    if (network === null) throw new UsageError(`Cannot use internal network "${text}": not a CIDR`);
    return network;
  });
}

/**
 * Judges parsed Received fields, given newest first as they appear in the message, and returns
 * the trace (hops oldest first). `skipped` and `warnings` from reading the header are carried.
 */
export function analyzeTrace(
  fieldsNewestFirst: readonly ReceivedField[],
  options: TraceOptions = {},
  read: { warnings?: string[]; skipped?: TraceSkipped } = {},
): Trace {
  const networks = parseInternalNetworks(options.internalNetworks ?? DEFAULT_INTERNAL_NETWORKS);
  const skew = options.clockSkewSeconds ?? CLOCK_SKEW_SECONDS;
  const warnings = [...(read.warnings ?? [])];
  const fields = [...fieldsNewestFirst].reverse();
  const hops = fields.map((field, i) => buildHop(field, i + 1, networks));

  // A server that states TLS on one hop of this message shows that its dialect records TLS.
  const statingHosts = new Set(
    hops.filter((h) => h.evidence.state === 'stated' && h.by?.host).map((h) => key(h.by?.host)),
  );
  for (const hop of hops) {
    const learnable = hop.recorder.recordsTls === 'unknown' && hop.evidence.state === 'none';
    if (learnable && statingHosts.has(key(hop.by?.host))) {
      hop.recorder = {
        ...hop.recorder,
        recordsTls: 'always',
        note: 'this server recorded TLS on another hop of the same message',
      };
    }
    finishEvidence(hop);
    hop.verdict = judgeHop(hop);
  }

  checkContinuity(hops);
  computeDelays(hops, skew);
  fields.forEach((field, i) => {
    for (const warning of field.warnings) {
      // "No date" on a comment-only field is expected, not worth a warning.
      if (warning === 'No date found' && hops[i]?.verdict === 'not-applicable') continue;
      warnings.push(`Received field of hop ${i + 1}: ${warning}`);
    }
  });
  for (const hop of hops) {
    if (hop.continuity === 'gap') warnings.push(`Hop ${hop.index}: ${hop.notes[0] ?? 'gap'}`);
    for (const note of hop.notes) {
      if (note.startsWith('Clock skew')) warnings.push(`Hop ${hop.index}: ${note}`);
    }
  }

  const handoffs = hops.filter(isHandoff).map(toHandoff);
  return {
    schema: TRACE_SCHEMA,
    hops,
    handoffs,
    summary: summarise(hops, handoffs),
    warnings,
    skipped: read.skipped ?? { headerBytes: 0, receivedFields: 0, malformedLines: 0 },
  };
}

function buildHop(field: ReceivedField, index: number, networks: readonly Network[]): Hop {
  const clauses = field.clauses;
  const fromClause = clauses.find((c) => c.keyword === 'from');
  const byClause = clauses.find((c) => c.keyword === 'by');
  const withClauses = clauses.filter((c) => c.keyword === 'with');
  const from = fromClause ? readSender(fromClause) : null;
  const by = byClause ? readReceiver(byClause) : null;
  const withText = withClauses.map(clauseText).join(' ') || null;
  const transmission = transmissionType(withClauses);
  const markers = readTlsMarkers(clauses);
  const context: RecorderContext = {
    byHost: key(by?.host),
    byComments: byClause?.comments ?? [],
    withText: withText ?? '',
    fromComments: fromClause?.comments ?? [],
    comments: clauses.flatMap((c) => c.comments),
    hasId: clauses.some((c) => c.keyword === 'id'),
  };
  const hop: Hop = {
    index,
    from,
    by,
    via: firstWords(clauses, 'via'),
    with: withValue(withClauses, transmission),
    withText,
    id: clauses.find((c) => c.keyword === 'id')?.words[0] ?? null,
    // TODO: only the first recipient of a `for` clause is kept; the rest stay in `clauses`.
    for: clauses.find((c) => c.keyword === 'for')?.words[0] ?? null,
    date: field.date,
    dateText: field.dateText,
    delaySeconds: null,
    authenticated: isAuthenticated(transmission, clauses),
    recorder: recogniseRecorder(context),
    evidence: { ...markers },
    verdict: 'not-recorded',
    internal: false,
    internalReason: null,
    fromOrganisation: organisation(from?.rdns ?? from?.helo ?? null),
    byOrganisation: organisation(by?.host ?? null),
    continuity: 'unknown',
    notes: [],
    clauses,
    raw: field.raw,
  };
  const reason = internalReason(hop, transmission, networks);
  hop.internal = reason !== null;
  hop.internalReason = reason;
  if (from === null) {
    // Comments are all a from-less field has to say; the date's zone name is not one of them.
    const note = clauses
      .filter((c) => c.keyword !== 'date')
      .flatMap((c) => c.comments)
      .join('; ');
    if (note) hop.notes.push(`Note: ${note}`);
  }
  return hop;
}

/** The transmission type among the with words: `ESMTPS`, `esmtpsa`, `Microsoft SMTP Server`… */
function transmissionType(withClauses: readonly Clause[]): string | null {
  for (const clause of withClauses) {
    for (const word of clause.words) {
      const core = transmissionCore(word.split('/')[0] ?? '');
      if (/^(?:e?smtps?a?|b?smtp|lmtps?a?|https?|mapi|local|spool)$/.test(core)) return word;
    }
  }
  return null;
}

/** The `with` value: the transmission type when it leads the clause, else the whole phrase. */
function withValue(withClauses: readonly Clause[], transmission: string | null): string | null {
  const words = withClauses[0]?.words ?? [];
  if (words.length === 0) return null;
  return transmission !== null && words[0] === transmission ? transmission : words.join(' ');
}

function isAuthenticated(transmission: string | null, clauses: readonly Clause[]): boolean {
  if (transmission !== null && /^(?:e?smtps?a|lmtps?a)$/.test(transmissionCore(transmission))) {
    return true;
  }
  return clauses.some((c) =>
    c.comments.some((t) => /^(?:authenticated\b|Authenticated sender:|AUTH:)/i.test(t)),
  );
}

/** Why a hop stays inside one organisation, or null when it crosses between two. */
function internalReason(
  hop: Hop,
  transmission: string | null,
  networks: readonly Network[],
): string | null {
  const comments = hop.clauses.flatMap((c) => c.comments);
  const software = hop.by?.software ?? '';
  if (comments.some((c) => /^from \S+@localhost$/i.test(c)) || /\/Submit\b/.test(software)) {
    return 'submitted by a local program (localhost submission)';
  }
  if (hop.from === null) return 'no sending host recorded: a local injection or a note';
  const core = transmission === null ? '' : transmissionCore(transmission);
  const local = LOCAL_TYPES.get(core);
  if (local) return local;
  // Exim's `local-esmtp`, `local-bsmtp`…: SMTP spoken by a process on the host (-bs, -bS).
  if (transmission !== null && /^local-/i.test(transmission)) return 'submitted on the host itself';
  const fromText = hop.from.text.toLowerCase();
  if (fromText.includes('[unix socket]') || fromText.includes('[local]')) {
    return 'passed over a local socket';
  }
  if (hop.from.ip !== null && inNetworks(hop.from.ip, networks)) {
    return `sent from the internal address ${hop.from.ip}`;
  }
  if (/\b(?:amavis\w*|content[- ]filter)\b|\bport 100\d\d\b/i.test(software)) {
    return 'passed through a content filter';
  }
  const names = [hop.from.helo, hop.from.rdns].map(key).filter((n) => n !== '');
  const byHost = key(hop.by?.host);
  if (byHost !== '' && names.includes(byHost)) return 'the host passed the message to itself';
  if (sameOrganisation(hop.fromOrganisation, hop.byOrganisation)) {
    return `both ends are in ${organisationName(hop.fromOrganisation as string)}`;
  }
  if (hop.from.ip === null && names.some((n) => n === 'localhost' || n.startsWith('localhost.'))) {
    return 'sent from localhost';
  }
  return null;
}

/**
 * Dialects whose transmission type alone says whether TLS was used: they write ESMTPS (or
 * esmtps) on every TLS session, so a plain ESMTP beside a TLS comment contradicts itself.
 */
const TRANSMISSION_MARKS_TLS: ReadonlySet<string> = new Set(['postfix', 'exim']);

/** Applies the receiver's dialect: where it always records TLS, silence means no TLS. */
function finishEvidence(hop: Hop): void {
  const evidence: TlsEvidence = hop.evidence;
  const plain = hop.with !== null && /^(?:e?smtpa?|lmtpa?)$/i.test(transmissionCore(hop.with));
  if (evidence.state === 'stated' && plain && TRANSMISSION_MARKS_TLS.has(hop.recorder.id)) {
    // A TLS comment the server itself would not have written with this transmission type:
    // most likely text the sender put in (a forged field), so it proves nothing either way.
    hop.notes.push(`Note: the TLS comment contradicts "with ${hop.with}", which ` +
      `${hop.recorder.name} writes only without TLS; the field may be forged`);
    // The claimed details go with the claim; the raw markers stay for the reader.
    Object.assign(evidence, { state: 'none', protocol: null, cipher: null, bits: null,
      keyExchange: null, verify: null });
    return;
  }
  if (evidence.state === 'none' && hop.recorder.recordsTls === 'always') {
    evidence.state = 'stated-absent';
    evidence.markers = [...evidence.markers, `no TLS marker from ${hop.recorder.name}`];
  }
}

function judgeHop(hop: Hop): Verdict {
  if (hop.from === null && hop.internalReason?.startsWith('no sending host')) {
    return 'not-applicable';
  }
  if (hop.internal) return 'internal';
  if (hop.evidence.state === 'stated') return 'encrypted';
  if (hop.evidence.state === 'stated-absent') return 'not-encrypted';
  return 'not-recorded';
}

/** Flags hops whose sender is not the previous hop's receiver. */
function checkContinuity(hops: Hop[]): void {
  for (let i = 1; i < hops.length; i += 1) {
    const hop = hops[i] as Hop;
    const previous = hops[i - 1] as Hop;
    if (hop.from === null || previous.by === null || previous.by.host === null) continue;
    const names = [hop.from.helo, hop.from.rdns].map(key).filter((n) => n !== '');
    const prevHost = key(previous.by.host);
    const prevOrg = organisation(previous.by.host);
    // A loopback sender is the previous receiver itself (a content-filter loop).
    const loopback = hop.from.ip !== null && /^(?:127\.|::1$)/.test(hop.from.ip);
    const match =
      loopback ||
      names.includes(prevHost) ||
      (hop.from.ip !== null && hop.from.ip === previous.by.ip) ||
      sameOrganisation(prevOrg, hop.fromOrganisation) ||
      names.some((n) => sameLeftLabel(n, prevHost));
    hop.continuity = match ? 'match' : 'gap';
    if (!match) {
      const sender = hop.from.rdns ?? hop.from.helo ?? hop.from.ip ?? '?';
      hop.notes.unshift(
        `Gap: the sender ${sender} is not the previous receiver ${previous.by.host}; ` +
          'a Received field may be missing or forged',
      );
    }
  }
}

function sameLeftLabel(a: string, b: string): boolean {
  const left = a.split('.')[0] ?? '';
  return left.length > 0 && !GENERIC_LABELS.has(left) && left === (b.split('.')[0] ?? '');
}

/** Delay of each hop since the previous dated one; skew beyond the tolerance is flagged. */
function computeDelays(hops: Hop[], skewSeconds: number): void {
  let previous: number | null = null;
  for (const hop of hops) {
    if (hop.date === null) continue;
    const time = Date.parse(hop.date);
    if (previous !== null) {
      const delay = Math.round((time - previous) / 1000);
      hop.delaySeconds = delay;
      if (delay < -skewSeconds) {
        hop.notes.push(`Clock skew: dated ${-delay} s before the previous hop`);
      } else if (delay > LONG_DELAY_SECONDS) {
        hop.notes.push(`Long delay of ${formatSeconds(delay)}: queued, held or retried`);
      }
    }
    previous = time;
  }
}

/** "5 d 1 h", "3 h 20 min", "45 s": for notes. */
export function formatSeconds(seconds: number): string {
  const s = Math.abs(seconds);
  const sign = seconds < 0 ? '-' : '';
  if (s < 120) return `${sign}${s} s`;
  if (s < 7200) return `${sign}${Math.round(s / 60)} min`;
  if (s < 172800) return `${sign}${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
  return `${sign}${Math.floor(s / 86400)} d ${Math.round((s % 86400) / 3600)} h`;
}

function isHandoff(hop: Hop): boolean {
  return hop.verdict !== 'internal' && hop.verdict !== 'not-applicable';
}

function toHandoff(hop: Hop): Handoff {
  return {
    hop: hop.index,
    from: senderName(hop),
    to: hop.by?.host ?? hop.by?.ip ?? null,
    fromOrganisation: hop.fromOrganisation,
    toOrganisation: hop.byOrganisation,
    verdict: hop.verdict,
    protocol: hop.evidence.protocol,
    cipher: hop.evidence.cipher,
  };
}

/** The name a person recognises for a hop's sender: rDNS, else HELO, else the address. */
export function senderName(hop: Hop): string | null {
  if (hop.from === null) return null;
  return hop.from.rdns ?? hop.from.helo ?? hop.from.ip;
}

function summarise(hops: Hop[], handoffs: Handoff[]): TraceSummary {
  const unencrypted = handoffs.filter((h) => h.verdict === 'not-encrypted');
  const notRecorded = handoffs.filter((h) => h.verdict === 'not-recorded');
  const describe = (h: Handoff): string => `hop ${h.hop} ${h.from ?? '?'} → ${h.to ?? '?'}`;
  let text: string;
  if (hops.length === 0) {
    text = 'No Received fields: nothing to trace';
  } else if (handoffs.length === 0) {
    text = 'No hand-offs between providers were found';
  } else if (unencrypted.length === 0) {
    text = `No hand-off between providers was unencrypted (${handoffs.length} checked)`;
  } else {
    const verb = unencrypted.length === 1 ? 'was' : 'were';
    text =
      `${unencrypted.length} of ${handoffs.length} hand-offs between providers ${verb} ` +
      `not encrypted: ${unencrypted.map(describe).join('; ')}`;
  }
  if (notRecorded.length > 0) {
    text += `; TLS not recorded on ${notRecorded.map((h) => `hop ${h.hop}`).join(', ')}`;
  }
  return {
    hops: hops.length,
    handoffs: handoffs.length,
    unencryptedHandoffs: unencrypted.map((h) => h.hop),
    notRecordedHandoffs: notRecorded.map((h) => h.hop),
    text,
  };
}

function firstWords(clauses: readonly Clause[], keyword: 'via'): string | null {
  const clause = clauses.find((c) => c.keyword === keyword);
  return clause && clause.words.length > 0 ? clause.words.join(' ') : null;
}

function key(name: string | null | undefined): string {
  return (name ?? '').toLowerCase().replace(/\.$/, '');
}
