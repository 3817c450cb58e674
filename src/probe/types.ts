/**
 * The result of probing a domain's mail exchangers: the documented `--json` schema of
 * `mxtls scan` (schema "mxtls.scan/1"). Every field that a server or DNS may leave out is
 * optional; a missing piece of evidence is never filled with a guess.
 */
import type { ErrorInfo } from '../errors.js';

export const SCAN_SCHEMA = 'mxtls.scan/1';

/** One SMTP reply: its code and its lines' text, in order, sanitised. */
export interface Reply {
  code: number;
  lines: string[];
}

/**
 * How one address's session ended. "tls" means the handshake completed (how well the
 * certificate verified is in `tls.certificate`); every other value names why it did not.
 */
export type HostOutcome =
  | 'tls'
  | 'starttls-not-offered'
  | 'starttls-refused'
  | 'starttls-dropped'
  | 'handshake-failed'
  | 'greeting-refused'
  | 'ehlo-rejected'
  | 'rate-limited'
  | 'protocol-error'
  | 'connect-failed'
  | 'no-route'
  | 'timeout';

/** Whether the server offered STARTTLS; "unknown" when the session ended before we could tell. */
export type StarttlsOffer = 'offered' | 'not-offered' | 'unknown';

export interface CertificateSummary {
  subject: string;
  /** DNS names from subjectAltName, lower-cased, in order. */
  dnsNames: string[];
  /** IP addresses from subjectAltName. */
  ipAddresses: string[];
  issuer: string;
  validFrom: string;
  validTo: string;
  /** SHA-256 of the DER certificate, colon-separated upper-case hex. */
  sha256: string;
  /** "RSA", "EC", "Ed25519", ... */
  keyType?: string;
  /** Key size in bits (RSA modulus, EC field size). */
  keyBits?: number;
  /** Elliptic curve name for EC keys, e.g. "prime256v1". */
  curve?: string;
  /** The DER bytes, base64: the input of DANE matching. The CLI leaves it out of its output. */
  der?: string;
  /** SubjectPublicKeyInfo DER, base64: the input of DANE selector 1; not in CLI output. */
  spki?: string;
}

export interface CertificateVerdict {
  /** The chain verifies against the system roots or `--ca-file`. */
  chainVerified: boolean;
  /** Why the chain did not verify, in the TLS library's words (`SELF_SIGNED_CERT_IN_CHAIN`). */
  chainError?: string;
  /** The leaf names the MX host (RFC 6125; wildcard only in the left-most label). */
  nameMatches: boolean;
  /** The name that was checked (the MX host, normalised). */
  checkedName: string;
  expired: boolean;
  notYetValid: boolean;
  /** Whole days from the probe to the leaf's notAfter; negative once expired. */
  daysToExpiry: number;
  /** "verified" only when chain, name and dates all pass. */
  summary: 'verified' | 'untrusted' | 'name-mismatch' | 'expired' | 'not-yet-valid';
}

export interface TlsSession {
  /** As Node reports it: "TLSv1.3", "TLSv1.2", "TLSv1.1", "TLSv1". */
  protocol: string;
  cipher: { name: string; standardName?: string; version?: string; bits?: number };
  /**
   * The ephemeral key exchange where Node exposes it, e.g.
   * `{ type: "ECDH", name: "X25519", size: 253 }`.
   */
  keyExchange?: { type: string; name?: string; size?: number };
  /** The default context failed and a legacy one (TLS 1.0/1.1, SECLEVEL 0) was needed. */
  legacyRetry: boolean;
  /** Why the default context failed, when `legacyRetry` is true. */
  defaultFailure?: string;
  /** Leaf first. */
  chain: CertificateSummary[];
  certificate: CertificateVerdict;
}

/** Milliseconds spent in each stage; a stage that did not happen is absent. */
export interface StageTimings {
  connect?: number;
  greeting?: number;
  ehlo?: number;
  starttls?: number;
  handshake?: number;
  ehloTls?: number;
  quit?: number;
  total: number;
}

/** The probe of one address of one MX host. */
export interface HostResult {
  host: string;
  address: string;
  family: 4 | 6;
  port: number;
  outcome: HostOutcome;
  /** A plain sentence explaining the outcome, e.g. "STARTTLS answered 454 4.7.0 ...". */
  detail: string;
  /** True when the outcome may change on a later attempt (421, timeout, 4xx, reset). */
  temporary: boolean;
  starttls: StarttlsOffer;
  greeting?: Reply;
  /** The command that was accepted ("EHLO", or "HELO" after EHLO was refused). */
  hello?: { command: 'EHLO' | 'HELO'; reply: Reply };
  /** EHLO keywords (upper-case) to their parameters, before TLS. */
  extensions?: Record<string, string[]>;
  /** EHLO keywords after TLS; they may differ from those before. */
  extensionsTls?: Record<string, string[]>;
  /** REQUIRETLS advertised after STARTTLS (RFC 8689). */
  requireTls?: boolean;
  starttlsReply?: Reply;
  tls?: TlsSession;
  error?: ErrorInfo;
  timings: StageTimings;
  /** `C:` / `S:` lines, only when a transcript was asked for. */
  transcript?: string[];
}

/** How the MX set of a domain was found. */
export type DnsOutcome =
  | 'mx'
  | 'implicit-mx'
  | 'null-mx'
  | 'nxdomain'
  | 'no-mail-hosts'
  | 'error';

/** One mail exchanger of a domain and what its addresses said. */
export interface ExchangeResult {
  host: string;
  preference: number;
  /** True for the implicit MX of RFC 5321 5.1 (the domain's own A/AAAA). */
  implicit: boolean;
  /** The canonical name when the MX target is a CNAME (a flag: RFC 5321 forbids it). */
  aliasOf?: string;
  /** "no-address" when the host has neither A nor AAAA; "error" when the lookup failed. */
  addressOutcome: 'ok' | 'no-address' | 'error';
  addressError?: ErrorInfo;
  hosts: HostResult[];
}

/** The overall answer for one domain. */
export type DomainVerdict =
  | 'verified-tls'
  | 'tls-unverified'
  | 'no-tls'
  | 'partial'
  | 'no-mail'
  | 'not-found'
  | 'error';

export interface DomainResult {
  schema: typeof SCAN_SCHEMA;
  domain: string;
  /** ISO 8601 time the probe of this domain started. */
  checkedAt: string;
  verdict: DomainVerdict;
  /** One sentence that says why the verdict is what it is. */
  detail: string;
  dns: {
    outcome: DnsOutcome;
    resolver: string;
    error?: ErrorInfo;
  };
  /** Findings that do not change the verdict but a reader should know (e.g. "mx-is-alias"). */
  flags: string[];
  exchanges: ExchangeResult[];
  durationMs: number;
  /** MTA-STS, TLS-RPT, DANE, REQUIRETLS and versions (src/policy), when they were checked. */
  policy?: import('../policy/types.js').PolicyResult;
}
