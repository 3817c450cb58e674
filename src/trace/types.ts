/**
 * The result of tracing a message's Received trace fields: the documented `--json` schema of
 * `mxtls trace` (schema "mxtls.trace/1"). Values a header leaves out are `null`, never guessed.
 *
 * ```jsonc
 * {
 *   "schema": "mxtls.trace/1",
 *   "hops": [                      // oldest first; hop 1 is the bottom Received field
 *     {
 *       "index": 1,
 *       "from": { "helo": "mail.example.org", "rdns": "mail.example.org", "ip": "192.0.2.1",
 *                 "text": "mail.example.org (mail.example.org [192.0.2.1])" } | null,
 *       "by": { "host": "mx.example.com", "ip": null, "software": "Postfix" } | null,
 *       "via": null, "with": "ESMTPS", "withText": "ESMTPS", "id": "4AbC",
 *       "for": "<u@example.com>",
 *       "date": "2025-08-16T11:00:00.000Z" | null,  // ISO 8601 in UTC
 *       "dateText": "Sat, 16 Aug 2025 11:00:00 +0000" | null,
 *       "delaySeconds": 2 | null,    // since the previous hop that has a date
 *       "authenticated": false,      // ESMTPA-style transmission type or "authenticated" comment
 *       "recorder": { "id": "postfix", "name": "Postfix", "recordsTls": "always",
 *                     "note": "…" },
 *       "evidence": { "state": "stated" | "stated-absent" | "none",
 *                     "protocol": "TLS 1.3" | "SSL/TLS (version not stated)" | null,
 *                     "cipher": "TLS_AES_256_GCM_SHA384" | null, "bits": 256 | null,
 *                     "keyExchange": "X25519" | null, "verify": "OK" | null,
 *                     "markers": ["ESMTPS", "using TLSv1.3 with cipher …"] },  // raw text
 *       "verdict": "encrypted" | "not-encrypted" | "not-recorded" | "internal" | "not-applicable",
 *       "internal": false, "internalReason": "loopback address 127.0.0.1" | null,
 *       "fromOrganisation": "example.org" | null, "byOrganisation": "example.com" | null,
 *       "continuity": "match" | "gap" | "unknown",  // does `from` match the previous `by`?
 *       "notes": ["…"],
 *       "clauses": [{ "keyword": "from", "words": ["mail.example.org"], "comments": ["…"] }],
 *       "raw": "from mail.example.org (…) by mx.example.com (Postfix) with ESMTPS id …; …"
 *     }
 *   ],
 *   "handoffs": [                  // network hops between two organisations (or unknown ones)
 *     { "hop": 2, "from": "mail.example.org", "to": "mx.example.com",
 *       "fromOrganisation": "example.org", "toOrganisation": "example.com",
 *       "verdict": "encrypted", "protocol": "TLS 1.3", "cipher": "TLS_AES_256_GCM_SHA384" }
 *   ],
 *   "summary": { "hops": 3, "handoffs": 1, "unencryptedHandoffs": [2], "notRecordedHandoffs": [],
 *                "text": "1 of 1 hand-offs between providers was not encrypted: hop 2 …" },
 *   "warnings": ["Received field 3: cannot parse the date: \"…\""],
 *   "skipped": { "headerBytes": 0, "receivedFields": 0, "malformedLines": 0 }
 * }
 * ```
 */

/** The `schema` value of a trace result; it changes only when the shape does. */
export const TRACE_SCHEMA = 'mxtls.trace/1';

/** The keywords of RFC 5321 section 4.4, plus the preamble before any keyword and the date. */
export type ClauseKeyword = 'preamble' | 'from' | 'by' | 'via' | 'with' | 'id' | 'for' | 'date';

/**
 * One clause of a Received field: its keyword, the words after it and the comments that sit
 * inside it, in order. Words are atoms, `[literals]`, `<paths>` and quoted strings as written.
 */
export interface Clause {
  keyword: ClauseKeyword;
  words: string[];
  /** Comment texts without their outer parentheses; nested parentheses are kept. */
  comments: string[];
}

/** A Received field taken apart, before any judgement about hops or TLS. */
export interface ReceivedField {
  /** The field body as written, unfolded (line breaks removed, whitespace kept). */
  raw: string;
  clauses: Clause[];
  /** The text after the last top-level `;` (or the date found without one), or null. */
  dateText: string | null;
  /** The date in ISO 8601 UTC, or null when absent or unparseable. */
  date: string | null;
  /** Problems met while taking the field apart; never fatal. */
  warnings: string[];
}

/** The sending side of a hop, from the `from` clause. */
export interface HopSender {
  /** The name the client gave in HELO/EHLO, when the receiver recorded it. */
  helo: string | null;
  /** The name the receiver found for the address by reverse DNS. */
  rdns: string | null;
  /** The client's address, normalised (IPv4-mapped IPv6 becomes IPv4, zone index dropped). */
  ip: string | null;
  /** The from clause as written. */
  text: string;
}

/** The receiving side of a hop, from the `by` clause. */
export interface HopReceiver {
  host: string | null;
  ip: string | null;
  /** The by clause's comments joined, e.g. "Postfix" or "8.14.4/8.13.8". */
  software: string | null;
}

