/**
 * Invariants that hold for any input: every corpus header, cut and shuffled at random (with a
 * fixed seed, a bounded number of times), still parses without throwing, and its verdicts agree
 * with its evidence.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../../src/trace/index.js';
import type { Trace } from '../../../src/trace/types.js';

const dir = join(import.meta.dirname, '../../fixtures/received');
const texts = readdirSync(dir)
  .filter((f) => f.endsWith('.eml'))
  .map((f) => readFileSync(join(dir, f), 'utf8'));

/** A small deterministic generator, so that a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const VERDICTS = ['encrypted', 'not-encrypted', 'not-recorded', 'internal', 'not-applicable'];

function checkInvariants(trace: Trace): void {
  expect(trace.schema).toBe('mxtls.trace/1');
  trace.hops.forEach((hop, i) => {
    expect(hop.index).toBe(i + 1);
    expect(VERDICTS).toContain(hop.verdict);
    if (hop.verdict === 'encrypted') expect(hop.evidence.state).toBe('stated');
    if (hop.verdict === 'not-encrypted') expect(hop.evidence.state).toBe('stated-absent');
    if (hop.verdict === 'internal' || hop.verdict === 'not-applicable') {
      expect(hop.internal).toBe(true);
    }
    if (hop.evidence.state !== 'stated') {
      expect(hop.evidence.protocol).toBeNull();
      expect(hop.evidence.cipher).toBeNull();
    }
    if (hop.date !== null) expect(Number.isNaN(Date.parse(hop.date))).toBe(false);
  });
  const handoffHops = trace.handoffs.map((h) => h.hop);
  for (const index of trace.summary.unencryptedHandoffs) {
    expect(handoffHops).toContain(index);
    expect(trace.hops[index - 1]?.verdict).toBe('not-encrypted');
  }
  expect(JSON.parse(JSON.stringify(trace))).toEqual(trace);
}

describe('trace invariants', () => {
  it('hold for every corpus header as written', () => {
    expect(texts.length).toBeGreaterThan(30);
    for (const text of texts) checkInvariants(parseMessage(text));
  });

  it('hold for 400 random cuts, splices and byte flips of corpus headers', () => {
    const next = random(20260309);
    const pick = (n: number): number => Math.floor(next() * n);
    for (let round = 0; round < 400; round += 1) {
      const a = texts[pick(texts.length)] as string;
      const b = texts[pick(texts.length)] as string;
      let text = a.slice(0, pick(a.length + 1)) + b.slice(pick(b.length + 1));
      const chars = [...text];
      for (let flips = pick(6); flips > 0 && chars.length > 0; flips -= 1) {
        chars[pick(chars.length)] = '();[]<>"\\\n\t \u0000:'.charAt(pick(16));
      }
      text = chars.join('');
      const trace = parseMessage(text);
      const fields = text.split('\n').filter((l) => /^received:/i.test(l)).length;
      // Each Received line is one hop, unless it sits after the first empty line (the body).
      expect(trace.hops.length).toBeLessThanOrEqual(fields);
      checkInvariants(trace);
    }
  });
});
