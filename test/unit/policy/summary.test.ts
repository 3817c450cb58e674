import { describe, expect, it } from 'vitest';
import { policyCells } from '../../../src/policy/summary.js';
import type { MtaStsResult, PolicyResult } from '../../../src/policy/types.js';

function withSts(mtaSts: Partial<MtaStsResult>): PolicyResult {
  return {
    schema: 'mxtls.policy/1', domain: 'example.test', checkedAt: '', mx: [],
    mtaSts: { verdict: 'no-policy', severity: 'info', detail: '', uncovered: [], refused: [],
      warnings: [], ...mtaSts },
    tlsRpt: { verdict: 'absent', severity: 'info', detail: '', rua: [], extensions: {},
      warnings: [] },
    dane: { outcome: 'no-match', severity: 'error', detail: '', mxSecure: true, resolver: '',
      exchanges: [] },
    requireTls: { verdict: 'unknown', detail: '', hosts: [] },
  };
}

describe('policyCells', () => {
  it('shows the mode when the policy holds and the problem beside it when not', () => {
    expect(policyCells(withSts({ verdict: 'ok', mode: 'enforce' })))
      .toEqual({ mtaSts: 'enforce', dane: 'no-match' });
    expect(policyCells(withSts({ verdict: 'mx-not-covered', mode: 'testing' })).mtaSts)
      .toBe('testing: mx-not-covered');
    expect(policyCells(withSts({ verdict: 'fetch-failed' })).mtaSts).toBe('fetch-failed');
  });

  it('shows dashes when the checks did not run', () => {
    expect(policyCells(undefined)).toEqual({ mtaSts: '-', dane: '-' });
  });
});
