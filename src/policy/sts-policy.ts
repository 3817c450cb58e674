/**
 * MTA-STS text formats (RFC 8461): the `_mta-sts` TXT record (3.1), the policy file (3.2) and
 * the matching of MX host names against the policy's `mx` patterns (4.1). Pure functions, so
 * that every edge case published in the field is a unit test.
 */
import { isIP } from 'node:net';
import { sanitize } from '../errors.js';
import type { PolicyWarning, StsMode, StsPolicy, StsRecord } from './types.js';
import { parseTagList } from './tag-list.js';

/** RFC 8461 3.2 caps `max_age` at about one year. */
export const MAX_AGE_LIMIT = 31_557_600;

const EXT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;
const EXT_VALUE = /^[\x21-\x3a\x3c\x3e-\x7e]+$/;
const STS_ID = /^[A-Za-z0-9]{1,32}$/;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Whether a TXT value is an MTA-STS record at all; others at `_mta-sts` are ignored. */
export function isStsRecord(value: string): boolean {
  return /^v=STSv1(?:[ \t]*;|[ \t]*$)/.test(value);
}

/** Parses a `v=STSv1` record, or returns why it is not valid. */
export function parseStsRecord(raw: string): { record: StsRecord } | { problem: string } {
  const parsed = parseTagList(raw, EXT_NAME);
  if ('problem' in parsed) return parsed;
  const [version, ...rest] = parsed.fields;
  if (!version || version.name !== 'v' || version.value !== 'STSv1') {
    return { problem: 'the record does not start with v=STSv1' };
  }
  let id: string | undefined;
  const extensions: Record<string, string> = {};
  for (const field of rest) {
    if (field.name === 'id') {
      if (!STS_ID.test(field.value)) {
        return { problem: `id "${sanitize(field.value, 80)}" is not 1 to 32 letters or digits` };
      }
      id ??= field.value;
    } else if (!EXT_VALUE.test(field.value)) {
      return { problem: `field "${field.name}" has a value with forbidden characters` };
    } else if (!Object.hasOwn(extensions, field.name)) {
      extensions[field.name] = field.value;
    }
  }
  if (id === undefined) return { problem: 'the record has no id field' };
  return { record: { raw, id, extensions } };
}

/** A policy file and what was wrong with it. `policy` is absent when it is unusable. */
export interface ParsedPolicy {
  policy?: StsPolicy;
  /** Why the policy is unusable, when `policy` is absent. */
  problem?: string;
  warnings: PolicyWarning[];
}

/**
 * Parses a policy file. Lines may end in CRLF or LF (RFC 8461 3.2 asks for CRLF, and many
 * servers send LF); white space around values is trimmed; a key that appears twice keeps
 * its first value, except `mx`, which may repeat. Unknown keys are kept as extensions.
 */
export function parseStsPolicy(body: string): ParsedPolicy {
  const warnings: PolicyWarning[] = [];
  const seen = new Map<string, string>();
  const patterns: string[] = [];
  const extensions: Array<{ key: string; value: string }> = [];

  for (const rawLine of body.split(/\r?\n/)) {
    const line = rawLine.replace(/[ \t]+$/, '');
    if (line === '') continue;
    const colon = line.indexOf(':');
    const key = colon > 0 ? line.slice(0, colon) : '';
    if (!EXT_NAME.test(key)) {
      return { problem: `line "${sanitize(line, 80)}" is not key: value`, warnings };
    }
    const value = line.slice(colon + 1).replace(/^[ \t]+/, '');
    if (key === 'mx') {
      const pattern = checkMxPattern(value, warnings);
      if (pattern !== undefined) patterns.push(pattern);
      continue;
    }
    if (seen.has(key)) {
      warnings.push({ code: 'duplicate-key', message: 'A key appears twice; the first is used',
        value: key });
      continue;
    }
    seen.set(key, value);
    if (!['version', 'mode', 'max_age'].includes(key)) extensions.push({ key, value });
  }

  const version = seen.get('version');
  if (version !== 'STSv1') {
    return { problem: version === undefined ? 'the policy has no version'
      : `version "${sanitize(version, 40)}" is not STSv1`, warnings };
  }
  const mode = seen.get('mode');
  if (mode !== 'enforce' && mode !== 'testing' && mode !== 'none') {
    return { problem: mode === undefined ? 'the policy has no mode'
      : `mode "${sanitize(mode, 40)}" is not enforce, testing or none`, warnings };
  }
  const maxAgeText = seen.get('max_age');
  if (maxAgeText === undefined || !/^[0-9]{1,10}$/.test(maxAgeText)) {
    return { problem: maxAgeText === undefined ? 'the policy has no max_age'
      : `max_age "${sanitize(maxAgeText, 40)}" is not a number of seconds`, warnings };
  }
  const maxAge = Number(maxAgeText);
  if (maxAge > MAX_AGE_LIMIT) {
    warnings.push({ code: 'max-age-too-long', message: 'max_age exceeds 31557600 seconds',
      value: maxAgeText });
  }
  if (mode !== 'none' && patterns.length === 0) {
    return { problem: `a policy in ${mode} mode has no valid mx pattern`, warnings };
  }
  const policy: StsPolicy = { version, mode: mode as StsMode, maxAge, mx: patterns, extensions };
  return { policy, warnings };
}

/** Returns the normalised pattern, or undefined after adding a warning. */
function checkMxPattern(value: string, warnings: PolicyWarning[]): string | undefined {
  const pattern = value.toLowerCase().replace(/\.$/, '');
  const bare = pattern.replace(/^\[|\]$/g, '');
  if (isIP(bare) !== 0) {
    warnings.push({ code: 'mx-pattern-ip', message: 'IP address is not a valid mx pattern',
      value: sanitize(value, 80) });
    return undefined;
  }
  const domain = pattern.startsWith('*.') ? pattern.slice(2) : pattern;
  const labels = domain.split('.');
  if (domain.length > 253 || labels.length < 2 || !labels.every((l) => LABEL.test(l))) {
    warnings.push({ code: 'mx-pattern-invalid', message: 'mx pattern is not a domain name',
      value: sanitize(value, 80) });
    return undefined;
  }
  return pattern;
}

/**
 * Whether an MX host matches a pattern (RFC 8461 4.1): exact, case-insensitive, or `*.` that
 * stands for exactly one left-most label, so `*.example.com` covers `mx.example.com` but
 * neither `example.com` nor `a.b.example.com`.
 */
export function matchesMxPattern(pattern: string, host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  const wanted = pattern.toLowerCase().replace(/\.$/, '');
  if (!wanted.startsWith('*.')) return name === wanted;
  const dot = name.indexOf('.');
  return dot > 0 && name.slice(dot + 1) === wanted.slice(2);
}

/** The MX hosts that no pattern of the policy covers, in the order given. */
export function uncoveredHosts(policy: StsPolicy, hosts: readonly string[]): string[] {
  return hosts.filter((host) => !policy.mx.some((pattern) => matchesMxPattern(pattern, host)));
}
