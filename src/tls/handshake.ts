/**
 * The TLS handshake over an SMTP connection after STARTTLS, and the record of what it
 * negotiated. The handshake never rejects a certificate: the chain verdict is read from the
 * socket afterwards, because for opportunistic SMTP a bad certificate is a finding, not a
 * reason to stop looking.
 */
import type { Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { TlsError } from '../errors.js';
import type { TlsSession } from '../probe/types.js';
import { judgeCertificate, peerChain } from './certificate.js';
import { secureContextFor, type TlsProfile } from './context.js';
import { isIP } from 'node:net';

/** How to run one handshake. */
export interface HandshakeOptions {
  /** The normalised MX name: sent as SNI and checked against the certificate. */
  serverName: string;
  profile: TlsProfile;
  /** PEM CA certificates to trust instead of the system roots. */
  ca?: string | Buffer;
  timeoutMs: number;
  /** `host:port` or `address:port` for messages. */
  target: string;
}

/**
 * Runs a client handshake over `socket` and resolves with the TLS socket once it is secure.
 * Rejects with TlsError `MXTLS_TLS_HANDSHAKE` whose cause is the TLS library's error (its
 * `code`, e.g. `ERR_SSL_UNSUPPORTED_PROTOCOL`, is what failure analysis reads).
 */
export function handshake(socket: Socket, options: HandshakeOptions): Promise<TLSSocket> {
  // Bytes the peer sends during the handshake tell "closed before any ServerHello" apart
  // from "closed in the middle of the handshake".
  const bytesBefore = socket.bytesRead;
  const peerBytes = (): number => socket.bytesRead - bytesBefore;
  return new Promise<TLSSocket>((resolve, reject) => {
    const tlsSocket = tlsConnect({
      socket,
      // SNI takes a host name only; an IP literal would be a protocol violation (RFC 6066).
      ...(isIP(options.serverName) === 0 && options.serverName !== ''
        ? { servername: options.serverName }
        : {}),
      secureContext: secureContextFor(options.profile, options.ca),
      rejectUnauthorized: false,
      // Name checks are ours (RFC 6125 in name-match.ts), so that a name mismatch never
      // hides whether the chain itself verified.
      checkServerIdentity: () => undefined,
      ...(options.profile.minDHSize === undefined ? {} : { minDHSize: options.profile.minDHSize }),
    });
    watchTickets(tlsSocket);
    let settled = false;
    const finish = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      tlsSocket.off('secureConnect', onSecure);
      tlsSocket.off('error', onError);
      tlsSocket.off('close', onClose);
      if (!error) {
        resolve(tlsSocket);
        return;
      }
      tlsSocket.on('error', () => undefined);
      tlsSocket.destroy();
      reject(error);
    };
    const onSecure = (): void => finish();
    const onError = (error: Error): void => {
      finish(new TlsError('MXTLS_TLS_HANDSHAKE',
        `Cannot complete TLS handshake with ${options.target}: ${error.message}`,
        { phase: 'handshake', target: options.target,
          cause: Object.assign(error, { peerBytes: peerBytes() }) }));
    };
    const onClose = (): void => {
      finish(new TlsError('MXTLS_TLS_HANDSHAKE',
        `Cannot complete TLS handshake with ${options.target}: connection closed`,
        { phase: 'handshake', target: options.target, cause: closedError(peerBytes()) }));
    };
    const timer = setTimeout(() => {
      finish(new TlsError('MXTLS_SMTP_TIMEOUT',
        `Cannot complete TLS handshake with ${options.target}: no answer within ` +
        `${options.timeoutMs} ms`, { phase: 'handshake', target: options.target }));
    }, options.timeoutMs);
    tlsSocket.once('secureConnect', onSecure);
    tlsSocket.on('error', onError);
    tlsSocket.once('close', onClose);
  });
}

/** TLS sockets on which a session ticket (the 'session' event) has arrived. */
const ticketed = new WeakSet<TLSSocket>();

/**
 * Notes the arrival of session tickets. The listener must be there before the handshake ends:
 * Node only asks OpenSSL for the tickets once a 'session' listener exists. The tickets are
 * never used to resume (a resumed session would hide the certificate).
 */
function watchTickets(socket: TLSSocket): void {
  socket.once('session', () => ticketed.add(socket));
}

/**
 * Resolves once the server's TLS 1.3 NewSessionTicket has arrived, after `maxWaitMs`, or when
 * the socket closes; at once for TLS 1.2 and below (their ticket is part of the handshake).
 *
 * Why: the server sends the ticket after our Finished, and it sits unacknowledged while our
 * kernel delays the ACK (40 ms on Linux). A command sent before the ticket arrives makes the
 * server's reply wait behind it (Nagle), for the whole ACK delay; a command sent after carries
 * the ACK itself. A server that sends no ticket costs at most `maxWaitMs`.
 */
export function awaitSessionTicket(socket: TLSSocket, maxWaitMs: number): Promise<void> {
  if (ticketed.has(socket) || socket.destroyed || socket.getProtocol() !== 'TLSv1.3') {
    return Promise.resolve();
  }
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      socket.off('session', done);
      socket.off('close', done);
      // Not from inside the 'session' event: OpenSSL is still reading then, and a command
      // written from there had its reply lost.
      setImmediate(resolve);
    };
    const timer = setTimeout(done, maxWaitMs);
    socket.once('session', done);
    socket.once('close', done);
  });
}

function closedError(peerBytes: number): Error {
  return Object.assign(new Error('connection closed'), { code: 'ECONNRESET', peerBytes });
}

/**
 * Records what a completed handshake negotiated and how the certificate fares, judged at
 * `now` against `serverName`.
 */
export function describeSession(
  socket: TLSSocket,
  serverName: string,
  now: number,
): TlsSession {
  const cipher = socket.getCipher();
  const chain = peerChain(socket);
  const session: TlsSession = {
    protocol: socket.getProtocol() ?? 'unknown',
    cipher: {
      name: cipher.name,
      ...(cipher.standardName ? { standardName: cipher.standardName } : {}),
      ...(cipher.version ? { version: cipher.version } : {}),
    },
    legacyRetry: false,
    chain,
    certificate: judgeCertificate({
      leaf: chain[0],
      host: serverName,
      authorized: socket.authorized,
      ...(socket.authorizationError
        ? { authorizationError: String(socket.authorizationError) }
        : {}),
      now,
    }),
  };
  const bits = cipherBits(cipher.name, cipher.standardName);
  if (bits !== undefined) session.cipher.bits = bits;
  const key = socket.getEphemeralKeyInfo();
  if (key && typeof key === 'object' && 'type' in key && key.type) {
    session.keyExchange = {
      type: key.type,
      ...(key.name ? { name: key.name } : {}),
      ...(key.size ? { size: key.size } : {}),
    };
  }
  return session;
}

/** Symmetric key bits from the suite name; Node does not report them directly. */
function cipherBits(name: string, standardName?: string): number | undefined {
  const text = `${name} ${standardName ?? ''}`.toUpperCase();
  if (/AES_?256|AES256|CHACHA20/.test(text)) return 256;
  if (/AES_?128|AES128/.test(text)) return 128;
  if (/3DES|DES-CBC3/.test(text)) return 112;
  return undefined;
}
