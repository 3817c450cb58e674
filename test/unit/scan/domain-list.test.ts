import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  normalizeDomain,
  openDomainList,
  readDomainList,
  splitCsvLine,
  type ListIssue,
} from '../../../src/scan/domain-list.js';

async function collect(text: string, skip?: Set<string>): Promise<[string[], ListIssue[]]> {
  const issues: ListIssue[] = [];
  const domains: string[] = [];
  const input = Readable.from([text]);
  for await (const d of readDomainList(input, { onIssue: (i) => issues.push(i), skip })) {
    domains.push(d);
  }
  return [domains, issues];
}

describe('normalizeDomain', () => {
  it('lower-cases, drops the trailing dot and converts IDN to A-labels', () => {
    expect(normalizeDomain('Example.COM.')).toBe('example.com');
    expect(normalizeDomain('Bücher.example')).toBe('xn--bcher-kva.example');
  });

  it('rejects names that cannot be mail domains', () => {
    for (const bad of ['localhost', 'a..b', '-a.example', 'a_b.example', '192.0.2.1', '', '.']) {
      expect(normalizeDomain(bad), bad).toBeUndefined();
    }
    expect(normalizeDomain(`${'a'.repeat(64)}.example`)).toBeUndefined();
  });
});

describe('readDomainList', () => {
  it('skips comments and blanks and reports duplicates and invalid names by line', async () => {
    const [domains, issues] = await collect(
      '# partners\n\nexample.com\r\n  Example.com.  # again\nbad_name.example\nb.test\n',
    );
    expect(domains).toEqual(['example.com', 'b.test']);
    expect(issues).toEqual([
      { line: 4, reason: 'duplicate', input: 'Example.com.', firstLine: 3 },
      { line: 5, reason: 'invalid', input: 'bad_name.example' },
    ]);
  });

  it('reads the domain column of a CSV with a header', async () => {
    const [domains, issues] = await collect(
      'name,Domain,notes\n"Acme, Inc",acme.example,x\nZed,zed.example,"a ""b"""\nNone,,\n',
    );
    expect(domains).toEqual(['acme.example', 'zed.example']);
    expect(issues).toEqual([{ line: 4, reason: 'invalid', input: '' }]);
  });

  it('reads the first column of a CSV without a domain header', async () => {
    const [domains] = await collect('a.example,1\nb.example,2\n');
    expect(domains).toEqual(['a.example', 'b.example']);
  });

  it('leaves out names in skip without reporting them', async () => {
    const [domains, issues] = await collect('a.example\nb.example\n', new Set(['a.example']));
    expect(domains).toEqual(['b.example']);
    expect(issues).toEqual([]);
  });

  it('streams: yields the first domain before the input has ended', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    async function* lines(): AsyncGenerator<string> {
      yield 'first.example';
      await gate;
      yield 'second.example';
    }
    const iterator = readDomainList(lines());
    const first = await iterator.next();
    expect(first.value).toBe('first.example');
    release();
    expect((await iterator.next()).value).toBe('second.example');
    expect((await iterator.next()).done).toBe(true);
  });

  it('reads a file and throws an InputError for a missing one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mxtls-list-'));
    const file = join(dir, 'list.txt');
    writeFileSync(file, 'one.example\ntwo.example');
    const got: string[] = [];
    for await (const d of readDomainList(openDomainList(file, process.stdin))) got.push(d);
    expect(got).toEqual(['one.example', 'two.example']);

    const missing = readDomainList(openDomainList(join(dir, 'nope.txt'), process.stdin));
    await expect(missing.next()).rejects.toMatchObject({ code: 'MXTLS_INPUT' });
  });

  it('splits quoted CSV fields', () => {
    expect(splitCsvLine('a, "b,c" ,"d""e"')).toEqual(['a', 'b,c', 'd"e']);
  });
});
