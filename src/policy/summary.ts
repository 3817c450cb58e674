/**
 * Short cell texts for the scan table's MTA-STS and DANE columns. The JSON keeps the full
 * findings; a table cell has room for the mode or outcome and, when it matters, why it is bad.
 */
import type { PolicyResult } from './types.js';

/** Cell texts for one domain; "-" when the checks did not run. */
export interface PolicyCells {
  /** e.g. "enforce", "testing", "enforce: mx-not-covered", "no-policy", "fetch-failed". */
  mtaSts: string;
  /** The DANE outcome, e.g. "match", "no-match", "indeterminate", "not-applicable". */
  dane: string;
}

/** The table cells of a domain's policy result. */
export function policyCells(policy: PolicyResult | undefined): PolicyCells {
  if (!policy) return { mtaSts: '-', dane: '-' };
  const sts = policy.mtaSts;
  let mtaSts: string;
  if (sts.verdict === 'ok') mtaSts = sts.mode ?? 'ok';
  else if (sts.mode) mtaSts = `${sts.mode}: ${sts.verdict}`;
  else mtaSts = sts.verdict;
  return { mtaSts, dane: policy.dane.outcome };
}
