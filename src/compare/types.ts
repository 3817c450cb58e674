/**
 * The result of comparing a message's trace with probes of its receivers: the documented
 * `--json` schema of `mxtls compare` (schema "mxtls.compare/1"). Header evidence (what the
 * message says happened then) and probe evidence (what the servers do now) are kept apart, and
 * each carries its own date.
 *
 * ```jsonc
 * {
 *   "schema": "mxtls.compare/1",
 *   "domain": "partner.example",
 *   "message": { "firstDate": "…Z" | null, "lastDate": "…Z" | null, "hops": 4, "handoffs": 2 },
 *   "probe": { "source": "live" | "saved", "resolver": "127.0.0.1:53" | null,
 *              "file": "results/2026-….jsonl" | null, "oldestCheckedAt": "…Z" | null,
 *              "newestCheckedAt": "…Z" | null, "ageDays": 3 | null },
 *   "partner": { "domain": "partner.example", "mx": ReceiverEvidence },
 *   "hops": [{
 *     "hop": 2, "role": "partner-outbound", "providerHop": true,
 *     "from": "out.partner.example", "to": "mx.filter.example",
 *     "fromOrganisation": "partner.example", "toOrganisation": "filter.example",
 *     "date": "…Z" | null,
 *     "header": { "verdict": "not-encrypted", "recorder": "Postfix", "recordsTls": "always",
 *                 "clause": "by mx.filter.example (Postfix) with ESMTP",
 *                 "markers": ["no TLS marker from Postfix"], "protocol": null, "cipher": null },
 *     "receiver": ReceiverEvidence | null,      // null when the header shows TLS
 *     "conclusion": "encrypted" | "sender-did-not-use-tls" | "receiver-lacked-tls" | "cannot-tell",
 *     "reason": "…", "note": { "kind": "partner-outbound-configuration", "text": "…" } | null,
 *     "unencrypted": true
 *   }],
 *   "summary": { "providerHops": 2, "unencryptedHops": [2], "cannotTellHops": [], "text": "…" },
 *   "warnings": ["…"]
 * }
 * ```
 */
import type { CertificateVerdict } from '../probe/types.js';
import type { RecordsTls, Verdict } from '../trace/types.js';

/** The `schema` value of a compare result; it changes only when the shape does. */
export const COMPARE_SCHEMA = 'mxtls.compare/1';

/** What is concluded about one hop. */
export type Conclusion =
  | 'encrypted'
  | 'sender-did-not-use-tls'
  | 'receiver-lacked-tls'
  | 'cannot-tell';

/**
 * Where a hop sits between the partner and the recipient: `sender-side` hops come before the
 * partner's outbound hop (inside the sender's side), `relay` hops lead into a filtering
 * service or other middle provider, `recipient-inbound` is the last hand-off.
 */
export type HopRole = 'sender-side' | 'partner-outbound' | 'relay' | 'recipient-inbound';

/**
 * What a probe of a receiver showed, reduced to what the rules need: it offers TLS, it offers
 * no STARTTLS, STARTTLS is offered but refused or the handshake fails, its addresses disagree,
 * a temporary failure, no connection, names that do not resolve, or no probe at all.
 */
export type ReceiverState =
  | 'offers-tls'
  | 'no-starttls'
  | 'handshake-failed'
  | 'mixed'
  | 'temporary'
  | 'unreachable'
  | 'unresolved'
  | 'not-probed';

/** How the name of a probed receiver was found. */
export type ReceiverSource =
  | 'by-clause'
  | 'next-hop-sender'
  | 'recipient-domain-mx'
  | 'receiver-domain-mx'
  | 'partner-mx';

/** The probe evidence about one receiving server (or the partner's MX set). */
export interface ReceiverEvidence {
  state: ReceiverState;
  /** The name that was probed (a host, or a domain whose MX set was probed); null if none. */
  name: string | null;
  foundBy: ReceiverSource | null;
  /** The addresses whose results were used. */
  addresses: string[];
  /** When the probe offered TLS: how the certificate verified, else null. */
  certificate: CertificateVerdict['summary'] | null;
  /** The TLS version the probe negotiated, e.g. "TLSv1.3", else null. */
  protocol: string | null;
  /** When the probe ran (ISO 8601), or null when there was none. */
  checkedAt: string | null;
  /** `live` for a probe made now, `saved` for one read from `--results`. */
  source: 'live' | 'saved' | null;
  /** One sentence: the probe outcome behind the state. */
  detail: string;
  /** Names tried before this one, each with why it gave nothing. */
  tried: string[];
}

/** What the rules read from a hop's Received field. */
export interface HopFacts {
  verdict: Verdict;
  /** Whether the receiver's dialect writes TLS into the field when TLS was used. */
  recordsTls: RecordsTls;
  /** The receiver's dialect, e.g. "Postfix", for sentences. */
  recorderName: string;
  role: HopRole;
}

/** Kinds of note added to a conclusion about the partner. */
export type NoteKind = 'partner-outbound-configuration' | 'partner-lacks-tls';

/** A remark beside a conclusion, about what it suggests. */
export interface HopNote {
  kind: NoteKind;
  text: string;
}

/** The conclusion about one hop, with the reason a reader can check. */
export interface HopInference {
  conclusion: Conclusion;
  reason: string;
  note: HopNote | null;
}

/** What the Received field of a hop says, as shown beside the conclusion. */
export interface HeaderEvidence {
  verdict: Verdict;
  recorder: string;
  recordsTls: RecordsTls;
  /** The by and with clauses as written, the part of the field the verdict rests on. */
  clause: string;
  markers: string[];
  protocol: string | null;
  cipher: string | null;
}

/** One hop of the comparison. */
export interface CompareHop {
  hop: number;
  role: HopRole;
  /** True for hand-offs between providers that count toward the exit code. */
  providerHop: boolean;
  from: string | null;
  to: string | null;
  fromOrganisation: string | null;
  toOrganisation: string | null;
  /** The hop's date from its Received field, ISO 8601 UTC, or null. */
  date: string | null;
  header: HeaderEvidence;
  /** Null when the header records TLS, so no probe was needed. */
  receiver: ReceiverEvidence | null;
  conclusion: Conclusion;
  reason: string;
  note: HopNote | null;
  /** The header records no TLS, or the receiver's lack of TLS explains the hop. */
  unencrypted: boolean;
}

/** Where the probe evidence came from. */
export interface ProbeProvenance {
  source: 'live' | 'saved';
  resolver: string | null;
  file: string | null;
  oldestCheckedAt: string | null;
  newestCheckedAt: string | null;
  /** Whole days from the oldest probe used to now, or null when no probe was used. */
  ageDays: number | null;
}

/** The counts and the line a person reads first. */
export interface CompareSummary {
  providerHops: number;
  unencryptedHops: number[];
  cannotTellHops: number[];
  text: string;
}

/** The whole comparison of one message with today's probes. */
export interface CompareResult {
  schema: typeof COMPARE_SCHEMA;
  domain: string;
  message: {
    firstDate: string | null;
    lastDate: string | null;
    hops: number;
    handoffs: number;
  };
  probe: ProbeProvenance;
  partner: { domain: string; mx: ReceiverEvidence };
  hops: CompareHop[];
  summary: CompareSummary;
  warnings: string[];
}
