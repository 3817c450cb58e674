/**
 * The one place that knows how Received fields say "TLS": rules over the clauses of a field,
 * never over its raw text. Each rule is generic (any comment with a TLS version or a cipher-suite
 * token counts, wherever it sits) so that dialects nobody catalogued are still read; the
 * well-known shapes only add detail (cipher, bits, key exchange, verification).
 */
import type { Clause, EvidenceState, TlsEvidence } from './types.js';

/**
 * What the rules found in one field, before the receiver's dialect is taken into account:
 * the same shape as a hop's evidence, whose state the dialect may still change.
 */
export type TlsMarkers = TlsEvidence;

/** The protocol name given when a field says TLS but not which version. */
export const VERSION_NOT_STATED = 'SSL/TLS (version not stated)';

interface Finding {
  tls: boolean;
  marker: string;
  protocol?: string | null;
  cipher?: string | null;
  bits?: number | null;
  keyExchange?: string | null;
  verify?: string | null;
}

// RFC 3848 / RFC 6531 transmission types that mean TLS, after Exim's `local-` and `utf8`
// prefixes are removed and case is folded; HTTPS is Exchange Online's and webmail's.
const TLS_TYPES: ReadonlySet<string> = new Set([
  'esmtps', 'esmtpsa', 'smtps', 'smtpsa', 'lmtps', 'lmtpsa', 'https',
]);

// Phrases in a comment that say the session was not encrypted.
const NEGATIVE = new RegExp(
  [
    '\\b(?:not using|without|no)\\s+(?:tls|ssl|starttls|encryption)\\b',
    '\\b(?:unencrypted|not encrypted|plain-?text|clear-?text)\\b',
  ].join('|'),
  'i',
);

// A protocol version token: TLSv1.2, TLS1_3, TLS1.2, TLS-1.0, TLSv1, SSLv3, TLSv1/SSLv3.
const VERSION_TOKEN = /^(?:TLS|SSL)v?[-_]?\d(?:[._]?\d)?(?:\/(?:TLS|SSL)v?\d(?:[._]?\d)?)?$/i;

// A cipher-suite token, OpenSSL (`ECDHE-RSA-AES128-GCM-SHA256`, `AES256-SHA`), IANA
// (`TLS_AES_256_GCM_SHA384`), GnuTLS (`ECDHE_RSA_AES_128_GCM_SHA256`) or OpenSSL 3 (`TLS13_…`):
// it must name a bulk cipher and a digest or AEAD mode, and holds no dot or `@`.
const CIPHER_BULK = /(?:AES|DES|RC4|CHACHA20|CAMELLIA|ARIA|SEED|IDEA|3DES)/i;
const CIPHER_MAC = /(?:SHA\d*|MD5|GCM|CCM|POLY1305)$/i;
const CIPHER_SHAPE = /^[A-Z0-9]+(?:[-_][A-Z0-9]+)+$/i;

/** Reads every TLS marker in a field's clauses; `state` is `none` when none says anything. */
export function readTlsMarkers(clauses: readonly Clause[]): TlsMarkers {
  const findings: Finding[] = [];
  for (const clause of clauses) {
    if (clause.keyword === 'with') findings.push(...withClauseFindings(clause));
    if (clause.keyword === 'by') findings.push(...byClauseFindings(clause));
    for (const comment of clause.comments) findings.push(...commentFindings(comment));
  }
  return mergeFindings(findings);
}

function withClauseFindings(clause: Clause): Finding[] {
  const found: Finding[] = [];
  const words = clause.words;
  words.forEach((word, index) => {
    const parts = word.split('/');
    if (TLS_TYPES.has(transmissionCore(parts[0] ?? ''))) found.push({ tls: true, marker: word });
    // Cisco: `ESMTP/TLS/ECDHE-RSA-AES128-GCM-SHA256`.
    if (parts.length >= 2 && (parts[1] ?? '').toUpperCase() === 'TLS') {
      found.push({ tls: true, marker: word, cipher: cleanCipher(parts[2]) });
    }
    const lower = word.toLowerCase();
    // Mimecast: `with ESMTP with STARTTLS (…)`, `with both STARTTLS and AUTH (…)`.
    if (lower === 'starttls') found.push({ tls: true, marker: `with ${words.join(' ')}` });
    // Exim 4.92+: `with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384`.
    const next = words[index + 1];
    if (lower === 'tls' && next !== undefined && isCipherToken(next)) {
      found.push({ tls: true, marker: `tls ${next}`, cipher: next });
    }
    // qmail TLS patch, MessageLabs, WP-SMTPD: `with ECDHE-RSA-AES256-SHA encrypted SMTP`.
    if (lower === 'encrypted' && index > 0 && isCipherToken(words[index - 1] ?? '')) {
      const cipher = words[index - 1] as string;
      found.push({ tls: true, marker: `${cipher} encrypted`, cipher });
    }
  });
  return found;
}

