import { describe, expect, it } from 'vitest';
import { comparePolicies } from '../../../src/policy/policy-diff.js';
import type { DaneOutcome, PolicyResult, StsMode } from '../../../src/policy/types.js';

/** A policy result with only the parts the comparison reads set. */
function result(options: { mode?: StsMode; uncovered?: string[]; dane?: DaneOutcome;
  rpt?: boolean; refused?: string[] }): PolicyResult {
  return {
    schema: 'mxtls.policy/1', domain: 'example.test', checkedAt: '2026-01-01T00:00:00.000Z',
    mx: ['mx1.example.test', 'mx2.example.test'],
    mtaSts: { verdict: options.mode ? 'ok' : 'no-policy', severity: 'ok', detail: '',
      ...(options.mode ? { mode: options.mode } : {}), uncovered: options.uncovered ?? [],
      refused: (options.refused ?? []).map((address) => ({ host: 'mx1.example.test', address,
        reason: 'expired' })), warnings: [] },
    tlsRpt: { verdict: options.rpt ? 'present' : 'absent', severity: 'ok', detail: '', rua: [],
      extensions: {}, warnings: [] },
    dane: { outcome: options.dane ?? 'not-applicable', severity: 'ok', detail: '',
      mxSecure: true, resolver: '127.0.40.2:53', exchanges: [{ host: 'mx1.example.test',
        outcome: options.dane ?? 'not-applicable', detail: '', tlsaName: '', tlsa: [],
        addresses: [] }] },
    requireTls: { verdict: 'unknown', detail: '', hosts: [] },
  };
}

describe('comparePolicies', () => {
  it('reports nothing when nothing changed or a run has no policy checks', () => {
    const same = result({ mode: 'enforce', dane: 'match', rpt: true });
    expect(comparePolicies(same, result({ mode: 'enforce', dane: 'match', rpt: true })))
      .toEqual([]);
    expect(comparePolicies(undefined, same)).toEqual([]);
  });

  it('rates a mode change by strength', () => {
    const weaker = comparePolicies(result({ mode: 'enforce' }), result({ mode: 'testing' }));
    expect(weaker).toEqual([{ kind: 'mta-sts-mode-changed', direction: 'worse',
      message: 'MTA-STS mode changed from enforce to testing', before: 'enforce',
      after: 'testing' }]);
    const gone = comparePolicies(result({ mode: 'testing' }), result({}));
    expect(gone[0]).toMatchObject({ direction: 'worse', after: 'absent' });
    expect(comparePolicies(result({}), result({ mode: 'enforce' }))[0]?.direction)
      .toBe('better');
  });

  it('reports an MX that is no longer covered, and one covered again', () => {
    const lost = comparePolicies(result({ mode: 'enforce' }),
      result({ mode: 'enforce', uncovered: ['mx2.example.test'] }));
    expect(lost).toEqual([{ kind: 'mta-sts-mx-uncovered', direction: 'worse',
      host: 'mx2.example.test',
      message: 'mx2.example.test: MX no longer covered by the MTA-STS policy' }]);
    const back = comparePolicies(result({ mode: 'enforce', uncovered: ['mx2.example.test'] }),
      result({ mode: 'enforce' }));
    expect(back[0]?.direction).toBe('better');
  });

  it('reports DANE now failing, and an indeterminate lookup as unchecked', () => {
    const failing = comparePolicies(result({ dane: 'match' }), result({ dane: 'no-match' }));
    expect(failing).toEqual([{ kind: 'dane-changed', direction: 'worse',
      host: 'mx1.example.test', message: 'mx1.example.test: DANE now failing (match → no-match)',
      before: 'match', after: 'no-match' }]);
    expect(comparePolicies(result({ dane: 'match' }), result({ dane: 'indeterminate' }))[0]
      ?.direction).toBe('unchecked');
    expect(comparePolicies(result({ dane: 'no-match' }), result({ dane: 'match' }))[0]
      ?.direction).toBe('better');
  });

  it('reports certificates an enforce policy newly refuses and a lost TLS-RPT record', () => {
    const changes = comparePolicies(result({ mode: 'enforce', rpt: true }),
      result({ mode: 'enforce', refused: ['127.0.40.60'] }));
    expect(changes.map((c) => [c.kind, c.direction])).toEqual([
      ['mta-sts-certificate-refused', 'worse'], ['tls-rpt-changed', 'worse']]);
  });
});
