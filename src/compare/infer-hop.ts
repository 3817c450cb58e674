/**
 * The inference rules of `mxtls compare`: from what a hop's Received field says and what a
 * probe of its receiver shows, which side (if any) did not use TLS. A pure function, so that
 * the rules can be read and tested as a table.
 *
 * The probe is of today and the message of its date: a conclusion drawn from a probe says what
 * the evidence points to, never what is proven to have happened then.
 */
import type { HopFacts, HopInference, HopNote, ReceiverEvidence } from './types.js';

/**
 * Concludes about one hop. `partnerMx` is the probe of the partner domain's own MX set; it
 * only adds a note to the partner's outbound hop.
 */
export function inferHop(
  facts: HopFacts,
  receiver: ReceiverEvidence | null,
  partnerMx: ReceiverEvidence | null = null,
): HopInference {
  if (facts.verdict === 'encrypted') {
    return { conclusion: 'encrypted', reason: 'the Received field records TLS', note: null };
  }
  const state = receiver?.state ?? 'not-probed';
  const name = receiver?.name ?? 'the receiver';
  const silence = describeSilence(facts);

  switch (state) {
    case 'no-starttls':
      return {
        conclusion: 'receiver-lacked-tls',
        reason: `${silence}, and ${name} does not offer STARTTLS`,
        note: null,
      };
    case 'handshake-failed':
      return {
        conclusion: 'receiver-lacked-tls',
        reason: `${silence}, and ${name} offers STARTTLS but TLS with it fails`,
        note: null,
      };
    case 'offers-tls':
      if (facts.verdict === 'not-encrypted') {
        const why = facts.recordsTls === 'always'
          ? `${facts.recorderName} records TLS when it is used, but this field records none`
          : 'the field states that no TLS was used';
        return {
          conclusion: 'sender-did-not-use-tls',
          reason: `${name} offers STARTTLS and ${why}`,
          note: partnerNote(facts, partnerMx),
        };
      }
      return {
        conclusion: 'cannot-tell',
        reason: `${name} offers STARTTLS, but ${dialectDoubt(facts)}`,
        note: null,
      };
    case 'mixed':
      return cannotTell(`${silence}, and the addresses of ${name} do not agree about TLS`);
    case 'temporary':
      return cannotTell(`${silence}, and the probe of ${name} failed for now`);
    case 'unreachable':
      return cannotTell(`${silence}, and ${name} could not be reached`);
    case 'unresolved':
      return cannotTell(`${silence}, and the receiver's names do not resolve`);
    case 'not-probed':
      return cannotTell(`${silence}, and there is no probe of the receiver`);
  }
}

function cannotTell(reason: string): HopInference {
  return { conclusion: 'cannot-tell', reason, note: null };
}

/** What the field's lack of a TLS marker means, given the receiver's dialect. */
function describeSilence(facts: HopFacts): string {
  if (facts.verdict === 'not-encrypted') {
    return facts.recordsTls === 'always'
      ? `the Received field records no TLS and ${facts.recorderName} records TLS when used`
      : 'the Received field states that no TLS was used';
  }
  return `the Received field records no TLS, but ${dialectDoubt(facts)}`;
}

function dialectDoubt(facts: HopFacts): string {
  switch (facts.recordsTls) {
    case 'never':
      return `${facts.recorderName} never records TLS, so its silence proves nothing`;
    case 'with-option':
      return `${facts.recorderName} records TLS only when configured to, so its silence ` +
        'proves nothing';
    case 'unknown':
      return `the receiver's software (${facts.recorderName}) may not record TLS, so its ` +
        'silence proves nothing';
    case 'always':
      // A dialect that records TLS on a hop the trace could not judge (no field evidence).
      return 'the field gives no evidence either way';
  }
}

/** The partner-side remark on the partner's own outbound hop, from its inbound MX probe. */
function partnerNote(facts: HopFacts, partnerMx: ReceiverEvidence | null): HopNote | null {
  if (facts.role !== 'partner-outbound' || partnerMx === null) return null;
  if (partnerMx.state === 'offers-tls') {
    return {
      kind: 'partner-outbound-configuration',
      text:
        "the partner's inbound MX offers TLS, so the partner can do TLS: this looks like its " +
        'outbound configuration (TLS not enabled for sending), not a lack of TLS support',
    };
  }
  if (partnerMx.state === 'no-starttls' || partnerMx.state === 'handshake-failed') {
    return {
      kind: 'partner-lacks-tls',
      text: "the partner's inbound MX does not offer working TLS either: the partner may " +
        'have no TLS at all',
    };
  }
  return null;
}
