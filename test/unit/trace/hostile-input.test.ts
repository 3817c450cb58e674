/**
 * Malformed and hostile inputs: the reader finishes, says what it skipped and never throws.
 * The time guards are generous on purpose (a shared 2-core machine); they catch runaway
 * (quadratic or exponential) work, not slowness.
 */
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../../src/trace/index.js';

const GUARD_MS = 10_000;

function timed<T>(work: () => T): { value: T; ms: number } {
  const start = performance.now();
  const value = work();
  return { value, ms: performance.now() - start };
}

const ordinary =
  'Received: from a.example.org (a.example.org [192.0.2.1]) by mx.example.com (Postfix) ' +
  'with ESMTPS id 1; Mon, 9 Mar 2026 17:40:21 +0000\n';

describe('hostile input', () => {
  it('reads 100k unbalanced "(" as one comment and warns', () => {
    const open = '('.repeat(100_000);
    const { value, ms } = timed(() =>
      parseMessage(`Received: from x.example.org ${open}; Mon, 9 Mar 2026 1:00 +0000\n`),
    );
    expect(value.hops).toHaveLength(1);
    expect(value.warnings.join('\n')).toContain('Unbalanced parenthesis');
    expect(ms).toBeLessThan(GUARD_MS);
  });

  it('reads 30k nested balanced comments (within the field bound)', () => {
    const nested = `${'('.repeat(30_000)}x${')'.repeat(30_000)}`;
    const { value, ms } = timed(() =>
      parseMessage(`Received: from a.example.org ${nested} by b.example.com; 1 Jan 2024 00:00 Z\n`),
    );
    expect(value.hops[0]?.by?.host).toBe('b.example.com');
    expect(ms).toBeLessThan(GUARD_MS);
  });

  it('reads TLS-looking comments full of digits and "TLS:" without runaway work', () => {
    const digits = '1'.repeat(30_000);
    const courier = 'TLS: x '.repeat(4_000);
    const { value, ms } = timed(() =>
      parseMessage(
        `Received: from a.example.org ([192.0.2.1]) (using TLSv1.2 ${digits}) (${courier}) ` +
          'by b.example.com with ESMTP; Mon, 9 Mar 2026 10:00:00 +0000\n',
      ),
    );
    expect(value.hops[0]?.evidence.protocol).toBe('TLS 1.2');
    expect(value.hops[0]?.evidence.bits).toBeNull();
    expect(value.warnings.some((w) => w.includes('read the first'))).toBe(false);
    expect(ms).toBeLessThan(GUARD_MS);
  });

  it('cuts a 1 MB single-line Received field and says so', () => {
    const line = `Received: from a.example.org by b.example.com ${'a'.repeat(1_000_000)}\n`;
    const { value, ms } = timed(() => parseMessage(line));
    expect(value.hops).toHaveLength(1);
    expect(value.warnings.some((w) => w.includes('read the first 65536'))).toBe(true);
    expect(ms).toBeLessThan(GUARD_MS);
  });

  it('stops at 1 MiB of headers and counts what it skipped', () => {
    const filler = `X-Filler: ${'b'.repeat(990)}\n`;
    const header = ordinary + filler.repeat(2100);
    const { value, ms } = timed(() => parseMessage(header));
    expect(header.length).toBeGreaterThan(2_000_000);
    expect(value.skipped.headerBytes).toBe(header.length - 1024 * 1024);
    expect(value.hops).toHaveLength(1);
    expect(value.warnings[0]).toContain('beyond the limit of 1048576');
    expect(ms).toBeLessThan(GUARD_MS);
  });

  it('keeps the newest 500 of 600 Received fields and counts the rest', () => {
    const lines: string[] = [];
    for (let i = 0; i < 600; i += 1) {
      lines.push(
        `Received: from h${i + 1}.example.org ([192.0.2.${i % 250}]) by h${i}.example.org ` +
          `(Postfix) with ESMTP id Q${i}; Mon, 9 Mar 2026 17:40:21 +0000`,
      );
    }
    const trace = parseMessage(lines.join('\n'));
    expect(trace.hops).toHaveLength(500);
    expect(trace.skipped.receivedFields).toBe(100);
    // The newest field (top line) is the last hop.
    expect(trace.hops[499]?.id).toBe('Q0');
    expect(trace.warnings.some((w) => w.includes('Skipped 100 Received fields'))).toBe(true);
  });

  it('survives binary junk and NUL bytes', () => {
    const junk = Buffer.alloc(50_000);
    for (let i = 0; i < junk.length; i += 1) junk[i] = (i * 7919) % 256;
    const withNul = Buffer.concat([
      Buffer.from('Received: from a\u0000b.example.org ([192.0.2.1]\u0000) by mx.example.com'),
      Buffer.from(' with ESMTP; Mon, 9 Mar 2026 17:40:21 +0000\n'),
      junk,
    ]);
    const trace = parseMessage(withNul);
    expect(trace.hops.length).toBeGreaterThanOrEqual(1);
    expect(trace.hops[0]?.by?.host).toBe('mx.example.com');
    expect(trace.skipped.malformedLines).toBeGreaterThan(0);
  });

  it('reads a header with only a date, and an empty Received field', () => {
    const trace = parseMessage('Received: Mon, 9 Mar 2026 17:40:21 +0000\nReceived:\n\n');
    expect(trace.hops).toHaveLength(2);
    expect(trace.hops[1]?.date).toBe('2026-03-09T17:40:21.000Z');
    expect(trace.hops[0]?.date).toBeNull();
    expect(trace.hops.every((h) => h.verdict === 'not-applicable')).toBe(true);
  });

  it('reports an unparseable date as a warning', () => {
    const trace = parseMessage(
      'Received: from a.example.org ([192.0.2.1]) by b.example.com; 99 Foo 20x6 99:99\n',
    );
    expect(trace.hops[0]?.date).toBeNull();
    expect(trace.warnings.join('\n')).toContain('Cannot parse the date');
  });

  it('reads unclosed quotes, literals and paths to the end of the field', () => {
    const trace = parseMessage(
      'Received: from a.example.org ("EHLO x) by b.example.com\n' +
        'Received: from c.example.org ([192.0.2.1 by d.example.com\n' +
        'Received: from e.example.org by f.example.com for <u@example.com\n',
    );
    expect(trace.hops).toHaveLength(3);
    expect(trace.hops[0]?.by?.host).toBe('f.example.com');
    expect(trace.hops[0]?.for).toBe('<u@example.com');
  });

  it('returns an empty trace for empty input and for a body without headers', () => {
    expect(parseMessage('').hops).toEqual([]);
    const bodyOnly = parseMessage('\nReceived: from a by b; Mon, 9 Mar 2026 17:40:21 +0000\n');
    expect(bodyOnly.hops).toEqual([]);
    expect(bodyOnly.summary.text).toBe('No Received fields: nothing to trace');
  });
});

describe('parseMessage called with something that is not text', () => {
  it('throws an InputError, not a TypeError', async () => {
    const { InputError } = await import('../../../src/errors.js');
    for (const value of [null, undefined, 42, {}]) {
      expect(() => parseMessage(value as never)).toThrow(InputError);
    }
  });
});
