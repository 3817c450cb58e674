/**
 * `mxtls compare` on the example (Hotmail → Proofpoint Essentials → luxsci) with a
 * saved scan instead of live probes, and its usage errors. No network: `--results` only.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import type { CompareResult } from '../../../src/compare/types.js';
import { bufferIo } from '../../helpers/buffer-io.js';

const fixtures = join(import.meta.dirname, '../../fixtures/compare');
const message = join(fixtures, 'hotmail-proofpoint-luxsci.eml');
const scan = join(fixtures, 'proofpoint-scan.jsonl');
const scratch = mkdtempSync(join(tmpdir(), 'mxtls-compare-'));

async function compareJson(args: string[], input = ''): Promise<{ code: number;
  result: CompareResult }> {
  const { io, out } = bufferIo(input);
  const code = await main(['compare', '--json', ...args], io);
  return { code, result: JSON.parse(out()) as CompareResult };
}

describe('mxtls compare with a saved scan', () => {
  it('concludes that Hotmail did not use TLS toward the Proofpoint host offering it', async () => {
    const { code, result } = await compareJson(['--results', scan, 'hotmail.com', message]);
    expect(code).toBe(1);
    expect(result.schema).toBe('mxtls.compare/1');
    const hop = result.hops.find((h) => h.hop === 2);
    expect(hop?.role).toBe('partner-outbound');
    expect(hop?.header.verdict).toBe('not-encrypted');
    expect(hop?.header.recorder).toBe('Proofpoint Essentials');
    expect(hop?.conclusion).toBe('sender-did-not-use-tls');
    // The doubled by-name is not an MX in the scan; the next hop's sender is.
    expect(hop?.receiver?.name).toBe('dispatch1-us1.ppe-hosted.com');
    expect(hop?.receiver?.foundBy).toBe('next-hop-sender');
    expect(hop?.receiver?.tried[0]).toMatch(/^dispatch1-us1\.ppe-hosted\.com\.ppe-hosted\.com: /);
    expect(hop?.receiver?.source).toBe('saved');
    expect(hop?.receiver?.checkedAt).toBe('2019-08-20T09:15:00.000Z');
    expect(hop?.note?.kind).toBe('partner-outbound-configuration');
    expect(result.summary.unencryptedHops).toEqual([2]);
  });

  it('keeps the luxsci hop encrypted and the Microsoft-internal hop out of the count', async () => {
    const { result } = await compareJson(['--results', scan, 'hotmail.com', message]);
    const [first, , third] = result.hops;
    expect(third?.conclusion).toBe('encrypted');
    expect(third?.receiver).toBeNull();
    expect(first?.role).toBe('sender-side');
    expect(first?.providerHop).toBe(false);
    expect(first?.conclusion).toBe('cannot-tell');
    expect(result.summary.providerHops).toBe(2);
  });

  it('states the age of the saved probes beside the date of the message', async () => {
    const now = Date.now();
    const { result } = await compareJson(['--results', scan, 'hotmail.com', message]);
    const expectedAge = Math.floor((now - Date.parse('2019-08-20T09:14:58.000Z')) / 86_400_000);
    expect(result.probe.source).toBe('saved');
    expect(result.probe.file).toBe(scan);
    expect(result.probe.ageDays).toBeGreaterThanOrEqual(expectedAge);
    expect(result.probe.ageDays).toBeLessThanOrEqual(expectedAge + 1);
    expect(result.message.lastDate).toBe('2019-08-19T14:41:21.000Z');

    const { io, out } = bufferIo();
    await main(['compare', '--results', scan, 'hotmail.com', message], io);
    expect(out()).toContain('travelled 2019-08-19 14:41:19 UTC to 2019-08-19 14:41:21 UTC');
    expect(out()).toMatch(/probed 2019-08-20 09:14:58 UTC \(\d+ days old\)/);
    expect(out()).toMatch(/it does not prove what happened then/);
    expect(out()).toMatch(/conclusion: SENDER DID NOT USE TLS: dispatch1-us1\.ppe-hosted\.com/);
  });

  it('cannot tell which side it was when the scan lacks the receiver', async () => {
    const onlyHotmail = join(scratch, 'hotmail-only.jsonl');
    const lines = readFileSync(scan, 'utf8').trim().split('\n');
    writeFileSync(onlyHotmail, `${lines.filter((l) => l.includes('"hotmail.com"')).join('\n')}\n`);
    const { code, result } = await compareJson(['--results', onlyHotmail, 'hotmail.com', message]);
    const hop = result.hops.find((h) => h.hop === 2);
    expect(hop?.conclusion).toBe('cannot-tell');
    expect(hop?.receiver?.state).toBe('not-probed');
    expect(hop?.reason).toMatch(/no probe of the receiver/);
    // The header alone still shows the hand-off was unencrypted.
    expect(code).toBe(1);
  });

  it('reads a nightly run file as well as scan output', async () => {
    const run = join(scratch, '2019-08-20T091500Z.jsonl');
    const header = { schema: 'mxtls.run/1', type: 'run', startedAt: '2019-08-20T09:15:00.000Z',
      options: {}, input: { file: 'partners.txt' } };
    const summary = { schema: 'mxtls.run/1', type: 'summary',
      finishedAt: '2019-08-20T09:16:00.000Z', summary: {} };
    writeFileSync(run, [JSON.stringify(header), ...readFileSync(scan, 'utf8').trim().split('\n'),
      JSON.stringify(summary)].join('\n') + '\n');
    const { result } = await compareJson(['--results', run, 'hotmail.com', message]);
    expect(result.hops.find((h) => h.hop === 2)?.conclusion).toBe('sender-did-not-use-tls');
  });

  it('reads the message from stdin for -', async () => {
    const { code, result } = await compareJson(['--results', scan, 'hotmail.com', '-'],
      readFileSync(message, 'utf8'));
    expect(code).toBe(1);
    expect(result.hops).toHaveLength(3);
  });
});

describe('mxtls compare usage errors', () => {
  const cases: [string, string[], RegExp][] = [
    ['a bad domain', ['compare', '--results', scan, 'not a domain', message], /not a domain/],
    ['a bad CIDR', ['compare', '--internal-net', 'x/99', '--results', scan, 'hotmail.com',
      message], /not a CIDR/],
    ['a missing results file', ['compare', '--results', join(scratch, 'none.jsonl'),
      'hotmail.com', message], /ENOENT/],
    ['a missing message', ['compare', '--results', scan, 'hotmail.com',
      join(scratch, 'none.eml')], /Cannot read message/],
  ];
  it.each(cases)('exits 2 for %s', async (_name, args, message) => {
    const { io, err } = bufferIo();
    expect(await main(args, io)).toBe(2);
    expect(err()).toMatch(message);
  });

  it('exits 2 for a results file whose line is not a scan result', async () => {
    const bad = join(scratch, 'bad.jsonl');
    writeFileSync(bad, `${readFileSync(scan, 'utf8').split('\n')[0]}\n{"nope":1}\n`);
    const { io, err } = bufferIo();
    expect(await main(['compare', '--results', bad, 'hotmail.com', message], io)).toBe(2);
    expect(err()).toMatch(/line 2 is not a "mxtls\.scan\/1" result/);
  });
});
