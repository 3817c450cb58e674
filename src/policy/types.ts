/**
 * The result of checking what a domain publishes about TLS for mail: MTA-STS (RFC 8461),
 * TLS-RPT (RFC 8460), DANE (RFC 7672), REQUIRETLS (RFC 8689) and, on request, the TLS
 * versions each MX address accepts. This is the `policy` member of a scan's `--json` record
 * (schema "mxtls.policy/1"). A missing record is a result with its own name; a lookup that
 * got no answer is an error or "indeterminate", never "no policy".
 */
import type { ErrorInfo } from '../errors.js';

/** The schema name of a PolicyResult; it changes only when the shape does. */
export const POLICY_SCHEMA = 'mxtls.policy/1';

/** How loud a finding is: "error" means a compliant sender would refuse or defer mail. */
export type Severity = 'ok' | 'info' | 'warning' | 'error';

/** A remark about published data that does not stop it from being used. */
export interface PolicyWarning {
  /** Stable kebab-case code, e.g. "mx-pattern-ip". */
  code: string;
  /** A plain sentence, e.g. "IP address is not a valid mx pattern". */
  message: string;
  /** The offending value, sanitised. */
  value?: string;
}

/** The `_mta-sts` TXT record (RFC 8461 3.1). */
export interface StsRecord {
  /** The record's strings joined into one value, as published. */
  raw: string;
  id: string;
  /** Extension fields other than `v` and `id`, kept as published. */
  extensions: Record<string, string>;
}

/** The policy mode (RFC 8461 5): refuse, report only, or withdraw the policy. */
export type StsMode = 'enforce' | 'testing' | 'none';

/** The policy file (RFC 8461 3.2), parsed. */
export interface StsPolicy {
  version: string;
  mode: StsMode;
  /** Seconds a sender may cache the policy. */
  maxAge: number;
  /** `mx` patterns that are valid domain patterns, lower case, in order. */
  mx: string[];
  /** Keys this version of mxtls does not know, with their values, in order. */
  extensions: Array<{ key: string; value: string }>;
}

/**
 * The MTA-STS verdict:
 * - `no-policy`: no `v=STSv1` TXT record (NXDOMAIN or no such record);
 * - `ok`: a policy was fetched and every MX is covered (and, in enforce mode, presents a
 *   certificate that verifies for its name);
 * - `mx-not-covered`: an MX host matches no `mx` pattern;
 * - `certificate-refused`: an MX is covered but its certificate does not verify for its name
 *   or has expired;
 * - `invalid-record`: the TXT record is malformed, or more than one `v=STSv1` record exists;
 * - `fetch-failed`: the record exists but the policy could not be fetched;
 * - `invalid-policy`: the policy file was fetched but is not a valid policy;
 * - `error`: the TXT lookup itself got no answer (temporary).
 */
export type StsVerdict =
  | 'no-policy'
  | 'ok'
  | 'mx-not-covered'
  | 'certificate-refused'
  | 'invalid-record'
  | 'fetch-failed'
  | 'invalid-policy'
  | 'error';

/** One MX address whose certificate a sender applying the policy would not accept. */
export interface StsRefusal {
  host: string;
  address: string;
  /** The probe's certificate summary, e.g. "expired", "name-mismatch", "untrusted". */
  reason: string;
}

/** The MTA-STS finding of a domain. */
export interface MtaStsResult {
  verdict: StsVerdict;
  severity: Severity;
  /** The mode of the fetched policy; absent when no policy was fetched. */
  mode?: StsMode;
  /** One sentence that says why the verdict is what it is. */
  detail: string;
  record?: StsRecord;
  policy?: StsPolicy;
  /** The URL the policy was fetched from. */
  policyUrl?: string;
  /** MX hosts that match no pattern. */
  uncovered: string[];
  refused: StsRefusal[];
  warnings: PolicyWarning[];
  error?: ErrorInfo;
}

/** One `rua` destination of a TLS-RPT record. */
export interface RuaDestination {
  uri: string;
  scheme: 'mailto' | 'https' | 'other';
  valid: boolean;
  /** Why the destination is not usable, when `valid` is false. */
  problem?: string;
}

/** The TLS-RPT finding of a domain. */
export interface TlsRptResult {
  /** `absent` when there is no `v=TLSRPTv1` record; `invalid` when it does not parse. */
  verdict: 'present' | 'absent' | 'invalid' | 'error';
  severity: Severity;
  detail: string;
  raw?: string;
  rua: RuaDestination[];
  /** Fields other than `v` and `rua`, as published. */
  extensions: Record<string, string>;
  warnings: PolicyWarning[];
  error?: ErrorInfo;
}

