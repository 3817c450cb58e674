/** Bulk scans, run files, diffs and scheduled watches: the library side of `--file` and watch. */
export { readDomainList, openDomainList, normalizeDomain } from './domain-list.js';
export type { ListIssue, ListIssueReason, DomainListOptions } from './domain-list.js';
export { createHostPool, providerOf } from './host-pool.js';
export type { HostPool, HostPoolOptions, HostPoolStats, ProbeHostFn } from './host-pool.js';
export { scanDomains, errorResult, DEFAULT_CONCURRENCY } from './bulk.js';
export type { ScanDomainsOptions, ProbeDomainFn } from './bulk.js';
export {
  RUN_SCHEMA,
  RunWriter,
  createRun,
  resumeRun,
  readRun,
  listRuns,
  newestCompleteRun,
  previousCompleteRun,
  newestPartialRun,
  runName,
} from './results-store.js';
export type {
  RunHeader,
  RunSummaryLine,
  RunFile,
  RunContents,
  ResumedRun,
} from './results-store.js';
export { SummaryBuilder, summarizeRun, formatSummary, DEFAULT_EXPIRY_DAYS } from './summary.js';
export type { RunSummary, AddressCounts } from './summary.js';
export {
  DIFF_SCHEMA,
  CHANGE_RULES,
  diffRuns,
  diffRunFiles,
  diffDomain,
  snapshotOf,
  loadRunSnapshots,
} from './diff.js';
export type {
  Change,
  ChangeDirection,
  ChangeRule,
  DomainDiff,
  DomainSnapshot,
  HostSnapshot,
  RunDiff,
  RunSnapshots,
} from './diff.js';
export { runScan } from './run.js';
export type { RunScanOptions, RunScanOutcome } from './run.js';
export { postNotification } from './notify.js';
export type { NotifyOptions, NotifyOutcome } from './notify.js';
export { createWatcher, cronScheduler, checkCronPattern, diffPathOf } from './watch.js';
export type { Scheduler, ScheduledJob, Watcher, WatchIteration, WatchOptions } from './watch.js';
