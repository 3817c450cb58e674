/**
 * Matching TLSA records against the chain an SMTP server presented (RFC 6698 2.1, with the
 * SMTP rules of RFC 7672 3.1): DANE-EE(3) pins the leaf alone, and its name and dates do not
 * matter; DANE-TA(2) pins a certificate of the presented chain, which must then link down to
 * a leaf that names the MX host and is within its dates. PKIX-TA(0) and PKIX-EE(1) are not
 * usable for SMTP, where there is no agreed set of public roots.
 */
import { createHash, X509Certificate } from 'node:crypto';
import type { CertificateSummary } from '../probe/types.js';
import { matchesHost } from '../tls/name-match.js';
import type { DaneAddressResult, TlsaRecordInfo } from './types.js';

/** A TLSA record with its association data as bytes. */
export interface TlsaRecord {
  usage: number;
  selector: number;
  matchingType: number;
  data: Buffer;
}

/** Whether SMTP senders can use a record (RFC 7672 3.1.3). */
export function isUsableTlsa(record: TlsaRecord): boolean {
  return (record.usage === 2 || record.usage === 3) &&
    (record.selector === 0 || record.selector === 1) &&
    record.matchingType >= 0 && record.matchingType <= 2;
}

/** The record in the form of a report. */
export function describeTlsa(record: TlsaRecord): TlsaRecordInfo {
  return {
    usage: record.usage,
    selector: record.selector,
    matchingType: record.matchingType,
    data: record.data.toString('hex'),
    usable: isUsableTlsa(record),
  };
}

/** The bytes a selector picks from a certificate: all of it (0) or its public key (1). */
export function selectedContent(cert: CertificateSummary, selector: number): Buffer | undefined {
  if (!cert.der) return undefined;
  const der = Buffer.from(cert.der, 'base64');
  if (selector === 0) return der;
  if (selector !== 1) return undefined;
  if (cert.spki) return Buffer.from(cert.spki, 'base64');
  return new X509Certificate(der).publicKey.export({ type: 'spki', format: 'der' });
}

/** The association data a matching type makes of selected content. */
export function associationData(content: Buffer, matchingType: number): Buffer | undefined {
  if (matchingType === 0) return content;
  if (matchingType === 1) return createHash('sha256').update(content).digest();
  if (matchingType === 2) return createHash('sha512').update(content).digest();
  return undefined;
}

function matchesCertificate(record: TlsaRecord, cert: CertificateSummary): boolean {
  const content = selectedContent(cert, record.selector);
  if (!content) return false;
  const data = associationData(content, record.matchingType);
  return data !== undefined && data.equals(record.data);
}

/**
 * Matches the usable records against `chain` (leaf first) presented by `host`. The first
 * record that authenticates the server wins; `now` judges the leaf's dates under DANE-TA.
 */
export function matchTlsa(
  records: readonly TlsaRecord[],
  chain: readonly CertificateSummary[],
  host: string,
  address: string,
  now: number,
): DaneAddressResult {
  const leaf = chain[0];
  if (!leaf?.der) {
    return { address, outcome: 'no-chain', detail: 'No certificate chain to match' };
  }
  const reasons: string[] = [];
  for (const record of records.filter(isUsableTlsa)) {
    const label = `${record.usage} ${record.selector} ${record.matchingType}`;
    if (record.usage === 3) {
      if (matchesCertificate(record, leaf)) {
        return { address, outcome: 'match', matched: label, depth: 0,
          detail: `DANE-EE record ${label} matches the server certificate` };
      }
      continue;
    }
    for (let depth = 1; depth < chain.length; depth += 1) {
      const anchor = chain[depth];
      if (!anchor || !matchesCertificate(record, anchor)) continue;
      const problem = taChainProblem(chain.slice(0, depth + 1), host, now);
      if (!problem) {
        return { address, outcome: 'match', matched: label, depth,
          detail: `DANE-TA record ${label} matches certificate ${depth} of the chain` };
      }
      reasons.push(`DANE-TA record ${label} matches certificate ${depth} but ${problem}`);
    }
  }
  return { address, outcome: 'no-match',
    detail: reasons[0] ?? 'No usable TLSA record matches the presented chain' };
}

// TODO: a DANE-TA(2) record for a public key that the server does not send in its chain
// (RFC 7671 5.2.2 lets clients accept a bare key) never matches here; such servers show
// `no-match` although a sender with full DANE-TA support would accept them.

/**
 * Why the chain from the leaf up to a DANE-TA anchor does not authenticate `host`, or
 * undefined: each certificate must be signed by the next, and the leaf must name the host
 * and be within its dates.
 */
function taChainProblem(
  chain: readonly CertificateSummary[],
  host: string,
  now: number,
): string | undefined {
  const certs = chain.map((c) => new X509Certificate(Buffer.from(c.der ?? '', 'base64')));
  for (let i = 0; i + 1 < certs.length; i += 1) {
    const child = certs[i];
    const parent = certs[i + 1];
    if (!child || !parent || !child.checkIssued(parent) || !child.verify(parent.publicKey)) {
      return `certificate ${i} is not signed by certificate ${i + 1}`;
    }
  }
  const leaf = chain[0];
  if (!leaf || !matchesHost(host, leaf)) return `the leaf does not name "${host}"`;
  if (now > Date.parse(leaf.validTo)) return 'the leaf has expired';
  if (now < Date.parse(leaf.validFrom)) return 'the leaf is not yet valid';
  return undefined;
}
