/**
 * `compareMessage`: traces a message, probes (or looks up) the receiver of every hand-off
 * between providers that the header does not record as encrypted, probes the partner's own MX
 * set, and concludes per hop which side did not use TLS. Never throws for what a header, DNS
 * or a server does; bad options are a UsageError from the trace.
 */
import { parseMessage } from '../trace/index.js';
import type { Clause, Hop, Trace, TraceOptions } from '../trace/types.js';
import { assignRoles, receiverCandidates, type RoledHop } from './hop-roles.js';
import { inferHop } from './infer-hop.js';
import type { ProbeSource } from './probe-source.js';
import { noProbe, summariseReceiver } from './receiver-evidence.js';
import {
  COMPARE_SCHEMA,
  type CompareHop,
  type CompareResult,
  type CompareSummary,
  type HeaderEvidence,
  type ProbeProvenance,
  type ReceiverEvidence,
} from './types.js';

/** Options of compareMessage. */
export interface CompareOptions extends TraceOptions {
  /** Where receiver evidence comes from: live probes or a saved scan. */
  source: ProbeSource;
  /** At most this many hops get a probe of their receiver. Default 10. */
  maxProbedHops?: number;
  /** Clock, for the age of saved results. Default Date.now. */
  now?: () => number;
}

const DEFAULT_MAX_PROBED_HOPS = 10;
const DAY_MS = 86_400_000;

/** Compares the message `text` with probes of its receivers and of `domain`'s MX set. */
export async function compareMessage(
  domain: string,
  text: string | Buffer,
  options: CompareOptions,
): Promise<CompareResult> {
  const now = options.now ?? Date.now;
  const trace = parseMessage(text, options);
  const warnings = trace.warnings.map((w) => `trace: ${w}`);
  const { hops: roled, partnerFound } = assignRoles(trace, domain);
  if (!partnerFound && roled.length > 0) {
    warnings.push(
      `No hop was sent by a server in ${domain}: every hand-off counts as between providers`,
    );
  }

  const partnerMx = await partnerEvidence(domain, options.source);
  const maxProbed = options.maxProbedHops ?? DEFAULT_MAX_PROBED_HOPS;
  let probed = 0;
  const hops: CompareHop[] = [];
  for (const entry of roled) {
    let receiver: ReceiverEvidence | null = null;
    if (entry.hop.verdict !== 'encrypted') {
      if (probed < maxProbed) {
        probed += 1;
        receiver = await findReceiver(trace, entry, options.source);
      } else {
        receiver = noProbe('not-probed', `not probed: more than ${maxProbed} hops to probe`, []);
      }
    }
    hops.push(compareHop(entry, receiver, partnerMx));
  }
  if (probed >= maxProbed && hops.some((h) => h.receiver?.detail.startsWith('not probed'))) {
    warnings.push(`Only the first ${maxProbed} hops without recorded TLS were probed`);
  }

  const dates = trace.hops.map((h) => h.date).filter((d): d is string => d !== null);
  return {
    schema: COMPARE_SCHEMA,
    domain,
    message: {
      firstDate: dates[0] ?? null,
      lastDate: dates.at(-1) ?? null,
      hops: trace.hops.length,
      handoffs: trace.handoffs.length,
    },
    probe: provenance(options.source, [partnerMx, ...hops.map((h) => h.receiver)], now()),
    partner: { domain, mx: partnerMx },
    hops,
    summary: summarise(hops),
    warnings,
  };
}

async function partnerEvidence(domain: string, source: ProbeSource): Promise<ReceiverEvidence> {
  const probed = await source.mx(domain);
  if (!probed) {
    return noProbe('not-probed', `no saved result for ${domain}`, []);
  }
  return summariseReceiver(probed, domain, 'partner-mx');
}

/** Tries the receiver's names in order until one gives a probe result. */
async function findReceiver(
  trace: Trace,
  entry: RoledHop,
  source: ProbeSource,
): Promise<ReceiverEvidence> {
  const tried: string[] = [];
  const candidates = receiverCandidates(trace, entry.hop, entry.role);
  for (const candidate of candidates) {
    const label = candidate.kind === 'mx' ? `MX of ${candidate.name}` : candidate.name;
    const probed = candidate.kind === 'mx'
      ? await source.mx(candidate.name)
      : await source.host(candidate.name);
    if (!probed) {
      tried.push(`${label}: not in the saved results`);
      continue;
    }
    const evidence = summariseReceiver(
      probed, candidate.name, candidate.foundBy, entry.hop.by?.ip ?? null, [...tried],
    );
    if (evidence.state === 'unresolved') {
      tried.push(`${label}: ${evidence.detail}`);
      continue;
    }
    return evidence;
  }
  if (candidates.length === 0) {
    return noProbe('unresolved', 'the Received field names no receiver that can be probed', []);
  }
  const state = source.kind === 'saved' && tried.every((t) => t.endsWith('saved results'))
    ? 'not-probed'
    : 'unresolved';
  return noProbe(state, `no name of the receiver gave a probe: ${tried.join('; ')}`, tried);
}