/**
 * Whether a server's dialect writes TLS into its Received fields when TLS was used:
 * `always` (so silence means no TLS), `with-option` (only when an operator enabled it),
 * `never`, `unknown` (an unrecognised server).
 */
export type RecordsTls = 'always' | 'with-option' | 'never' | 'unknown';

/** The server dialect recognised for a hop's receiver. */
export interface RecorderMatch {
  id: string;
  name: string;
  recordsTls: RecordsTls;
  /** Why this dialect records TLS or does not, for the reader of a report. */
  note: string;
}

/** `stated`: the field says TLS; `stated-absent`: it says, or its silence means, no TLS. */
export type EvidenceState = 'stated' | 'stated-absent' | 'none';

/** What a hop's Received field says about TLS, kept apart from the verdict drawn from it. */
export interface TlsEvidence {
  state: EvidenceState;
  /** Normalised: "TLS 1.2", "SSL 3.0", or "SSL/TLS (version not stated)" for `TLSv1/SSLv3`. */
  protocol: string | null;
  cipher: string | null;
  bits: number | null;
  keyExchange: string | null;
  /** Certificate verification as recorded: sendmail's `verify=` or Postfix's "verified OK". */
  verify: string | null;
  /** The raw texts that the rules matched, for a reader to check. */
  markers: string[];
}

/** The TLS verdict of one hop. */
export type Verdict =
  | 'encrypted'
  | 'not-encrypted'
  | 'not-recorded'
  | 'internal'
  | 'not-applicable';

/** Whether a hop's sender is the previous hop's receiver. */
export type Continuity = 'match' | 'gap' | 'unknown';

/** One hop: one Received field, judged. */
export interface Hop {
  /** 1 for the oldest (bottom) Received field. */
  index: number;
  from: HopSender | null;
  by: HopReceiver | null;
  via: string | null;
  /** The transmission type as written (e.g. "ESMTPS", "esmtpsa", "mapi"), else the phrase. */
  with: string | null;
  /** Every with clause's words, joined. */
  withText: string | null;
  id: string | null;
  for: string | null;
  date: string | null;
  dateText: string | null;
  delaySeconds: number | null;
  authenticated: boolean;
  recorder: RecorderMatch;
  evidence: TlsEvidence;
  /**
   * `internal` wins over what the evidence says (a TLS hop inside one organisation is still
   * internal); `not-applicable` marks fields without a sending host (local injection, notes).
   */
  verdict: Verdict;
  /** True when nothing crossed between organisations, including `not-applicable` hops. */
  internal: boolean;
  /** Why the hop is internal, e.g. "sent from the internal address 127.0.0.1". */
  internalReason: string | null;
  /** Registrable domain of the sender's rDNS name, else of its HELO name. */
  fromOrganisation: string | null;
  byOrganisation: string | null;
  continuity: Continuity;
  /** Gaps, clock skew, long delays and the comments of from-less fields, for a person. */
  notes: string[];
  clauses: Clause[];
  raw: string;
}

/** A network hop between two organisations, as `mxtls compare` needs it. */
export interface Handoff {
  hop: number;
  from: string | null;
  to: string | null;
  fromOrganisation: string | null;
  toOrganisation: string | null;
  verdict: Verdict;
  protocol: string | null;
  cipher: string | null;
}

/** The counts and the one line a person reads first. */
export interface TraceSummary {
  hops: number;
  handoffs: number;
  /** Hop indexes of hand-offs with verdict `not-encrypted`. */
  unencryptedHandoffs: number[];
  /** Hop indexes of hand-offs with verdict `not-recorded`. */
  notRecordedHandoffs: number[];
  text: string;
}

/** What the reader left out because the input was over a bound or not a header. */
export interface TraceSkipped {
  /** Bytes (UTF-16 code units) of header text beyond the header bound. */
  headerBytes: number;
  /** Received fields beyond the field bound (the newest ones are kept). */
  receivedFields: number;
  /** Lines that were neither a header field nor a continuation. */
  malformedLines: number;
}

/** The whole trace of one message. */
export interface Trace {
  schema: typeof TRACE_SCHEMA;
  hops: Hop[];
  handoffs: Handoff[];
  summary: TraceSummary;
  warnings: string[];
  skipped: TraceSkipped;
}

/** Options of `parseMessage` and `analyzeTrace`. */
export interface TraceOptions {
  /**
   * CIDR ranges whose addresses count as inside the organisation. Replaces the default list
   * (127.0.0.0/8, ::1/128, 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10,
   * 169.254.0.0/16, fc00::/7, fe80::/10) when given. `[unix socket]` and `[local]` are always
   * internal.
   */
  internalNetworks?: string[];
  /** A negative delay larger than this many seconds is flagged as clock skew. Default 60. */
  clockSkewSeconds?: number;
  /** At most this many Received fields are read, the newest first. Default 500. */
  maxReceivedFields?: number;
  /** At most this many UTF-16 code units of header text are read. Default 1 MiB (1048576). */
  maxHeaderBytes?: number;
}
