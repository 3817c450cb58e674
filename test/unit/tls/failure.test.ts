import { describe, expect, it } from 'vitest';
import { explainHandshakeFailure, protocolLabel } from '../../../src/tls/failure.js';

const tlsError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('explainHandshakeFailure', () => {
  it.each([
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'ssl3_get_record:wrong version number', 'plaintext',
      'peer sent plaintext where TLS was expected', true],
    ['ERR_SSL_UNSUPPORTED_PROTOCOL', 'ssl_choose_client_version:unsupported protocol',
      'protocol', 'server supports no protocol version the client allows', true],
    ['ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', 'tlsv1 alert protocol version', 'protocol',
      'server supports no protocol version the client allows', true],
    ['ERR_SSL_DH_KEY_TOO_SMALL', 'dh key too small', 'dh',
      'server DH group below client minimum', true],
    // Node's own check, the 512-bit variant of C12 (minDHSize 1024).
    ['ERR_TLS_DH_PARAM_SIZE', 'DH parameter size 512 is less than 1024', 'dh',
      'server DH 512 bits below client minimum', true],
    ['ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', 'sslv3 alert handshake failure', 'cipher',
      'server and client share no cipher suite (handshake failure alert)', true],
    ['ECONNRESET', 'Client network socket disconnected before secure TLS connection was ' +
      'established', 'dropped', 'peer closed after 220, no ServerHello', false],
    ['ERR_SSL_EE_KEY_TOO_SMALL', 'ee key too small', 'cipher',
      'server certificate key or signature below the client security level', true],
    ['ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC', 'bad record mac', 'other', 'bad record mac',
      false],
  ])('%s', (code, message, kind, reason, legacyMayHelp) => {
    const failure = explainHandshakeFailure(tlsError(code, message));
    expect(failure).toEqual({ code, message, kind, reason, legacyMayHelp });
  });

  it('spells TLSv1 as TLSv1.0 and leaves the others', () => {
    expect(['TLSv1', 'TLSv1.1', 'TLSv1.3'].map(protocolLabel))
      .toEqual(['TLSv1.0', 'TLSv1.1', 'TLSv1.3']);
  });
});
