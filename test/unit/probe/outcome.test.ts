import { describe, expect, it } from 'vitest';
import { SmtpError, TlsError } from '../../../src/errors.js';
import { classifyFailure } from '../../../src/probe/outcome.js';
import type { HostResult } from '../../../src/probe/types.js';

function blank(family: 4 | 6 = 4): HostResult {
  return {
    host: 'mx.example.com',
    address: family === 6 ? '2001:db8::25' : '192.0.2.25',
    family,
    port: 25,
    outcome: 'tls',
    detail: '',
    temporary: false,
    starttls: 'unknown',
    timings: { total: 0 },
  };
}

const systemError = (code: string) => Object.assign(new Error(`connect ${code}`), { code });
const connectError = (code: string) => new SmtpError('MXTLS_SMTP_CONNECT',
  `Cannot connect to mx.example.com: connect ${code}`, { phase: 'connect',
    cause: systemError(code) });

describe('classifyFailure', () => {
  it.each(['ENETUNREACH', 'EADDRNOTAVAIL'])('calls %s on IPv6 "no IPv6 route"', (code) => {
    const result = blank(6);
    classifyFailure(connectError(code), 'connect', result);
    expect(result.outcome).toBe('no-route');
    expect(result.detail).toBe(`this host has no IPv6 route (${code})`);
    expect(result.temporary).toBe(true);
    expect(result.error?.cause).toBe(code);
  });

  it('calls a refused connection connect-failed', () => {
    const result = blank();
    classifyFailure(connectError('ECONNREFUSED'), 'connect', result);
    expect(result.outcome).toBe('connect-failed');
    expect(result.temporary).toBe(true);
  });

  it('keeps STARTTLS "offered" when the 421 answered STARTTLS itself', () => {
    const result = { ...blank(), starttls: 'offered' as const };
    classifyFailure(new SmtpError('MXTLS_SMTP_REPLY', 'Cannot start TLS', {
      phase: 'starttls', replyCode: 421, response: '4.3.2 shutting down' }), 'starttls', result);
    expect(result.outcome).toBe('rate-limited');
    expect(result.starttls).toBe('offered');
  });

  it('calls a 4xx EHLO reply a temporary EHLO rejection', () => {
    const result = blank();
    classifyFailure(new SmtpError('MXTLS_SMTP_REPLY', 'Cannot send EHLO', {
      phase: 'ehlo', replyCode: 451, response: 'try later' }), 'ehlo', result);
    expect(result.outcome).toBe('ehlo-rejected');
    expect(result.temporary).toBe(true);
  });

  it('returns the explained handshake failure for a legacy retry', () => {
    const result = blank();
    const cause = Object.assign(new Error('unsupported protocol'),
      { code: 'ERR_SSL_UNSUPPORTED_PROTOCOL' });
    const failure = classifyFailure(new TlsError('MXTLS_TLS_HANDSHAKE', 'Cannot complete TLS',
      { phase: 'handshake', cause }), 'handshake', result);
    expect(failure).toMatchObject({ kind: 'protocol', legacyMayHelp: true });
    expect(result.outcome).toBe('handshake-failed');
    expect(result.detail).toContain('ERR_SSL_UNSUPPORTED_PROTOCOL');
  });

  it('calls a handshake timeout a timeout of the handshake stage', () => {
    const result = blank();
    classifyFailure(new TlsError('MXTLS_SMTP_TIMEOUT', 'Cannot complete TLS handshake',
      { phase: 'handshake' }), 'handshake', result);
    expect(result.outcome).toBe('timeout');
    expect(result.detail).toBe('timed out waiting for the TLS handshake');
  });
});
