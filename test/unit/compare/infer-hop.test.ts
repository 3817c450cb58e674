/**
 * The inference rules on their own: header facts and receiver evidence in, conclusion out.
 * Each row is one rule of the issue; the reason must name the evidence it rests on.
 */
import { describe, expect, it } from 'vitest';
import { inferHop } from '../../../src/compare/infer-hop.js';
import type {
  Conclusion,
  HopFacts,
  ReceiverEvidence,
  ReceiverState,
} from '../../../src/compare/types.js';

function facts(overrides: Partial<HopFacts> = {}): HopFacts {
  return { verdict: 'not-encrypted', recordsTls: 'always', recorderName: 'Postfix',
    role: 'relay', ...overrides };
}

function receiver(state: ReceiverState, certificate: ReceiverEvidence['certificate'] = null):
ReceiverEvidence {
  return { state, name: 'mx.receiver.test', foundBy: 'by-clause', addresses: ['127.0.50.9'],
    certificate, protocol: state === 'offers-tls' ? 'TLSv1.3' : null,
    checkedAt: '2026-01-01T00:00:00.000Z', source: 'live', detail: 'probe detail', tried: [] };
}

interface Row {
  name: string;
  facts: HopFacts;
  receiver: ReceiverEvidence | null;
  conclusion: Conclusion;
  reason: RegExp;
}

const rows: Row[] = [
  { name: 'TLS in the header is encrypted, whatever a probe says',
    facts: facts({ verdict: 'encrypted' }), receiver: receiver('no-starttls'),
    conclusion: 'encrypted', reason: /records TLS/ },
  { name: 'a recording receiver that offers STARTTLS means the sender did not use it',
    facts: facts(), receiver: receiver('offers-tls'),
    conclusion: 'sender-did-not-use-tls', reason: /mx\.receiver\.test offers STARTTLS.*Postfix/ },
  { name: 'an untrusted certificate still counts as TLS offered',
    facts: facts(), receiver: receiver('offers-tls', 'untrusted'),
    conclusion: 'sender-did-not-use-tls', reason: /offers STARTTLS/ },
  { name: 'a receiver without STARTTLS lacked TLS',
    facts: facts(), receiver: receiver('no-starttls'),
    conclusion: 'receiver-lacked-tls', reason: /does not offer STARTTLS/ },
  { name: 'a failing handshake is a receiver that lacked TLS',
    facts: facts(), receiver: receiver('handshake-failed'),
    conclusion: 'receiver-lacked-tls', reason: /TLS with it fails/ },
  { name: 'an unknown dialect that may not record TLS cannot tell, even with STARTTLS',
    facts: facts({ verdict: 'not-recorded', recordsTls: 'unknown', recorderName: 'unrecognised' }),
    receiver: receiver('offers-tls'), conclusion: 'cannot-tell', reason: /may not record TLS/ },
  { name: 'a dialect that never records TLS cannot tell',
    facts: facts({ verdict: 'not-recorded', recordsTls: 'never', recorderName: 'SMTPSVC' }),
    receiver: receiver('offers-tls'), conclusion: 'cannot-tell', reason: /never records TLS/ },
  { name: 'a dialect that records TLS only with an option cannot tell',
    facts: facts({ verdict: 'not-recorded', recordsTls: 'with-option', recorderName: 'qmail' }),
    receiver: receiver('offers-tls'), conclusion: 'cannot-tell', reason: /only when configured/ },
  { name: 'a temporary probe failure cannot tell',
    facts: facts(), receiver: receiver('temporary'),
    conclusion: 'cannot-tell', reason: /failed for now/ },
  { name: 'an unreachable receiver cannot tell',
    facts: facts(), receiver: receiver('unreachable'),
    conclusion: 'cannot-tell', reason: /could not be reached/ },
  { name: 'names that do not resolve cannot tell',
    facts: facts(), receiver: receiver('unresolved'),
    conclusion: 'cannot-tell', reason: /do not resolve/ },
  { name: 'addresses that disagree cannot tell',
    facts: facts(), receiver: receiver('mixed'),
    conclusion: 'cannot-tell', reason: /do not agree/ },
  { name: 'no probe at all cannot tell',
    facts: facts(), receiver: null,
    conclusion: 'cannot-tell', reason: /no probe of the receiver/ },
];

describe('inferHop', () => {
  it.each(rows)('$name', (row) => {
    const inference = inferHop(row.facts, row.receiver);
    expect(inference.conclusion).toBe(row.conclusion);
    expect(inference.reason).toMatch(row.reason);
  });

  it('notes the partner outbound configuration when the partner MX offers TLS', () => {
    const inference = inferHop(facts({ role: 'partner-outbound' }), receiver('offers-tls'),
      { ...receiver('offers-tls'), name: 'partner.test', foundBy: 'partner-mx' });
    expect(inference.conclusion).toBe('sender-did-not-use-tls');
    expect(inference.note?.kind).toBe('partner-outbound-configuration');
    expect(inference.note?.text).toMatch(/outbound configuration.*not a lack of TLS support/);
  });

  it('notes that the partner may lack TLS when its MX offers no STARTTLS', () => {
    const inference = inferHop(facts({ role: 'partner-outbound' }), receiver('offers-tls'),
      receiver('no-starttls'));
    expect(inference.note?.kind).toBe('partner-lacks-tls');
  });

  it('adds no partner note to hops that are not the partner outbound hop', () => {
    const partner = receiver('offers-tls');
    expect(inferHop(facts({ role: 'relay' }), receiver('offers-tls'), partner).note).toBeNull();
    // The note is about the sender's choice; a receiver without TLS leaves nothing to note.
    expect(inferHop(facts({ role: 'partner-outbound' }), receiver('no-starttls'), partner).note)
      .toBeNull();
  });

  it('treats a field that states no TLS as the sender not using it, whatever the dialect', () => {
    const stated = facts({ recordsTls: 'unknown', recorderName: 'unrecognised' });
    const inference = inferHop(stated, receiver('offers-tls'));
    expect(inference.conclusion).toBe('sender-did-not-use-tls');
    expect(inference.reason).toMatch(/states that no TLS was used/);
  });
});