/** The core of a transmission type: case folded, Exim's `local-` and `utf8` prefixes removed. */
export function transmissionCore(word: string): string {
  return word.toLowerCase().replace(/^local-/, '').replace(/^utf8/, '');
}

function byClauseFindings(clause: Clause): Finding[] {
  // IIS SMTPSVC 7.5+: `by host over TLS secured channel with Microsoft SMTPSVC(…)`.
  const phrase = clause.words.slice(1).join(' ').toLowerCase();
  if (phrase.includes('over tls secured channel')) {
    return [{ tls: true, marker: 'over TLS secured channel', protocol: VERSION_NOT_STATED }];
  }
  return [];
}

/** Real TLS comments are under 500 characters; the shape rules look no further than this. */
const MAX_RULE_TEXT = 2000;

function commentFindings(fullComment: string): Finding[] {
  // The token scan below reads the whole comment; the regex rules read a bounded prefix, so a
  // hostile comment cannot make them scan the same text once per possible start.
  const comment =
    fullComment.length > MAX_RULE_TEXT ? fullComment.slice(0, MAX_RULE_TEXT) : fullComment;
  if (NEGATIVE.test(comment)) return [{ tls: false, marker: comment }];
  const found: Finding[] = [];
  const using = usingFinding(comment);
  if (using) found.push(using);
  const keyValue = keyValueFinding(comment);
  if (keyValue) found.push(keyValue);
  const courier = /\bTLS:\s*([^,]+),\s*(\d+)\s*bits\s*,\s*([^\s,)]+)/i.exec(comment);
  if (courier) {
    found.push({
      tls: true,
      marker: comment,
      protocol: normaliseVersion(courier[1] as string),
      bits: Number(courier[2]),
      cipher: cleanCipher(courier[3]),
    });
  }
  const lower = comment.toLowerCase();
  if (lower === 'tls' || lower === 'using tls' || lower.includes('google transport security')) {
    found.push({ tls: true, marker: comment, protocol: VERSION_NOT_STATED });
  }
  const encrypted = /^(\S+)\s+encrypted$/i.exec(comment);
  if (encrypted && isCipherToken(encrypted[1] as string)) {
    found.push({ tls: true, marker: comment, cipher: encrypted[1] as string });
  }
  found.push(...tokenFindings(fullComment));
  const certificate = certificateFinding(comment);
  if (certificate) found.push(certificate);
  return found;
}

/** Postfix and its kin: `using TLSv1.3 with cipher X (256/256 bits) key-exchange X25519 …`. */
function usingFinding(comment: string): Finding | null {
  const match = /\busing\s+((?:TLS|SSL)\S*)(?:\s+with\s+cipher\s+(\S+))?/i.exec(comment);
  if (!match) return null;
  const rest = comment.slice(match.index + match[0].length);
  const bits = /(\d+)(?:\/\d+)?\s*bits/i.exec(rest);
  const kx = /\bkey-exchange\s+(\S+)/i.exec(rest);
  return {
    tls: true,
    marker: comment,
    protocol: normaliseVersion(match[1] as string),
    cipher: cleanCipher(match[2]),
    bits: bits ? Number(bits[1]) : null,
    keyExchange: kx ? (kx[1] as string).replace(/[),]+$/, '') : null,
  };
}

/** sendmail, Gmail, Exchange, Mimecast, Barracuda: `version=… cipher=… bits=… verify=…`. */
function keyValueFinding(comment: string): Finding | null {
  const pairs = new Map<string, string>();
  for (const match of comment.matchAll(/\b(version|cipher|bits|verify)=([^\s,;)]+)/gi)) {
    const key = (match[1] as string).toLowerCase();
    if (!pairs.has(key)) pairs.set(key, match[2] as string);
  }
  // `(authenticated bits=0)` is sendmail's SASL note, not TLS: a version or cipher must be named.
  if (!pairs.has('version') && !pairs.has('cipher')) return null;
  const bits = pairs.get('bits');
  return {
    tls: true,
    marker: comment,
    protocol: pairs.has('version') ? normaliseVersion(pairs.get('version') as string) : null,
    cipher: cleanCipher(pairs.get('cipher')),
    bits: bits !== undefined && /^\d+/.test(bits) ? parseInt(bits, 10) : null,
    verify: pairs.get('verify') ?? null,
  };
}

