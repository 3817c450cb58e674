/**
 * How good a negotiated TLS version and cipher are, as findings a report can list. The table
 * works on OpenSSL cipher names (what Node's getCipher().name gives) and on IANA standard
 * names, so that it does not depend on which of the two a caller has.
 */

/** Findings about a version or cipher; an empty list means nothing to report. */
export type CipherFlag =
  | 'legacy-version'
  | 'no-forward-secrecy'
  | 'rc4'
  | '3des'
  | 'des'
  | 'null-cipher'
  | 'export'
  | 'anonymous'
  | 'md5-mac';

/** One rule of the table: a finding and how to recognise it in either naming. */
interface CipherRule {
  flag: CipherFlag;
  openssl: RegExp;
  standard: RegExp;
}

// Order matters only for the order of the flags in a report; every rule is tried.
const RULES: CipherRule[] = [
  { flag: 'null-cipher', openssl: /(^|-)NULL(-|$)/, standard: /_WITH_NULL_|_NULL_/ },
  { flag: 'export', openssl: /(^|-)EXP(1024)?-/, standard: /_EXPORT(1024)?_/ },
  { flag: 'rc4', openssl: /(^|-)RC4(-|$)/, standard: /_RC4_/ },
  { flag: '3des', openssl: /DES-CBC3|3DES/, standard: /_3DES_/ },
  { flag: 'des', openssl: /(^|-)DES-CBC-/, standard: /_DES_CBC_|_DES40_/ },
  { flag: 'anonymous', openssl: /^(ADH|AECDH)-|-anon-/, standard: /_anon_/ },
  { flag: 'md5-mac', openssl: /-MD5$/, standard: /_MD5$/ },
];

/** Versions that RFC 8996 deprecates. */
const LEGACY_VERSIONS = new Set(['SSLv2', 'SSLv3', 'TLSv1', 'TLSv1.1']);

/** The negotiated parameters to grade, as Node reports them. */
export interface NegotiatedCipher {
  /** "TLSv1.3", "TLSv1.2", "TLSv1.1", "TLSv1". */
  protocol: string;
  /** OpenSSL name, e.g. "ECDHE-RSA-AES128-GCM-SHA256" or "TLS_AES_256_GCM_SHA384". */
  name: string;
  /** IANA name, e.g. "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256". */
  standardName?: string;
}

/**
 * Whether the key exchange is ephemeral. Every TLS 1.3 suite is; before 1.3 only (EC)DHE
 * suites are, and a static RSA, DH or ECDH suite is not.
 */
export function hasForwardSecrecy(cipher: NegotiatedCipher): boolean {
  if (cipher.protocol === 'TLSv1.3') return true;
  if (/^TLS_(AES|CHACHA20)_/.test(cipher.name)) return true;
  if (/^(ECDHE|DHE|EDH|AECDH|ADH)-/.test(cipher.name)) return true;
  return /^TLS_(ECDHE|DHE)_/.test(cipher.standardName ?? '');
}

/** The findings for a negotiated version and cipher, in table order. */
export function gradeCipher(cipher: NegotiatedCipher): CipherFlag[] {
  const flags: CipherFlag[] = [];
  if (LEGACY_VERSIONS.has(cipher.protocol)) flags.push('legacy-version');
  if (!hasForwardSecrecy(cipher)) flags.push('no-forward-secrecy');
  for (const rule of RULES) {
    if (rule.openssl.test(cipher.name) || rule.standard.test(cipher.standardName ?? '')) {
      flags.push(rule.flag);
    }
  }
  return flags;
}