function compareHop(
  entry: RoledHop,
  receiver: ReceiverEvidence | null,
  partnerMx: ReceiverEvidence,
): CompareHop {
  const { hop, role } = entry;
  const header = headerEvidence(hop);
  const inference = inferHop(
    { verdict: hop.verdict, recordsTls: hop.recorder.recordsTls, recorderName: hop.recorder.name,
      role },
    receiver,
    partnerMx,
  );
  const unencrypted = hop.verdict === 'not-encrypted' ||
    inference.conclusion === 'sender-did-not-use-tls' ||
    inference.conclusion === 'receiver-lacked-tls';
  return {
    hop: hop.index,
    role,
    providerHop: role !== 'sender-side',
    from: hop.from === null ? null : (hop.from.rdns ?? hop.from.helo ?? hop.from.ip),
    to: hop.by?.host ?? hop.by?.ip ?? null,
    fromOrganisation: hop.fromOrganisation,
    toOrganisation: hop.byOrganisation,
    date: hop.date,
    header,
    receiver,
    conclusion: inference.conclusion,
    reason: inference.reason,
    note: inference.note,
    unencrypted,
  };
}

function headerEvidence(hop: Hop): HeaderEvidence {
  const parts = hop.clauses.filter((c) => c.keyword === 'by' || c.keyword === 'with')
    .map(clauseText);
  return {
    verdict: hop.verdict,
    recorder: hop.recorder.name,
    recordsTls: hop.recorder.recordsTls,
    clause: parts.join(' '),
    markers: [...hop.evidence.markers],
    protocol: hop.evidence.protocol,
    cipher: hop.evidence.cipher,
  };
}

function clauseText(clause: Clause): string {
  return [clause.keyword, ...clause.words, ...clause.comments.map((c) => `(${c})`)].join(' ');
}

function provenance(
  source: ProbeSource,
  evidence: (ReceiverEvidence | null)[],
  now: number,
): ProbeProvenance {
  const times = evidence
    .map((e) => e?.checkedAt ?? null)
    .filter((t): t is string => t !== null)
    .sort((a, b) => Date.parse(a) - Date.parse(b));
  const oldest = times[0] ?? null;
  return {
    source: source.kind,
    resolver: source.resolver,
    file: source.file,
    oldestCheckedAt: oldest,
    newestCheckedAt: times.at(-1) ?? null,
    ageDays: oldest === null ? null : Math.max(0, Math.floor((now - Date.parse(oldest)) / DAY_MS)),
  };
}

function summarise(hops: CompareHop[]): CompareSummary {
  const provider = hops.filter((h) => h.providerHop);
  const unencrypted = provider.filter((h) => h.unencrypted).map((h) => h.hop);
  const cannotTell = provider.filter((h) => h.conclusion === 'cannot-tell').map((h) => h.hop);
  let text: string;
  if (provider.length === 0) {
    text = 'No hand-offs between providers were found';
  } else if (unencrypted.length === 0) {
    text = `No hand-off between providers was found unencrypted (${provider.length} checked)`;
  } else {
    const verb = unencrypted.length === 1 ? 'was' : 'were';
    text = `${unencrypted.length} of ${provider.length} hand-offs between providers ${verb} ` +
      `unencrypted: ${unencrypted.map((n) => `hop ${n}`).join(', ')}`;
  }
  if (cannotTell.length > 0) {
    // An unencrypted hop can still leave open which side lacked TLS.
    const which = cannotTell.every((n) => unencrypted.includes(n))
      ? 'which side lacked TLS cannot be told for' : 'cannot tell for';
    text += `; ${which} ${cannotTell.map((n) => `hop ${n}`).join(', ')}`;
  }
  return { providerHops: provider.length, unencryptedHops: unencrypted, cannotTellHops: cannotTell,
    text };
}