/** Any token of a comment that is a TLS version, a colon tuple or a cipher suite. */
function tokenFindings(comment: string): Finding[] {
  const found: Finding[] = [];
  for (const token of comment.split(/[\s,()=]+/)) {
    if (token.length === 0 || token.length > 200) continue;
    const parts = token.split(':');
    // Exim < 4.92 and OpenSMTPD: `TLSv1.2:ECDHE-RSA-AES128-GCM-SHA256:128[:NO]`.
    if (parts.length >= 2 && VERSION_TOKEN.test(parts[0] as string)) {
      const bits = parts[2] !== undefined && /^\d+$/.test(parts[2]) ? Number(parts[2]) : null;
      found.push({
        tls: true,
        marker: token,
        protocol: normaliseVersion(parts[0] as string),
        cipher: cleanCipher(parts[1]),
        bits,
        verify: parts[3] ?? null,
      });
    } else if (VERSION_TOKEN.test(token)) {
      found.push({ tls: true, marker: token, protocol: normaliseVersion(token) });
    } else if (isCipherToken(token)) {
      found.push({ tls: true, marker: token, cipher: token });
    }
  }
  return found;
}

/** Postfix's client-certificate comments; they only add detail to a TLS finding. */
function certificateFinding(comment: string): Finding | null {
  const verified = /\(verified (\w+)\)|\bverified (\w+)\b/i.exec(comment);
  if (verified && /\b(?:Client CN|Issuer)\b/i.test(comment)) {
    return { tls: true, marker: comment, verify: `verified ${verified[1] ?? verified[2]}` };
  }
  if (/^(?:No client certificate requested|Client did not present a certificate)$/i.test(comment)) {
    return { tls: true, marker: comment, verify: comment };
  }
  return null;
}

/** Whether a word is a cipher-suite name (and not a host name or a queue id). */
export function isCipherToken(word: string): boolean {
  if (word.length < 6 || word.length > 80 || /[.@]/.test(word)) return false;
  if (!CIPHER_SHAPE.test(word)) return false;
  const upper = word.toUpperCase();
  return CIPHER_BULK.test(upper) && CIPHER_MAC.test(upper.replace(/_P\d{3}$/, ''));
}

/**
 * Normalises a version token: `TLS1_2`, `TLSv1.2`, `TLS1.2`, `TLS-1.2` → "TLS 1.2"; `TLSv1`
 * → "TLS 1.0"; `SSLv3` → "SSL 3.0"; `TLSv1/SSLv3` (OpenSSL's name for a cipher's protocol
 * family, not the session's version) and a bare `TLS` → "SSL/TLS (version not stated)".
 */
export function normaliseVersion(raw: string): string | null {
  const text = raw.trim().replace(/[),;]+$/, '');
  if (text.includes('/')) return VERSION_NOT_STATED;
  // `TLS13` without a separator reads as 1.3.
  const match = /^(TLS|SSL)v?[-_ ]?(\d)(?:[._]?(\d))?$/i.exec(text);
  if (!match) return /^(?:TLS|SSL)$/i.test(text) ? VERSION_NOT_STATED : null;
  const family = (match[1] as string).toUpperCase();
  const major = match[2] as string;
  const minor = match[3] ?? '0';
  return `${family} ${major}.${minor}`;
}

function cleanCipher(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  const text = raw.replace(/[),;]+$/, '');
  // Gmail writes `cipher=OTHER` for suites it does not name.
  if (text.length === 0 || /^other$/i.test(text)) return null;
  return text;
}

function mergeFindings(findings: Finding[]): TlsMarkers {
  const markers = [...new Set(findings.map((f) => f.marker))];
  const negative = findings.some((f) => !f.tls);
  const positive = findings.filter((f) => f.tls);
  // An explicit "not using TLS" outweighs anything that looked like TLS elsewhere.
  const state: EvidenceState = negative ? 'stated-absent' : positive.length > 0 ? 'stated' : 'none';
  const pick = <K extends keyof Finding>(key: K): NonNullable<Finding[K]> | null => {
    if (state !== 'stated') return null;
    for (const f of positive) {
      const value = f[key];
      if (value !== undefined && value !== null) return value as NonNullable<Finding[K]>;
    }
    return null;
  };
  // A specific version beats "not stated" when another marker names one.
  const versions = positive.map((f) => f.protocol).filter((p): p is string => !!p);
  const specific = versions.find((p) => p !== VERSION_NOT_STATED);
  const protocol = state === 'stated' ? (specific ?? versions[0] ?? null) : null;
  return {
    state,
    protocol,
    cipher: pick('cipher'),
    bits: pick('bits'),
    keyExchange: pick('keyExchange'),
    verify: pick('verify'),
    markers,
  };
}
