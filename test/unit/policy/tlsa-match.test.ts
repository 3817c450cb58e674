import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeCa, makeLeaf, opensslDate, type TestCa, type TestLeaf } from '../../helpers/certs.js';
import { summarizeCertificate } from '../../../src/tls/certificate.js';
import { isUsableTlsa, matchTlsa, type TlsaRecord } from '../../../src/policy/tlsa-match.js';
import type { CertificateSummary } from '../../../src/probe/types.js';

/** Runs a shell pipeline of openssl commands and returns its stdout bytes. */
function sh(script: string): Buffer {
  return execFileSync('sh', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The association data as openssl computes it, independent of the code under test. */
function expected(certFile: string, selector: 0 | 1, matchingType: 0 | 1 | 2): Buffer {
  const content = selector === 0
    ? `openssl x509 -in '${certFile}' -outform DER`
    : `openssl x509 -in '${certFile}' -noout -pubkey | openssl pkey -pubin -outform DER`;
  if (matchingType === 0) return sh(content);
  return sh(`${content} | openssl dgst -${matchingType === 1 ? 'sha256' : 'sha512'} -binary`);
}

function summary(certFile: string): CertificateSummary {
  return summarizeCertificate(sh(`openssl x509 -in '${certFile}' -outform DER`));
}

const NOW = Date.now();
let ca: TestCa;
let otherCa: TestCa;
let leaf: TestLeaf;
let expiredWrongName: TestLeaf;
let stranger: TestLeaf;
let chain: CertificateSummary[];

beforeAll(() => {
  ca = makeCa('mxtls TLSA CA');
  otherCa = makeCa('mxtls other CA');
  leaf = makeLeaf(ca, { names: ['mx1.dane.test'], keyType: 'rsa2048' });
  expiredWrongName = makeLeaf(ca, { names: ['elsewhere.test'], label: 'old',
    startDate: opensslDate(new Date(NOW - 90 * 86_400_000)),
    endDate: opensslDate(new Date(NOW - 30 * 86_400_000)) });
  stranger = makeLeaf(otherCa, { names: ['mx1.dane.test'], label: 'stranger' });
  chain = [summary(leaf.certFile), summary(ca.certFile)];
});

const record = (usage: number, selector: 0 | 1, matchingType: 0 | 1 | 2, data: Buffer):
  TlsaRecord => ({ usage, selector, matchingType, data });

describe('matchTlsa with DANE-EE (usage 3)', () => {
  for (const selector of [0, 1] as const) {
    for (const matchingType of [0, 1, 2] as const) {
      it(`matches the leaf with selector ${selector}, matching type ${matchingType}`, () => {
        const tlsa = record(3, selector, matchingType, expected(leaf.certFile, selector,
          matchingType));
        const result = matchTlsa([tlsa], chain, 'mx1.dane.test', '127.0.40.10', NOW);
        expect(result).toMatchObject({ outcome: 'match', depth: 0,
          matched: `3 ${selector} ${matchingType}` });
      });
    }
  }

  it('ignores name and dates: an expired leaf for another name still matches', () => {
    const tlsa = record(3, 1, 1, expected(expiredWrongName.certFile, 1, 1));
    const presented = [summary(expiredWrongName.certFile), summary(ca.certFile)];
    expect(matchTlsa([tlsa], presented, 'mx1.dane.test', '127.0.40.10', NOW).outcome)
      .toBe('match');
  });

  it('does not match the issuer with usage 3', () => {
    const tlsa = record(3, 1, 1, expected(ca.certFile, 1, 1));
    expect(matchTlsa([tlsa], chain, 'mx1.dane.test', '127.0.40.10', NOW).outcome)
      .toBe('no-match');
  });

  it('does not match a different key', () => {
    const tlsa = record(3, 1, 1, expected(stranger.certFile, 1, 1));
    expect(matchTlsa([tlsa], chain, 'mx1.dane.test', '127.0.40.10', NOW).outcome)
      .toBe('no-match');
  });
});

describe('matchTlsa with DANE-TA (usage 2)', () => {
  it('matches the CA of the presented chain when the leaf names the host', () => {
    const tlsa = record(2, 0, 1, expected(ca.certFile, 0, 1));
    expect(matchTlsa([tlsa], chain, 'mx1.dane.test', '127.0.40.10', NOW))
      .toMatchObject({ outcome: 'match', depth: 1, matched: '2 0 1' });
  });

  it('refuses the anchor when the leaf names another host', () => {
    const tlsa = record(2, 1, 1, expected(ca.certFile, 1, 1));
    const result = matchTlsa([tlsa], chain, 'mx2.dane.test', '127.0.40.10', NOW);
    expect(result.outcome).toBe('no-match');
    expect(result.detail).toContain('the leaf does not name "mx2.dane.test"');
  });

  it('refuses the anchor when the leaf has expired', () => {
    const tlsa = record(2, 1, 2, expected(ca.certFile, 1, 2));
    const presented = [summary(expiredWrongName.certFile), summary(ca.certFile)];
    const result = matchTlsa([tlsa], presented, 'elsewhere.test', '127.0.40.10', NOW);
    expect(result.outcome).toBe('no-match');
    expect(result.detail).toContain('the leaf has expired');
  });

  it('refuses an anchor that did not sign the leaf', () => {
    const tlsa = record(2, 1, 1, expected(otherCa.certFile, 1, 1));
    const presented = [summary(leaf.certFile), summary(otherCa.certFile)];
    const result = matchTlsa([tlsa], presented, 'mx1.dane.test', '127.0.40.10', NOW);
    expect(result.outcome).toBe('no-match');
    expect(result.detail).toContain('certificate 0 is not signed by certificate 1');
  });
});

describe('usability of TLSA records for SMTP', () => {
  it('skips PKIX usages 0 and 1 even when their data would match', () => {
    const pkixEe = record(1, 1, 1, expected(leaf.certFile, 1, 1));
    const pkixTa = record(0, 0, 1, expected(ca.certFile, 0, 1));
    expect(isUsableTlsa(pkixEe)).toBe(false);
    expect(isUsableTlsa(pkixTa)).toBe(false);
    expect(matchTlsa([pkixEe, pkixTa], chain, 'mx1.dane.test', '127.0.40.10', NOW).outcome)
      .toBe('no-match');
  });

  it('skips unknown selectors and matching types', () => {
    expect(isUsableTlsa({ usage: 3, selector: 2, matchingType: 1, data: Buffer.alloc(32) }))
      .toBe(false);
    expect(isUsableTlsa({ usage: 3, selector: 1, matchingType: 3, data: Buffer.alloc(32) }))
      .toBe(false);
  });

  it('says no-chain when there is no certificate', () => {
    const tlsa = record(3, 1, 1, expected(leaf.certFile, 1, 1));
    expect(matchTlsa([tlsa], [], 'mx1.dane.test', '127.0.40.10', NOW).outcome).toBe('no-chain');
  });
});
