/**
 * The text form of a trace for a person: one line per hop, oldest first, then the summary.
 * Everything taken from a header is sanitised before it is printed.
 */
import { sanitize } from '../errors.js';
import { formatSeconds, senderName } from '../trace/analyze-trace.js';
import type { Hop, Trace } from '../trace/types.js';

const VERDICT_LABELS: Readonly<Record<Hop['verdict'], string>> = {
  encrypted: 'encrypted',
  'not-encrypted': 'NOT ENCRYPTED',
  'not-recorded': 'not recorded',
  internal: 'internal',
  'not-applicable': 'not applicable',
};

/** Returns the lines of the readable path: hop, from → by, verdict with TLS detail, delay. */
export function formatTrace(trace: Trace): string[] {
  const lines: string[] = [];
  for (const hop of trace.hops) {
    const from = hop.from === null ? '(local)' : (senderName(hop) ?? '?');
    const by = hop.by?.host ?? hop.by?.ip ?? '?';
    const seconds = hop.delaySeconds;
    const delay = seconds === null ? '' : `  ${seconds >= 0 ? '+' : ''}${formatSeconds(seconds)}`;
    const number = String(hop.index).padStart(2);
    lines.push(sanitize(`${number}  ${from} → ${by}  ${describeVerdict(hop)}${delay}`));
    const why = hop.internal ? hop.internalReason : null;
    if (why) lines.push(sanitize(`      ${why}`));
    for (const note of hop.notes) lines.push(sanitize(`      ${note}`, 300));
  }
  lines.push('');
  lines.push(sanitize(trace.summary.text));
  return lines;
}

/** "encrypted (TLS 1.3, TLS_AES_256_GCM_SHA384, 256 bits)", "internal (TLS …)" and so on. */
export function describeVerdict(hop: Hop): string {
  const label = VERDICT_LABELS[hop.verdict];
  const e = hop.evidence;
  if (e.state !== 'stated') {
    if (hop.verdict === 'not-recorded') return `${label} (${hop.recorder.name})`;
    if (hop.verdict === 'not-encrypted') return `${label} (${hop.recorder.name} records TLS)`;
    return label;
  }
  const detail = [e.protocol ?? 'TLS', e.cipher, e.bits === null ? null : `${e.bits} bits`]
    .filter((part): part is string => part !== null)
    .join(', ');
  return `${label} (${detail})`;
}
