import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CHANGE_RULES,
  diffDomain,
  diffRunFiles,
  diffRuns,
  snapshotOf,
  type DomainDiff,
  type RunSnapshots,
} from '../../../src/scan/diff.js';
import { RUN_SCHEMA, createRun } from '../../../src/scan/results-store.js';
import { summarizeRun } from '../../../src/scan/summary.js';
import type { DomainResult } from '../../../src/probe/types.js';
import { domainResult, type DomainShape } from './make-results.js';

const context = { expiryDays: 14 };

function compare(before: DomainShape, after: DomainShape): DomainDiff {
  return diffDomain(
    snapshotOf(domainResult('p.test', before)),
    snapshotOf(domainResult('p.test', after)),
    context,
  );
}

const kinds = (changes: { kind: string }[]): string[] => changes.map((c) => c.kind);

/** Each case: a kind, and states before and after that it must report as worse. */
const NO_STARTTLS: DomainShape = {
  verdict: 'no-tls',
  hosts: [{ outcome: 'starttls-not-offered' }],
};
const NO_HANDSHAKE: DomainShape = { verdict: 'no-tls', hosts: [{ outcome: 'handshake-failed' }] };
const TLS12: DomainShape = { hosts: [{ protocol: 'TLSv1.2' }] };
const TLS13: DomainShape = { hosts: [{ protocol: 'TLSv1.3' }] };
const PROTOCOL_ERROR: DomainShape = {
  verdict: 'error',
  hosts: [{ outcome: 'protocol-error', errorCode: 'MXTLS_SMTP_PROTOCOL' }],
};

const CASES: [string, DomainShape, DomainShape][] = [
  ['starttls-lost', { hosts: [{}] }, NO_STARTTLS],
  ['handshake-failing', { hosts: [{}] }, NO_HANDSHAKE],
  ['protocol-downgraded', TLS13, TLS12],
  [
    'certificate-unverified',
    { hosts: [{}] },
    { verdict: 'tls-unverified', hosts: [{ certificate: 'untrusted' }] },
  ],
  ['certificate-expiring', { hosts: [{ daysToExpiry: 60 }] }, { hosts: [{ daysToExpiry: 5 }] }],
  ['domain-gone', { hosts: [{}] }, { verdict: 'not-found', dns: 'nxdomain' }],
];

describe('diffDomain', () => {
  for (const [kind, before, after] of CASES) {
    it(`reports ${kind} as worse, and its reverse as better`, () => {
      const worse = compare(before, after);
      expect(kinds(worse.worse)).toContain(kind);
      expect(worse.better).toEqual([]);
      const better = compare(after, before);
      expect(kinds(better.better)).toContain(kind);
      expect(better.worse).toEqual([]);
    });
  }

  it('names the host, address and both protocol versions of a downgrade', () => {
    const diff = compare(TLS13, TLS12);
    expect(diff.worse[0]).toMatchObject({
      host: 'mx1.fleet.test',
      address: '127.0.30.1',
      before: 'TLSv1.3',
      after: 'TLSv1.2',
    });
    expect(diff.worse[0]?.message).toBe(
      'mx1.fleet.test [127.0.30.1]: downgraded from TLSv1.3 to TLSv1.2',
    );
  });

  it('reports a changed MX set', () => {
    const diff = compare({ hosts: [{ host: 'mx1.a.test' }] }, { hosts: [{ host: 'mx9.b.test' }] });
    expect(kinds(diff.worse)).toEqual(['mx-changed']);
  });

  it('falls back to the verdict when the MX moved to a host without TLS', () => {
    const diff = compare(
      { hosts: [{ host: 'mx1.a.test' }] },
      { verdict: 'no-tls', hosts: [{ host: 'mx9.b.test', outcome: 'starttls-not-offered' }] },
    );
    expect(kinds(diff.worse)).toEqual(['mx-changed']);
    const moved = compare(
      { hosts: [{ host: 'mx1.a.test', address: '127.0.30.1' }] },
      {
        verdict: 'no-tls',
        hosts: [{ host: 'mx1.a.test', address: '127.0.30.9', outcome: 'starttls-not-offered' }],
      },
    );
    // The host kept its name but changed address: it is still compared.
    expect(kinds(moved.worse)).toEqual(['starttls-lost']);
  });

  it('reports new errors and errors gone', () => {
    const diff = compare({ hosts: [{}] }, PROTOCOL_ERROR);
    expect(kinds(diff.worse)).toContain('new-errors');
    const back = compare(PROTOCOL_ERROR, { hosts: [{}] });
    expect(kinds(back.better)).toContain('new-errors');
  });

  it('treats a timeout or a 421 as "could not be checked", never as STARTTLS lost', () => {
    for (const outcome of ['timeout', 'rate-limited', 'greeting-refused'] as const) {
      const diff = compare(
        { hosts: [{}] },
        {
          verdict: 'error',
          hosts: [{ outcome, temporary: true, errorCode: 'MXTLS_SMTP_TIMEOUT' }],
        },
      );
      expect(diff.worse, outcome).toEqual([]);
      expect(kinds(diff.unchecked), outcome).toEqual(['unchecked']);
    }
  });

  it('treats a failed DNS lookup as "could not be checked"', () => {
    const failed: DomainShape = { verdict: 'error', dns: 'error', dnsError: 'MXTLS_DNS_SERVFAIL' };
    const diff = compare({ hosts: [{}] }, failed);
    expect(diff.worse).toEqual([]);
    expect(diff.unchecked[0]?.message).toMatch(/could not be checked: DNS lookup failed/);
  });

  it('reports nothing when nothing changed', () => {
    const diff = compare(
      { hosts: [{}, { address: '127.0.30.2' }] },
      { hosts: [{ address: '127.0.30.2' }, {}] },
    );
    expect(diff).toEqual({ domain: 'p.test', worse: [], better: [], unchecked: [] });
  });

  it('reports a loss of TLS that follows a night the domain could not be checked', () => {
    const rateLimited: DomainShape = {
      verdict: 'error',
      hosts: [{ outcome: 'rate-limited', temporary: true }],
    };
    const diff = compare(rateLimited, NO_STARTTLS);
    expect(kinds(diff.worse)).toEqual(['verdict-changed']);
    expect(diff.worse[0]?.message).toContain('previous run could not check it');
    // Verified TLS after an unchecked night is no news.
    expect(compare(rateLimited, { hosts: [{}] }).worse).toEqual([]);
  });

  it('words a certificate past its date as expired, not as expiring in negative days', () => {
    const diff = compare({ hosts: [{ daysToExpiry: 60 }] }, { hosts: [{ daysToExpiry: -3 }] });
    const message = diff.worse.find((c) => c.kind === 'certificate-expiring')?.message ?? '';
    expect(message).toContain('expired 3 days ago');
    expect(message).not.toContain('-3');
  });

  it('takes extra rules, e.g. policy findings', () => {
    const before = { ...snapshotOf(domainResult('p.test')), policy: { mode: 'enforce' } };
    const after = { ...snapshotOf(domainResult('p.test')), policy: { mode: 'testing' } };
    const rules = [
      ...CHANGE_RULES,
      {
        kind: 'mta-sts-mode',
        title: 'MTA-STS mode changed',
        detect: (a: typeof before, b: typeof after) =>
          JSON.stringify(a.policy) === JSON.stringify(b.policy)
            ? []
            : [{ kind: 'mta-sts-mode', direction: 'worse' as const, message: 'mode changed' }],
      },
    ];
    expect(kinds(diffDomain(before, after, context, rules).worse)).toEqual(['mta-sts-mode']);
  });
});

