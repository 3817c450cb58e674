/**
 * What a peer's certificate says and whether it should be believed: a summary of each
 * certificate of the chain (the evidence DANE and reports need) and the verdict on the leaf
 * (chain, name, dates kept as separate findings: for opportunistic SMTP a mismatch is a
 * finding, not a reason to drop the connection).
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { CertificateSummary, CertificateVerdict } from '../probe/types.js';
import { matchesHost, normalizeHostName } from './name-match.js';

const DAY_MS = 86_400_000;

/** Field sizes of the named curves Node reports, for `keyBits`. */
const CURVE_BITS: Record<string, number> = {
  prime256v1: 256,
  secp384r1: 384,
  secp521r1: 521,
  secp256k1: 256,
  'P-256': 256,
  'P-384': 384,
  'P-521': 521,
};

/** Summarises one DER certificate. */
export function summarizeCertificate(der: Buffer): CertificateSummary {
  return summarizeX509(new X509Certificate(der));
}

function summarizeX509(x509: X509Certificate): CertificateSummary {
  const alt = parseSubjectAltName(x509.subjectAltName);
  const summary: CertificateSummary = {
    subject: distinguishedName(x509.subject),
    dnsNames: alt.dnsNames,
    ipAddresses: alt.ipAddresses,
    issuer: distinguishedName(x509.issuer),
    validFrom: new Date(x509.validFrom).toISOString(),
    validTo: new Date(x509.validTo).toISOString(),
    sha256: x509.fingerprint256,
    der: x509.raw.toString('base64'),
  };
  describeKey(x509.publicKey, summary);
  return summary;
}

function describeKey(key: KeyObject, summary: CertificateSummary): void {
  const type = key.asymmetricKeyType;
  if (type) summary.keyType = type === 'rsa-pss' ? 'RSA-PSS' : type.length <= 3
    ? type.toUpperCase() : type[0]!.toUpperCase() + type.slice(1);
  const details = key.asymmetricKeyDetails;
  if (details?.modulusLength !== undefined) summary.keyBits = details.modulusLength;
  if (details?.namedCurve !== undefined) {
    summary.curve = details.namedCurve;
    const bits = CURVE_BITS[details.namedCurve];
    if (bits !== undefined) summary.keyBits = bits;
  }
  if (type === 'ed25519') summary.keyBits = 256;
  if (type === 'ed448') summary.keyBits = 456;
  summary.spki = key.export({ type: 'spki', format: 'der' }).toString('base64');
}

/** `C=DE\nO=Example\nCN=mx` → `C=DE, O=Example, CN=mx`. */
function distinguishedName(text: string): string {
  return text.split('\n').filter((part) => part !== '').join(', ');
}

/**
 * Splits Node's subjectAltName string into DNS names and IP addresses. Node quotes entries
 * that contain a comma or a quote, so a plain split on ", " would be fooled by them.
 */
export function parseSubjectAltName(
  text: string | undefined,
): { dnsNames: string[]; ipAddresses: string[] } {
  const dnsNames: string[] = [];
  const ipAddresses: string[] = [];
  if (!text) return { dnsNames, ipAddresses };
  const entry = /\s*([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:,|$)/gy;
  let match: RegExpExecArray | null;
  while ((match = entry.exec(text)) !== null && match[0] !== '') {
    const kind = match[1] ?? '';
    let value = match[2] ?? '';
    if (value.startsWith('"')) value = JSON.parse(value) as string;
    if (kind === 'DNS') dnsNames.push(value.toLowerCase());
    else if (kind === 'IP Address') ipAddresses.push(value);
  }
  return { dnsNames, ipAddresses };
}

/** Summaries by SHA-256 fingerprint: shared hosting shows one certificate on many MX hosts. */
const summaries = new Map<string, CertificateSummary>();
const MAX_SUMMARIES = 512;

/**
 * The peer's chain, leaf first, as the TLS library links it. Stops at a self-issued
 * certificate (which links to itself) and after 10 certificates. Summaries are cached by
 * fingerprint, because parsing and exporting keys costs more than the rest of a probe.
 */
export function peerChain(socket: TLSSocket): CertificateSummary[] {
  const chain: CertificateSummary[] = [];
  const seen = new Set<string>();
  let cert: X509Certificate | undefined = socket.getPeerX509Certificate();
  while (cert && chain.length < 10) {
    const fingerprint = cert.fingerprint256;
    if (seen.has(fingerprint)) break;
    seen.add(fingerprint);
    chain.push(cachedSummary(cert));
    cert = cert.issuerCertificate;
  }
  return chain;
}

function cachedSummary(cert: X509Certificate): CertificateSummary {
  const cached = summaries.get(cert.fingerprint256);
  if (cached) return structuredClone(cached);
  const summary = summarizeX509(cert);
  if (summaries.size >= MAX_SUMMARIES) {
    const oldest = summaries.keys().next().value;
    if (oldest !== undefined) summaries.delete(oldest);
  }
  summaries.set(cert.fingerprint256, summary);
  return structuredClone(summary);
}

/** What the TLS library said about the chain, and the clock to judge dates by. */
export interface VerdictInput {
  leaf: CertificateSummary | undefined;
  /** The MX host the certificate should name. */
  host: string;
  authorized: boolean;
  authorizationError?: string;
  now: number;
}

/**
 * Judges the leaf: chain (as the TLS library verified it), name (RFC 6125 against the MX
 * host) and dates (against the injected clock). `summary` names the first thing that fails,
 * in the order dates, chain, name, because an expired certificate is the most actionable.
 */
export function judgeCertificate(input: VerdictInput): CertificateVerdict {
  const checkedName = normalizeHostName(input.host);
  const leaf = input.leaf;
  const notBefore = leaf ? Date.parse(leaf.validFrom) : Number.NaN;
  const notAfter = leaf ? Date.parse(leaf.validTo) : Number.NaN;
  const expired = !(input.now <= notAfter);
  const notYetValid = input.now < notBefore;
  const nameMatches = leaf ? matchesHost(checkedName, leaf) : false;
  // A chain error about dates is already reported by `expired`/`notYetValid`; the chain
  // itself may still lead to a trusted root.
  const dateOnly = input.authorizationError === 'CERT_HAS_EXPIRED' ||
    input.authorizationError === 'CERT_NOT_YET_VALID';
  // TODO: OpenSSL reports one verification error; a chain that is expired and also broken
  // in another way reads as trusted-but-expired here.
  const chainVerified = input.authorized || (dateOnly && leaf !== undefined);
  const verdict: CertificateVerdict = {
    chainVerified,
    nameMatches,
    checkedName,
    expired,
    notYetValid,
    daysToExpiry: Number.isNaN(notAfter) ? 0 : Math.floor((notAfter - input.now) / DAY_MS),
    summary: 'verified',
  };
  if (!input.authorized && input.authorizationError) {
    verdict.chainError = input.authorizationError;
    // OpenSSL's security-level refusals reach Node as "UNSPECIFIED"; say what it most
    // likely was when the leaf shows it.
    const weakRsa = leaf?.keyType === 'RSA' && (leaf.keyBits ?? 0) < 2048;
    if (input.authorizationError === 'UNSPECIFIED' && weakRsa) {
      verdict.chainError = `UNSPECIFIED (RSA key of ${leaf.keyBits} bits is below the ` +
        'security level)';
    }
  }
  if (expired) verdict.summary = 'expired';
  else if (notYetValid) verdict.summary = 'not-yet-valid';
  else if (!chainVerified) verdict.summary = 'untrusted';
  else if (!nameMatches) verdict.summary = 'name-mismatch';
  return verdict;
}
