/**
 * The two ends of a hop, read from the `from` and `by` clauses: HELO name, reverse-DNS name and
 * address of the sender; host, address and software of the receiver. Servers arrange these
 * differently (`name (rdns [ip])`, `rdns [ip] (EHLO name)`, `name ([ip] helo=x)`,
 * `unknown (HELO x) (ip)`), so each piece is found by what it looks like, not where it sits.
 */
import { parseAddress } from './addresses.js';
import type { Clause, HopReceiver, HopSender } from './types.js';

const HELO_COMMENT = /(?:^|[\s"])(?:EHLO|HELO)[\s=]+"?([^\s"()]+)/i;

/** Reads the sender of a hop from its from clause. */
export function readSender(clause: Clause): HopSender {
  const text = clauseText(clause);
  let helo: string | null = null;
  let rdns: string | null = null;
  let bracketIp: string | null = null;
  let bareIp: string | null = null;

  for (const comment of clause.comments) {
    const heloMatch = HELO_COMMENT.exec(comment);
    if (heloMatch) helo ??= heloMatch[1] as string;
    const tokens = comment.split(/\s+/);
    tokens.forEach((token, index) => {
      const bracketed = token.startsWith('[');
      // qmail writes `(user@example.net@203.0.113.18)`: the address follows the last `@`.
      const candidate = token.includes('@') ? token.slice(token.lastIndexOf('@') + 1) : token;
      const ip = parseAddress(candidate);
      if (ip !== null) {
        if (bracketed) bracketIp ??= ip;
        else bareIp ??= ip;
        const before = tokens[index - 1];
        // Zoho writes the address where the name would be: `(203.0.113.17 [203.0.113.17])`.
        const named = before !== undefined && isHostName(before) && parseAddress(before) === null;
        if (bracketed && index === 1 && named) rdns ??= before;
      }
    });
  }

  const first = clause.words[0];
  let wordIp: string | null = null;
  for (const word of clause.words) {
    if (word.startsWith('[')) wordIp ??= parseAddress(word);
  }
  if (first !== undefined && !first.startsWith('[')) {
    // With an explicit HELO comment, the leading name is the receiver's reverse-DNS lookup.
    if (helo !== null) rdns ??= first;
    else helo = first;
  } else if (first !== undefined && helo === null) {
    helo = first;
  }
  return {
    helo: cleanName(helo),
    rdns: cleanName(rdns),
    ip: bracketIp ?? bareIp ?? wordIp,
    text,
  };
}

/** Reads the receiver of a hop from its by clause. */
export function readReceiver(clause: Clause): HopReceiver {
  const first = clause.words[0] ?? null;
  let ip = first !== null ? parseAddress(first) : null;
  for (const comment of clause.comments) {
    for (const token of comment.split(/\s+/)) {
      ip ??= parseAddress(token);
    }
  }
  // Proofpoint's old form puts its TLS comment in the by clause; that is not the software.
  const named = clause.comments.filter((c) => !/^using\s|\bversion=|\bcipher\b/i.test(c));
  const software = named.length > 0 ? named.join('; ') : null;
  return { host: first === null ? null : cleanName(first) ?? first, ip, software };
}

/** A clause as text again: keyword, words and `(comments)`, in a fixed order. */
export function clauseText(clause: Clause): string {
  const parts = [...clause.words, ...clause.comments.map((c) => `(${c})`)];
  return parts.join(' ');
}

/** A host name as written, without a trailing dot; null for `unknown` and empty names. */
export function cleanName(name: string | null): string | null {
  if (name === null) return null;
  const clean = name.trim().replace(/\.$/, '');
  const lower = clean.toLowerCase();
  if (lower === '' || lower === 'unknown' || lower === '<unknown>') return null;
  return clean;
}

function isHostName(text: string): boolean {
  return /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?$/i.test(text) && !/^\d+$/.test(text);
}