/**
 * A DANE outcome:
 * - `not-applicable`: an answer on the way was not DNSSEC-validated (insecure zone);
 * - `no-tlsa`: the zone is signed and proves there is no TLSA record;
 * - `match`: a usable TLSA record matches the chain the server presented;
 * - `no-match`: usable TLSA records exist and none matches (a DANE sender defers mail);
 * - `unusable`: TLSA records exist but none has a usage, selector and matching type usable
 *   for SMTP (a DANE sender still insists on TLS but cannot authenticate);
 * - `no-chain`: usable TLSA records exist but no certificate chain was available to match
 *   (the host was not probed, or its handshake failed);
 * - `indeterminate`: a lookup failed (SERVFAIL, which a validating resolver also answers for
 *   bogus data, or a timeout); never to be read as "no DANE".
 */
export type DaneOutcome =
  | 'not-applicable'
  | 'no-tlsa'
  | 'match'
  | 'no-match'
  | 'unusable'
  | 'no-chain'
  | 'indeterminate';

/** One TLSA record as published (RFC 6698 2.1). */
export interface TlsaRecordInfo {
  usage: number;
  selector: number;
  matchingType: number;
  /** Association data, lower-case hex. */
  data: string;
  /** Usages 2 and 3, selectors 0 and 1, matching types 0 to 2 (RFC 7672 3.1.3). */
  usable: boolean;
}

/** The match of one MX address's presented chain against the TLSA records. */
export interface DaneAddressResult {
  address: string;
  outcome: 'match' | 'no-match' | 'no-chain';
  /** The record that matched, as "usage selector matchingType". */
  matched?: string;
  /** Position in the presented chain of the certificate that matched; 0 is the leaf. */
  depth?: number;
  detail: string;
}

/** The DANE finding of one MX host. */
export interface DaneExchangeResult {
  host: string;
  outcome: DaneOutcome;
  detail: string;
  /** The TLSA base name that was asked, `_25._tcp.<host>`. */
  tlsaName: string;
  tlsa: TlsaRecordInfo[];
  addresses: DaneAddressResult[];
  error?: ErrorInfo;
}

/** The DANE finding of a domain: its MX hosts and their worst outcome. */
export interface DaneResult {
  /** The worst outcome over the exchanges (see `checkDane`). */
  outcome: DaneOutcome;
  severity: Severity;
  detail: string;
  /** Whether the MX RRset itself was DNSSEC-validated. */
  mxSecure: boolean;
  /** The resolver whose AD bit was trusted, `IP:PORT`. */
  resolver: string;
  exchanges: DaneExchangeResult[];
}

/** The REQUIRETLS finding of a domain, from the probe's EHLO replies after STARTTLS. */
export interface RequireTlsResult {
  /**
   * `advertised` when every address that completed TLS lists REQUIRETLS after STARTTLS,
   * `partial` when only some do, `not-advertised` when none does, `unknown` without any TLS
   * session to ask.
   */
  verdict: 'advertised' | 'partial' | 'not-advertised' | 'unknown';
  detail: string;
  hosts: Array<{ host: string; address: string; advertised: boolean }>;
}

/** TLS versions as Node names them. */
export type TlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

/** What one version attempt showed. */
export interface VersionAttempt {
  version: TlsVersion;
  /**
   * `accepted`: the handshake completed at this version; `refused`: the server would not;
   * `not-testable`: the local TLS library cannot offer this version at all; `error`: the
   * session ended before the handshake could tell (timeout, STARTTLS refused, reset).
   */
  outcome: 'accepted' | 'refused' | 'not-testable' | 'error';
  cipher?: { name: string; standardName?: string; bits?: number };
  /** Findings on this version and cipher, e.g. "legacy-version", "no-forward-secrecy". */
  flags: string[];
  detail: string;
}

/** The version enumeration of one MX address. */
export interface VersionsResult {
  host: string;
  address: string;
  port: number;
  attempts: VersionAttempt[];
  /** Versions with outcome `accepted`, oldest first. */
  accepted: TlsVersion[];
  /** Union of the attempts' flags. */
  flags: string[];
}

/** Everything `checkPolicies` found for one domain. */
export interface PolicyResult {
  schema: typeof POLICY_SCHEMA;
  domain: string;
  checkedAt: string;
  /** The MX hosts the checks were made against, in preference order. */
  mx: string[];
  mtaSts: MtaStsResult;
  tlsRpt: TlsRptResult;
  dane: DaneResult;
  requireTls: RequireTlsResult;
  /** Present only when version enumeration was asked for. */
  versions?: VersionsResult[];
}
