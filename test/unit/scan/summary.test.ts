import { describe, expect, it } from 'vitest';
import { formatSummary, summarizeRun } from '../../../src/scan/summary.js';
import { domainResult } from './make-results.js';

describe('summarizeRun', () => {
  it('counts domains by verdict and distinct addresses by TLS outcome', () => {
    const shared = { host: 'mx.big.test', address: '127.0.30.1' };
    const summary = summarizeRun(
      [
        domainResult('a.test', { hosts: [shared] }),
        domainResult('b.test', { hosts: [shared] }),
        domainResult('c.test', {
          verdict: 'no-tls',
          hosts: [{ host: 'mx.c.test', address: '127.0.30.2', outcome: 'starttls-not-offered' }],
        }),
        domainResult('d.test', {
          verdict: 'partial',
          hosts: [
            { host: 'mx1.d.test', address: '127.0.30.3', outcome: 'handshake-failed' },
            { host: 'mx2.d.test', address: '127.0.30.4', daysToExpiry: 3 },
            { host: 'mx2.d.test', address: '127.0.30.5', certificate: 'untrusted' },
            { host: 'mx3.d.test', address: '127.0.30.6', outcome: 'timeout', temporary: true,
              errorCode: 'MXTLS_SMTP_TIMEOUT' },
          ],
        }),
        domainResult('e.test', { verdict: 'not-found', dns: 'nxdomain' }),
      ],
      7,
    );
    expect(summary).toEqual({
      domains: 5,
      verdicts: { 'verified-tls': 2, 'no-tls': 1, partial: 1, 'not-found': 1 },
      mxHosts: 5,
      addresses: {
        total: 6,
        verifiedTls: 2,
        unverifiedTls: 1,
        noStarttls: 1,
        handshakeFailed: 1,
        expiringSoon: 1,
        expired: 0,
        temporary: 1,
        otherFailures: 0,
      },
      errors: 1,
      expiryDays: 7,
    });
    const text = formatSummary(summary).join('\n');
    expect(text).toContain('5 domains: 2 verified TLS');
    expect(text).toContain('1 expiring within 7 days');
  });
});
