import { describe, expect, it } from 'vitest';
import { checkRequireTls } from '../../../src/policy/require-tls.js';
import { evaluatePolicy } from '../../../src/policy/mta-sts.js';
import type { ExchangeResult, HostResult } from '../../../src/probe/types.js';

function host(address: string, extensionsTls?: Record<string, string[]>,
  summary: 'verified' | 'expired' = 'verified'): HostResult {
  return {
    host: 'mx.example.test', address, family: 4, port: 25, outcome: 'tls', detail: '',
    temporary: false, starttls: 'offered', timings: { total: 1 },
    ...(extensionsTls ? { extensionsTls } : {}),
    tls: { protocol: 'TLSv1.3', cipher: { name: 'TLS_AES_256_GCM_SHA384' }, legacyRetry: false,
      chain: [], certificate: { chainVerified: true, nameMatches: true,
        checkedName: 'mx.example.test', expired: summary === 'expired', notYetValid: false,
        daysToExpiry: summary === 'expired' ? -3 : 90, summary } },
  };
}

const exchange = (...hosts: HostResult[]): ExchangeResult =>
  ({ host: 'mx.example.test', preference: 10, implicit: false, addressOutcome: 'ok', hosts });

describe('checkRequireTls', () => {
  it('reads REQUIRETLS from the EHLO reply after STARTTLS only', () => {
    const advertised = host('127.0.40.50', { REQUIRETLS: [], PIPELINING: [] });
    const silent = { ...host('127.0.40.51', { PIPELINING: [] }),
      extensions: { REQUIRETLS: [] } };
    expect(checkRequireTls([exchange(advertised)]).verdict).toBe('advertised');
    expect(checkRequireTls([exchange(silent)]).verdict).toBe('not-advertised');
    const both = checkRequireTls([exchange(advertised, silent)]);
    expect(both.verdict).toBe('partial');
    expect(both.hosts.map((h) => h.advertised)).toEqual([true, false]);
  });

  it('says unknown when no address completed TLS', () => {
    expect(checkRequireTls([exchange(host('127.0.40.52'))]).verdict).toBe('unknown');
  });
});

describe('evaluatePolicy with probed certificates', () => {
  const policy = (mode: 'enforce' | 'testing') =>
    ({ version: 'STSv1', mode, maxAge: 86400, mx: ['mx.example.test'], extensions: [] });

  it('refuses an expired certificate in enforce mode and only warns in testing mode', () => {
    const exchanges = [exchange(host('127.0.40.53', {}, 'expired'))];
    const enforce = evaluatePolicy(policy('enforce'), [], { mx: ['mx.example.test'], exchanges });
    expect(enforce).toMatchObject({ verdict: 'certificate-refused', severity: 'error',
      refused: [{ host: 'mx.example.test', address: '127.0.40.53', reason: 'expired' }] });
    expect(enforce.detail).toContain('a compliant sender would refuse');
    const testing = evaluatePolicy(policy('testing'), [], { mx: ['mx.example.test'], exchanges });
    expect(testing).toMatchObject({ verdict: 'certificate-refused', severity: 'warning' });
  });

  it('accepts a verified certificate', () => {
    const exchanges = [exchange(host('127.0.40.54', {}))];
    expect(evaluatePolicy(policy('enforce'), [], { mx: ['mx.example.test'], exchanges }).verdict)
      .toBe('ok');
  });
});
