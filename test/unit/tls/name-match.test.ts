import { describe, expect, it } from 'vitest';
import { matchesDnsName, matchesHost, normalizeHostName } from '../../../src/tls/name-match.js';

describe('matchesDnsName (RFC 6125)', () => {
  it.each([
    ['mx.example.com', 'mx.example.com', true],
    ['MX.Example.COM', 'mx.example.com', true],
    ['mx.example.com.', 'mx.example.com', true],
    ['mx.example.com', 'MX.EXAMPLE.COM.', true],
    ['mx.example.com', 'mx2.example.com', false],
    ['*.example.com', 'mx.example.com', true],
    ['*.example.com', 'a.b.example.com', false],
    ['*.example.com', 'example.com', false],
    ['*.example.com', '.example.com', false],
    ['*.EXAMPLE.com.', 'mx.example.com', true],
    ['f*.example.com', 'foo.example.com', false],
    ['*foo.example.com', 'xfoo.example.com', false],
    ['mx.*.example.com', 'mx.a.example.com', false],
    ['*.*.example.com', 'a.b.example.com', false],
    ['*.com', 'example.com', false],
    ['*.co.uk', 'example.co.uk', false],
    ['*.example.co.uk', 'mx.example.co.uk', true],
    ['*', 'localhost', false],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example', true],
    ['bücher.example', 'xn--bcher-kva.example', false],
    ['*.xn--bcher-kva.example', 'mx.xn--bcher-kva.example', true],
    ['192.0.2.1', '192.0.2.1', false],
    ['', 'mx.example.com', false],
  ])('%j names %j: %s', (pattern, host, expected) => {
    expect(matchesDnsName(pattern, host)).toBe(expected);
  });
});

describe('matchesHost', () => {
  it('never lets an IP SAN stand in for a DNS name', () => {
    expect(matchesHost('mx.example.com', { dnsNames: [], ipAddresses: ['192.0.2.25'] }))
      .toBe(false);
  });

  it('matches an IP literal against IP SANs only, in any IPv6 spelling', () => {
    const names = { dnsNames: ['192.0.2.25'], ipAddresses: ['2001:DB8:0:0:0:0:0:1'] };
    expect(matchesHost('192.0.2.25', names)).toBe(false);
    expect(matchesHost('2001:db8::1', names)).toBe(true);
  });

  it('matches any of several DNS names', () => {
    expect(matchesHost('mx2.example.com', { dnsNames: ['mx1.example.com', '*.example.com'] }))
      .toBe(true);
  });
});

describe('normalizeHostName', () => {
  it('lower-cases and drops one trailing dot', () => {
    expect(normalizeHostName('MX.Example.COM.')).toBe('mx.example.com');
  });
});
