/**
 * TLS client profiles and their secure contexts. Building a SecureContext parses the whole
 * root store, which costs far more than a handshake; contexts are therefore made once per
 * (CA, profile) and reused by every probe.
 */
import { createHash } from 'node:crypto';
import { createSecureContext, DEFAULT_CIPHERS, type SecureContext } from 'node:tls';

/** The handshake settings that decide what a server must support. */
export interface TlsProfile {
  minVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  maxVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  /** OpenSSL cipher list (TLS 1.2 and older). */
  ciphers?: string;
  /** TLS 1.3 cipher suites, colon-separated. */
  cipherSuites?: string;
  /** Smallest DH group accepted, in bits (a tls.connect option, not a context one). */
  minDHSize?: number;
  /** Supported groups, e.g. "X25519:P-256". */
  ecdhCurve?: string;
  sigalgs?: string;
}

/**
 * What a current, careful sender does: TLS 1.2 or newer and OpenSSL security level 2, which
 * refuses DH groups under 2048 bits (the level Debian's Postfix and OpenSSL-based MTAs use).
 */
// Level 2 also refuses RSA keys under 2048 bits and SHA-1 signatures in the chain; those show
// up as the chain error of an otherwise completed handshake, which is the finding we want.
export const DEFAULT_PROFILE: TlsProfile = {
  minVersion: 'TLSv1.2',
  ciphers: `${DEFAULT_CIPHERS}:@SECLEVEL=2`,
  minDHSize: 2048,
};

/**
 * The widest profile the local OpenSSL 3 allows: TLS 1.0 and 1.1 need security level 0
 * (their handshakes sign with SHA-1), and DH groups down to 512 bits are let through so that
 * they can be measured and reported as weak.
 */
export const LEGACY_PROFILE: TlsProfile = {
  minVersion: 'TLSv1',
  ciphers: 'DEFAULT:@SECLEVEL=0',
  minDHSize: 512,
};

const MAX_CACHED = 32;
const contexts = new Map<string, SecureContext>();
const caKeys = new WeakMap<Buffer, string>();

/**
 * The shared SecureContext for `profile` trusting `ca` (the system roots when absent).
 * `minDHSize` is not part of a context; pass it to tls.connect.
 */
export function secureContextFor(profile: TlsProfile, ca?: string | Buffer): SecureContext {
  const key = `${caKey(ca)}|${profile.minVersion ?? ''}|${profile.maxVersion ?? ''}|` +
    `${profile.ciphers ?? ''}|${profile.cipherSuites ?? ''}|${profile.ecdhCurve ?? ''}|` +
    `${profile.sigalgs ?? ''}`;
  const cached = contexts.get(key);
  if (cached) return cached;
  const context = createSecureContext({
    ...(ca === undefined ? {} : { ca }),
    ...(profile.minVersion ? { minVersion: profile.minVersion } : {}),
    ...(profile.maxVersion ? { maxVersion: profile.maxVersion } : {}),
    ...(profile.ciphers ? { ciphers: profile.ciphers } : {}),
    ...(profile.cipherSuites ? { ciphersuites: profile.cipherSuites } : {}),
    ...(profile.ecdhCurve ? { ecdhCurve: profile.ecdhCurve } : {}),
    ...(profile.sigalgs ? { sigalgs: profile.sigalgs } : {}),
  });
  // A caller that invents profiles without end must not grow the cache without end.
  if (contexts.size >= MAX_CACHED) {
    const oldest = contexts.keys().next().value;
    if (oldest !== undefined) contexts.delete(oldest);
  }
  contexts.set(key, context);
  return context;
}

function caKey(ca: string | Buffer | undefined): string {
  if (ca === undefined) return 'system';
  if (typeof ca === 'string') return `pem:${ca.length}:${hash(ca)}`;
  let key = caKeys.get(ca);
  if (!key) {
    key = `buf:${hash(ca)}`;
    caKeys.set(ca, key);
  }
  return key;
}

function hash(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
