/**
 * Why a handshake failed, in words an administrator can act on. The TLS library's code and
 * message are kept beside the sentence, so nothing it said is lost.
 */

/** A failed handshake, explained. */
export interface HandshakeFailure {
  /** The TLS library's code, e.g. `ERR_SSL_DH_KEY_TOO_SMALL`, or `ECONNRESET`. */
  code: string;
  /** The TLS library's message, as it gave it. */
  message: string;
  /** What went wrong, e.g. "peer sent plaintext where TLS was expected". */
  reason: string;
  /**
   * True when a legacy profile (older protocols, weaker ciphers, smaller DH groups) might
   * succeed where the default one failed.
   */
  legacyMayHelp: boolean;
  /** What kind of failure it was; `dropped`: the peer closed before any handshake message. */
  kind: 'plaintext' | 'protocol' | 'dh' | 'cipher' | 'dropped' | 'timeout' | 'other';
}

const PROTOCOL_CODES = new Set([
  'ERR_SSL_UNSUPPORTED_PROTOCOL',
  'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
  'ERR_SSL_NO_PROTOCOLS_AVAILABLE',
  'ERR_SSL_VERSION_TOO_LOW',
]);

const DH_CODES = new Set(['ERR_SSL_DH_KEY_TOO_SMALL', 'ERR_TLS_DH_PARAM_SIZE']);

const CIPHER_CODES = new Set([
  'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE',
  'ERR_SSL_NO_SHARED_CIPHER',
  'ERR_SSL_NO_CIPHERS_AVAILABLE',
  'ERR_SSL_TLSV1_ALERT_INSUFFICIENT_SECURITY',
  'ERR_SSL_WRONG_CIPHER_RETURNED',
]);

/** The server's certificate or signature is below the client's security level. */
const WEAK_KEY_CODES = new Set([
  'ERR_SSL_EE_KEY_TOO_SMALL',
  'ERR_SSL_CA_KEY_TOO_SMALL',
  'ERR_SSL_CA_MD_TOO_WEAK',
  'ERR_SSL_LEGACY_SIGALG_DISALLOWED_OR_UNSUPPORTED',
]);

/** Explains the error a handshake failed with (the cause of a TlsError). */
export function explainHandshakeFailure(error: unknown): HandshakeFailure {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  const failure = (
    kind: HandshakeFailure['kind'],
    reason: string,
    legacyMayHelp: boolean,
  ): HandshakeFailure => ({ code, message, reason, legacyMayHelp, kind });

  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number/i.test(message)) {
    return failure('plaintext', 'peer sent plaintext where TLS was expected', true);
  }
  if (PROTOCOL_CODES.has(code) || /unsupported protocol|protocol version/i.test(message)) {
    return failure('protocol', 'server supports no protocol version the client allows', true);
  }
  if (DH_CODES.has(code) || /dh key too small|DH parameter size/i.test(message)) {
    const bits = /size (\d+)/.exec(message)?.[1];
    return failure(
      'dh',
      bits ? `server DH ${bits} bits below client minimum` : 'server DH group below client minimum',
      true,
    );
  }
  if (WEAK_KEY_CODES.has(code) || /key too small|md too weak/i.test(message)) {
    return failure('cipher', 'server certificate key or signature below the client security ' +
      'level', true);
  }
  if (CIPHER_CODES.has(code) || /handshake failure|no shared cipher/i.test(message)) {
    const reason = 'server and client share no cipher suite (handshake failure alert)';
    return failure('cipher', reason, true);
  }
  if (code === 'ECONNRESET' || /socket disconnected|connection closed/i.test(message)) {
    const bytes = peerBytes(error);
    if (bytes !== undefined && bytes > 0) {
      return failure('other', `peer closed the connection during the handshake after ${bytes} ` +
        'bytes', false);
    }
    return failure('dropped', 'peer closed after 220, no ServerHello', false);
  }
  if (code === 'MXTLS_SMTP_TIMEOUT') {
    return failure('timeout', 'no handshake answer in time', false);
  }
  return failure('other', message, false);
}

/** How many bytes the peer sent during the handshake, when the handshake code counted them. */
function peerBytes(error: unknown): number | undefined {
  if (error && typeof error === 'object' && 'peerBytes' in error) {
    const bytes = (error as { peerBytes: unknown }).peerBytes;
    if (typeof bytes === 'number') return bytes;
  }
  return undefined;
}

function errorCode(error: unknown): string {
  if (error && typeof error === 'object' && 'code' in error) {
    const code = (error as { code: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return 'UNKNOWN';
}

/** `TLSv1` → `TLSv1.0`, the spelling people compare versions in. */
export function protocolLabel(protocol: string): string {
  return protocol === 'TLSv1' ? 'TLSv1.0' : protocol;
}
