import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../../src/trace/index.js';
import { senderName } from '../../../src/trace/analyze-trace.js';

/** One hop as an expected file states it. */
interface ExpectedHop {
  from: string | null;
  by: string | null;
  verdict: string;
  protocol: string | null;
  cipher: string | null;
  bits: number | null;
  internal: boolean;
}

interface Expected {
  description: string;
  options?: { internalNetworks?: string[] };
  hops: ExpectedHop[];
  unencryptedHandoffs: number[];
}

const dir = join(import.meta.dirname, '../../fixtures/received');
const fixtures = readdirSync(dir).filter((f) => f.endsWith('.eml') || f.endsWith('.txt'));

describe('the Received-header corpus', () => {
  it('holds a fixture with an expected file for each header set', () => {
    expect(fixtures.length).toBeGreaterThan(0);
    for (const name of fixtures) {
      expect(readdirSync(dir)).toContain(name.replace(/\.(eml|txt)$/, '.expected.json'));
    }
  });

  for (const name of fixtures) {
    const expected = JSON.parse(
      readFileSync(join(dir, name.replace(/\.(eml|txt)$/, '.expected.json')), 'utf8'),
    ) as Expected;

    it(`reads ${name}: ${expected.description}`, () => {
      const trace = parseMessage(readFileSync(join(dir, name)), expected.options ?? {});
      const actual = trace.hops.map((hop) => ({
        from: senderName(hop),
        by: hop.by?.host ?? null,
        verdict: hop.verdict,
        protocol: hop.evidence.protocol,
        cipher: hop.evidence.cipher,
        bits: hop.evidence.bits,
        internal: hop.internal,
      }));
      expect(actual).toEqual(expected.hops);
      expect(trace.summary.unencryptedHandoffs).toEqual(expected.unencryptedHandoffs);
    });
  }
});
