/**
 * How probe results become receiver evidence: a temporary failure is never "no TLS", an
 * untrusted certificate still offers TLS, and the hop's own address wins over the others.
 */
import { describe, expect, it } from 'vitest';
import { summariseReceiver } from '../../../src/compare/receiver-evidence.js';
import type { HostOutcome, HostResult } from '../../../src/probe/types.js';

function host(address: string, outcome: HostOutcome, temporary = false,
  certificate: 'verified' | 'untrusted' = 'verified'): HostResult {
  const result: HostResult = {
    host: 'mx.receiver.test', address, family: 4, port: 25, outcome, detail: `${outcome} here`,
    temporary, starttls: outcome === 'starttls-not-offered' ? 'not-offered' : 'offered',
    timings: { total: 5 },
  };
  if (outcome === 'tls') {
    result.tls = {
      protocol: 'TLSv1.3', cipher: { name: 'TLS_AES_128_GCM_SHA256' }, legacyRetry: false,
      chain: [],
      certificate: { chainVerified: certificate === 'verified', nameMatches: true,
        checkedName: 'mx.receiver.test', expired: false, notYetValid: false, daysToExpiry: 30,
        summary: certificate },
    };
  }
  return result;
}

function summarise(hosts: HostResult[], hopAddress: string | null = null) {
  const exchange = { host: 'mx.receiver.test', preference: 0, implicit: false,
    addressOutcome: hosts.length > 0 ? 'ok' as const : 'no-address' as const, hosts };
  return summariseReceiver({ exchanges: [exchange], checkedAt: '2026-01-01T00:00:00.000Z',
    source: 'live' }, 'mx.receiver.test', 'by-clause', hopAddress);
}

describe('summariseReceiver', () => {
  it('reads a timeout or a 421 as temporary, never as no TLS', () => {
    expect(summarise([host('127.0.50.9', 'timeout', true)]).state).toBe('temporary');
    expect(summarise([host('127.0.50.9', 'rate-limited', true)]).state).toBe('temporary');
    expect(summarise([host('127.0.50.9', 'starttls-refused', true)]).state).toBe('temporary');
  });

  it('counts an untrusted certificate as TLS offered and says so', () => {
    const evidence = summarise([host('127.0.50.9', 'tls', false, 'untrusted')]);
    expect(evidence.state).toBe('offers-tls');
    expect(evidence.certificate).toBe('untrusted');
    expect(evidence.detail).toMatch(/opportunistic senders use it anyway/);
  });

  it('does not call the certificate verified when one of the TLS addresses fails it', () => {
    const evidence = summarise([host('127.0.50.1', 'tls'),
      host('127.0.50.2', 'tls', false, 'untrusted')]);
    expect(evidence.state).toBe('offers-tls');
    expect(evidence.certificate).toBe('untrusted');
    expect(evidence.detail).not.toContain('certificate verified');
  });

  it('names a receiver without STARTTLS, and one whose handshake fails', () => {
    expect(summarise([host('127.0.50.9', 'starttls-not-offered')]).state).toBe('no-starttls');
    expect(summarise([host('127.0.50.9', 'handshake-failed')]).state).toBe('handshake-failed');
  });

  it('calls addresses that disagree mixed, unless the hop names its address', () => {
    const hosts = [host('127.0.50.8', 'tls'), host('127.0.50.9', 'starttls-not-offered')];
    expect(summarise(hosts).state).toBe('mixed');
    const pinned = summarise(hosts, '127.0.50.9');
    expect(pinned.state).toBe('no-starttls');
    expect(pinned.addresses).toEqual(['127.0.50.9']);
  });

  it('lets answering addresses decide when another one timed out', () => {
    const evidence = summarise([host('127.0.50.8', 'timeout', true), host('127.0.50.9', 'tls')]);
    expect(evidence.state).toBe('offers-tls');
  });

  it('calls a name without addresses unresolved and refused connections unreachable', () => {
    expect(summarise([]).state).toBe('unresolved');
    expect(summarise([host('127.0.50.9', 'connect-failed')]).state).toBe('unreachable');
  });
});
