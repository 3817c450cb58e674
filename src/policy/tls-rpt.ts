/**
 * SMTP TLS Reporting (RFC 8460): the `_smtp._tls.<domain>` TXT record that says where senders
 * send reports of failed TLS sessions. Only presence, syntax and the `rua` destinations are
 * checked; nothing is sent.
 */
import { errorInfo, sanitize } from '../errors.js';
import type { Resolver } from '../dns/types.js';
import { joinTxtStrings, parseTagList } from './tag-list.js';
import type { RuaDestination, TlsRptResult } from './types.js';

const EXT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;
const EXT_VALUE = /^[\x21-\x3a\x3c\x3e-\x7e]+$/;
const LABEL = '[a-z0-9](?:[a-z0-9-]*[a-z0-9])?';
/** local@domain with a dotted domain; deliberately loose on the local part. */
const MAILBOX = new RegExp(`^[^\\s@<>()[\\],;:"]+@${LABEL}(?:\\.${LABEL})+$`, 'i');

/** Undoes %-escapes; a malformed escape leaves text that will not pass MAILBOX. */
function decodeMailto(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return '';
  }
}

/** Whether a TXT value is a TLS-RPT record at all; others at the name are ignored. */
export function isTlsRptRecord(value: string): boolean {
  return /^v=TLSRPTv1(?:[ \t]*;|[ \t]*$)/.test(value);
}

/** Parses one `v=TLSRPTv1` record into a result (verdict `present` or `invalid`). */
export function parseTlsRptRecord(raw: string): TlsRptResult {
  const invalid = (problem: string): TlsRptResult => ({
    verdict: 'invalid', severity: 'warning', raw, rua: [], extensions: {}, warnings: [],
    detail: `The TLS-RPT record is not valid: ${problem}`,
  });
  const parsed = parseTagList(raw, EXT_NAME);
  if ('problem' in parsed) return invalid(parsed.problem);
  const [version, ...rest] = parsed.fields;
  if (!version || version.name !== 'v' || version.value !== 'TLSRPTv1') {
    return invalid('the record does not start with v=TLSRPTv1');
  }
  let ruaText: string | undefined;
  const extensions: Record<string, string> = {};
  for (const field of rest) {
    if (field.name === 'rua') {
      if (ruaText !== undefined) return invalid('rua appears twice');
      ruaText = field.value;
    } else if (!EXT_VALUE.test(field.value)) {
      return invalid(`field "${field.name}" has a value with forbidden characters`);
    } else {
      extensions[field.name] ??= field.value;
    }
  }
  if (ruaText === undefined) return invalid('the record has no rua field');

  const rua = ruaText.split(/[ \t]*,[ \t]*/).map(checkDestination);
  const usable = rua.filter((d) => d.valid).length;
  const result: TlsRptResult = {
    verdict: 'present', severity: usable > 0 ? 'ok' : 'warning', raw, rua, extensions,
    warnings: [],
    detail: usable > 0 ? `Reports go to ${rua.filter((d) => d.valid).map((d) => d.uri).join(', ')}`
      : 'The TLS-RPT record names no usable report destination',
  };
  for (const destination of rua) {
    if (!destination.valid) {
      result.warnings.push({ code: 'rua-invalid', message: destination.problem ?? 'invalid',
        value: destination.uri });
    }
  }
  return result;
}

/** Checks one `rua` URI: RFC 8460 3 defines `mailto:` and `https:` destinations. */
export function checkDestination(text: string): RuaDestination {
  const uri = sanitize(text, 300);
  const colon = text.indexOf(':');
  const scheme = colon > 0 ? text.slice(0, colon).toLowerCase() : '';
  if (scheme === 'mailto') {
    // Query parameters (?subject=...) are allowed by RFC 6068 but name no other recipient.
    const valid = MAILBOX.test(decodeMailto(text.slice(colon + 1).split('?')[0] ?? ''));
    return valid ? { uri, scheme, valid }
      : { uri, scheme, valid: false, problem: 'mailto destination is not an e-mail address' };
  }
  if (scheme === 'https') {
    let url: URL | undefined;
    try {
      url = new URL(text);
    } catch {
      url = undefined;
    }
    return url && url.hostname !== '' ? { uri, scheme, valid: true }
      : { uri, scheme, valid: false, problem: 'https destination is not a valid URL' };
  }
  return { uri, scheme: 'other', valid: false,
    problem: 'Only mailto: and https: destinations are defined' };
}

/** Looks up and checks `_smtp._tls.<domain>`. Never throws: a failed lookup is `error`. */
export async function checkTlsRpt(domain: string, resolver: Resolver): Promise<TlsRptResult> {
  const empty = { rua: [], extensions: {}, warnings: [] };
  let values: string[];
  try {
    const answer = await resolver.query(`_smtp._tls.${domain}`, 'TXT');
    values = answer.records.flatMap((r) => (r.type === 'TXT' ? [joinTxtStrings(r.strings)] : []));
  } catch (error) {
    const info = errorInfo(error);
    return { ...empty, verdict: 'error', severity: 'warning', error: info,
      detail: `The _smtp._tls TXT lookup got no answer: ${info.message}` };
  }
  const records = values.filter(isTlsRptRecord);
  const [only, ...more] = records;
  if (only === undefined) {
    return { ...empty, verdict: 'absent', severity: 'info',
      detail: 'No v=TLSRPTv1 record at _smtp._tls; senders send no TLS reports' };
  }
  if (more.length > 0) {
    return { ...empty, verdict: 'invalid', severity: 'warning',
      detail: `${records.length} v=TLSRPTv1 records are published; senders use none` };
  }
  return parseTlsRptRecord(only);
}
