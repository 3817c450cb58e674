import { describe, expect, it } from 'vitest';
import { judgeCertificate, parseSubjectAltName } from '../../../src/tls/certificate.js';
import type { CertificateSummary } from '../../../src/probe/types.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-03T12:00:00Z');

function leaf(dnsNames: string[], from: number, to: number): CertificateSummary {
  return { subject: 'CN=x', dnsNames, ipAddresses: [], issuer: 'CN=ca',
    validFrom: new Date(from).toISOString(), validTo: new Date(to).toISOString(), sha256: '' };
}

describe('parseSubjectAltName', () => {
  it('splits DNS and IP entries and lower-cases names', () => {
    expect(parseSubjectAltName('DNS:MX.example.com, IP Address:192.0.2.1, DNS:b.example'))
      .toEqual({ dnsNames: ['mx.example.com', 'b.example'], ipAddresses: ['192.0.2.1'] });
  });

  it('is not fooled by a quoted entry holding a comma', () => {
    expect(parseSubjectAltName('DNS:"evil.example, DNS:mx.example.com", DNS:ok.example'))
      .toEqual({ dnsNames: ['evil.example, dns:mx.example.com', 'ok.example'],
        ipAddresses: [] });
  });

  it('reads a missing extension as no names', () => {
    expect(parseSubjectAltName(undefined)).toEqual({ dnsNames: [], ipAddresses: [] });
  });
});

describe('judgeCertificate', () => {
  const good = leaf(['mx.example.com'], NOW - 10 * DAY, NOW + 30 * DAY);

  it('verifies when chain, name and dates pass', () => {
    expect(judgeCertificate({ leaf: good, host: 'MX.example.com.', authorized: true, now: NOW }))
      .toEqual({ chainVerified: true, nameMatches: true, checkedName: 'mx.example.com',
        expired: false, notYetValid: false, daysToExpiry: 30, summary: 'verified' });
  });

  it('keeps the chain error and says untrusted', () => {
    const verdict = judgeCertificate({ leaf: good, host: 'mx.example.com', authorized: false,
      authorizationError: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', now: NOW });
    expect(verdict).toMatchObject({ chainVerified: false, summary: 'untrusted',
      chainError: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  });

  it('does not call a trusted but expired chain untrusted', () => {
    const old = leaf(['mx.example.com'], NOW - 40 * DAY, NOW - 2 * DAY);
    const verdict = judgeCertificate({ leaf: old, host: 'mx.example.com', authorized: false,
      authorizationError: 'CERT_HAS_EXPIRED', now: NOW });
    expect(verdict).toMatchObject({ chainVerified: true, expired: true, daysToExpiry: -2,
      summary: 'expired' });
  });

  it('explains an UNSPECIFIED chain error when the leaf has a weak RSA key', () => {
    const weak = { ...good, keyType: 'RSA', keyBits: 1024 };
    const verdict = judgeCertificate({ leaf: weak, host: 'mx.example.com', authorized: false,
      authorizationError: 'UNSPECIFIED', now: NOW });
    expect(verdict.chainError).toBe('UNSPECIFIED (RSA key of 1024 bits is below the security ' +
      'level)');
  });

  it('says name-mismatch when only the name fails', () => {
    const verdict = judgeCertificate({ leaf: good, host: 'mx2.example.org', authorized: true,
      now: NOW });
    expect(verdict.summary).toBe('name-mismatch');
  });

  it('judges a missing leaf as expired and unmatched, never verified', () => {
    const verdict = judgeCertificate({ leaf: undefined, host: 'mx.example.com',
      authorized: false, now: NOW });
    expect(verdict.summary).not.toBe('verified');
    expect(verdict.nameMatches).toBe(false);
  });
});
