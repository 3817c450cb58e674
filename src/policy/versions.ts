/**
 * TLS version enumeration (`--versions`): one fresh SMTP session per version, each up to
 * STARTTLS and then a handshake pinned to that single version, so that what a server accepts
 * is seen apart from what it prefers. Before any connection, the local TLS library is asked
 * whether it can offer the version at all; what it cannot is "not testable here", never a
 * refusal by the server.
 */
import { Duplex } from 'node:stream';
import { connect as tlsConnect, createSecureContext, type TLSSocket } from 'node:tls';
import { errorInfo, MxtlsError, TlsError } from '../errors.js';
import type { HostTarget, StageTimeouts } from '../probe/options.js';
import { SmtpSession } from '../smtp/session.js';
import type { TlsProfile } from '../tls/context.js';
import { gradeCipher } from './cipher-grades.js';
import type { TlsVersion, VersionAttempt, VersionsResult } from './types.js';

/** The versions tried, oldest first. */
export const TLS_VERSIONS: readonly TlsVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** The legacy_version a ClientHello carries for each version (TLS 1.3 sends 1.2's). */
const HELLO_VERSION: Record<TlsVersion, number> = {
  TLSv1: 0x0301,
  'TLSv1.1': 0x0302,
  'TLSv1.2': 0x0303,
  'TLSv1.3': 0x0303,
};

/** How to enumerate; every field has a default. */
export interface VersionOptions {
  /** PEM CA certificates for the certificate check. Default: system roots. */
  ca?: string | Buffer;
  /** The EHLO argument. Default: as SmtpSession chooses. */
  helo?: string;
  timeouts?: Partial<StageTimeouts>;
  /** Versions to try. Default all four. */
  versions?: readonly TlsVersion[];
  signal?: AbortSignal;
  /** Replaces the local capability check, for tests. Default: `localCanOffer`. */
  canOffer?: (version: TlsVersion) => Promise<string | undefined>;
}

/**
 * The profile that pins one version. Security level 0 lets OpenSSL 3 sign with SHA-1, which
 * TLS 1.0 and 1.1 need; the default cipher list keeps the offer close to a normal sender's.
 */
export function versionProfile(version: TlsVersion): TlsProfile {
  return { minVersion: version, maxVersion: version, ciphers: 'DEFAULT:@SECLEVEL=0',
    minDHSize: 512 };
}

const localChecks = new Map<TlsVersion, Promise<string | undefined>>();

/**
 * Whether the local TLS library can offer `version`: it builds a client context and writes
 * a ClientHello into a stream that goes nowhere, then reads the version it announced.
 * Resolves undefined when it can, else the reason it cannot. Cached per version.
 */
export function localCanOffer(version: TlsVersion): Promise<string | undefined> {
  let check = localChecks.get(version);
  if (!check) {
    check = helloCheck(version);
    localChecks.set(version, check);
  }
  return check;
}

function helloCheck(version: TlsVersion): Promise<string | undefined> {
  const profile = versionProfile(version);
  let context;
  try {
    context = createSecureContext({ minVersion: version, maxVersion: version,
      ...(profile.ciphers ? { ciphers: profile.ciphers } : {}) });
  } catch (error) {
    return Promise.resolve(`the local TLS library rejects a ${version} context: ` +
      errorInfo(error).message);
  }
  return new Promise((resolve) => {
    let done = false;
    // OpenSSL may write the ClientHello inside tls.connect itself, before `socket` and
    // `timer` below are assigned; the clean-up therefore waits for the next turn.
    let socket: TLSSocket | undefined;
    let timer: NodeJS.Timeout | undefined;
    const finish = (reason: string | undefined): void => {
      if (done) return;
      done = true;
      resolve(reason);
      setImmediate(() => {
        clearTimeout(timer);
        socket?.destroy();
      });
    };
    const sink = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        // Record header (5 bytes), handshake header (4), then the ClientHello's version.
        const announced = chunk.length >= 11 ? chunk.readUInt16BE(9) : -1;
        finish(chunk[0] === 0x16 && chunk[5] === 0x01 && announced === HELLO_VERSION[version]
          ? undefined : `the local TLS library does not send a ${version} ClientHello`);
        callback();
      },
    });
    socket = tlsConnect({ socket: sink, secureContext: context, servername: 'local.test',
      rejectUnauthorized: false });
    socket.on('error', (error) => finish(`the local TLS library cannot offer ${version}: ` +
      errorInfo(error).message));
    timer = setTimeout(() => finish(`the local TLS library wrote no ${version} ` +
      'ClientHello'), 2000);
  });
}

/** Tries each version on one address; never throws. */
export async function enumerateVersions(
  target: HostTarget,
  options: VersionOptions = {},
): Promise<VersionsResult> {
  const canOffer = options.canOffer ?? localCanOffer;
  const attempts: VersionAttempt[] = [];
  // One version at a time: parallel sessions would look like a flood to rate limiters.
  for (const version of options.versions ?? TLS_VERSIONS) {
    const reason = await canOffer(version);
    if (reason !== undefined) {
      attempts.push({ version, outcome: 'not-testable', flags: [],
        detail: `Not testable here: ${reason}` });
      continue;
    }
    attempts.push(await tryVersion(target, version, options));
  }
  const accepted = attempts.filter((a) => a.outcome === 'accepted').map((a) => a.version);
  const flags = [...new Set(attempts.flatMap((a) => a.flags))];
  return { host: target.host, address: target.address, port: target.port, attempts, accepted,
    flags };
}

async function tryVersion(
  target: HostTarget,
  version: TlsVersion,
  options: VersionOptions,
): Promise<VersionAttempt> {
  const session = new SmtpSession(target, {
    ...(options.ca === undefined ? {} : { ca: options.ca }),
    ...(options.helo === undefined ? {} : { helo: options.helo }),
    ...(options.timeouts === undefined ? {} : { timeouts: options.timeouts }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  try {
    await session.connect();
    await session.readGreeting();
    await session.sendEhlo();
  } catch (error) {
    session.close();
    return { version, outcome: 'error', flags: [],
      detail: `The session ended before STARTTLS: ${errorInfo(error).message}` };
  }
  try {
    const { socket } = await session.startTls(versionProfile(version));
    const cipher = socket.getCipher();
    const protocol = socket.getProtocol() ?? version;
    await session.quit();
    const summary = { name: cipher.name,
      ...(cipher.standardName ? { standardName: cipher.standardName } : {}) };
    const flags = gradeCipher({ protocol, ...summary });
    return { version, outcome: 'accepted', cipher: summary, flags,
      detail: `Accepted ${protocol} with ${cipher.standardName ?? cipher.name}` };
  } catch (error) {
    session.close();
    const info = errorInfo(error);
    // Only a handshake that the server ended is a refusal; no answer, or a STARTTLS that
    // was itself refused, says nothing about the version.
    const refused = error instanceof TlsError && error.code === 'MXTLS_TLS_HANDSHAKE';
    const what = error instanceof MxtlsError && error.phase === 'starttls' ? 'STARTTLS failed'
      : refused ? `The server refused ${version}` : `No answer to a ${version} handshake`;
    return { version, outcome: refused ? 'refused' : 'error', flags: [],
      detail: `${what}: ${info.message}` };
  }
}
