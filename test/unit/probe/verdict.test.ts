import { describe, expect, it } from 'vitest';
import { judgeDomain } from '../../../src/probe/verdict.js';
import type { ExchangeResult, HostOutcome, HostResult } from '../../../src/probe/types.js';

type Spec = [HostOutcome, boolean?, ('verified' | 'untrusted')?, (4 | 6)?];

function exchange(specs: Spec[]): ExchangeResult {
  return {
    host: 'mx.example.com', preference: 10, implicit: false, addressOutcome: 'ok',
    hosts: specs.map(([outcome, temporary = false, summary = 'verified', family = 4], i) => {
      const result: HostResult = {
        host: 'mx.example.com', address: family === 6 ? `2001:db8::${i + 1}` : `192.0.2.${i + 1}`,
        family, port: 25, outcome, temporary, detail: `${outcome} detail`,
        starttls: outcome === 'tls' ? 'offered' : 'unknown', timings: { total: 1 },
      };
      if (outcome === 'tls') {
        result.tls = { protocol: 'TLSv1.3', cipher: { name: 'TLS_AES_128_GCM_SHA256' },
          legacyRetry: false, chain: [], certificate: { chainVerified: summary === 'verified',
            nameMatches: true, checkedName: 'mx.example.com', expired: false,
            notYetValid: false, daysToExpiry: 90, summary } };
      }
      return result;
    }),
  };
}

describe('judgeDomain', () => {
  it.each<[string, Spec[], string]>([
    ['all verified', [['tls'], ['tls']], 'verified-tls'],
    ['one unverified', [['tls'], ['tls', false, 'untrusted']], 'tls-unverified'],
    ['no STARTTLS anywhere', [['starttls-not-offered'], ['handshake-failed']], 'no-tls'],
    ['only temporary failures', [['rate-limited', true], ['timeout', true]], 'error'],
    ['TLS and no TLS', [['tls'], ['starttls-not-offered']], 'partial'],
    ['TLS and a timeout', [['tls'], ['timeout', true]], 'partial'],
    ['no TLS and a timeout', [['starttls-not-offered'], ['timeout', true]], 'no-tls'],
    ['verified with an unroutable IPv6 address', [['tls'], ['no-route', true, undefined, 6]],
      'verified-tls'],
    ['only unroutable addresses', [['no-route', true, undefined, 6]], 'error'],
    // A session that broke before TLS could be tried is no evidence of "no TLS".
    ['a refused greeting', [['greeting-refused']], 'error'],
    ['an unreadable reply', [['protocol-error']], 'error'],
    ['a rejected EHLO', [['ehlo-rejected']], 'error'],
    ['a refused connection', [['connect-failed']], 'error'],
    ['no STARTTLS and an unreadable reply', [['starttls-not-offered'], ['protocol-error']],
      'no-tls'],
    ['TLS and an unreadable reply', [['tls'], ['protocol-error']], 'partial'],
  ])('%s', (_name, specs, verdict) => {
    expect(judgeDomain('mx', [exchange(specs)]).verdict).toBe(verdict);
  });

  it('never says no-tls for a rate limit', () => {
    const { verdict, detail } = judgeDomain('mx', [exchange([['rate-limited', true]])]);
    expect(verdict).toBe('error');
    expect(detail).toContain('rate-limited detail');
  });

  it('notes left-out unroutable addresses in the detail', () => {
    const { detail } = judgeDomain('mx', [exchange([['tls'], ['no-route', true, undefined, 6]])]);
    expect(detail).toContain('1 address not reachable from this machine left out');
  });

  it.each([
    ['null-mx', 'no-mail'],
    ['nxdomain', 'not-found'],
    ['no-mail-hosts', 'not-found'],
    ['error', 'error'],
  ] as const)('maps DNS outcome %s to %s', (outcome, verdict) => {
    expect(judgeDomain(outcome, []).verdict).toBe(verdict);
  });
});