function runOf(results: DomainResult[]): RunSnapshots {
  return { domains: new Map(results.map((r) => [r.domain, snapshotOf(r)])) };
}

describe('diffRuns', () => {
  it('counts worse, better, unchanged, added and removed domains', () => {
    const diff = diffRuns(
      runOf([
        domainResult('same.test'),
        domainResult('worse.test'),
        domainResult('better.test', NO_STARTTLS),
        domainResult('gone.test'),
      ]),
      runOf([
        domainResult('same.test'),
        domainResult('worse.test', { hosts: [{ protocol: 'TLSv1.2' }] }),
        domainResult('better.test'),
        domainResult('new.test'),
      ]),
    );
    expect(diff.counts).toEqual({
      worse: 1, better: 1, unchecked: 0, unchanged: 1, added: 1, removed: 1,
    });
    expect(diff.added).toEqual(['new.test']);
    expect(diff.removed).toEqual(['gone.test']);
    expect(diff.domains.map((d) => d.domain)).toEqual(['better.test', 'worse.test']);
  });
});

describe('diffRunFiles', () => {
  it('compares two complete run files and refuses an incomplete one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mxtls-diff-'));
    const write = async (time: string, results: DomainResult[], complete = true) => {
      const w = await createRun(dir, {
        schema: RUN_SCHEMA, type: 'run', startedAt: time, options: {}, input: { file: 'x' },
      });
      for (const r of results) await w.append(r);
      if (!complete) {
        await w.close();
        return w.path;
      }
      return w.complete(summarizeRun(results), new Date(time));
    };
    const a = await write('2026-12-01T02:00:00Z', [domainResult('x.test')]);
    const b = await write('2026-12-02T02:00:00Z', [
      domainResult('x.test', { verdict: 'no-tls', hosts: [{ outcome: 'starttls-not-offered' }] }),
    ]);
    const diff = await diffRunFiles(a, b);
    expect(diff.old).toEqual({ file: a, startedAt: '2026-12-01T02:00:00Z' });
    expect(diff.domains[0]?.worse[0]?.kind).toBe('starttls-lost');

    const c = await write('2026-12-03T02:00:00Z', [domainResult('x.test')], false);
    await expect(diffRunFiles(a, c)).rejects.toMatchObject({ code: 'MXTLS_INPUT' });
  });
});
