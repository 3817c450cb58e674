/**
 * The text form of a diff between two runs: what got worse first, then what could not be
 * checked, then what got better, then the counts.
 */
import { sanitize } from '../errors.js';
import type { Change, RunDiff } from '../scan/diff.js';

/** Domains listed by name at most in the added and removed lines. */
const MAX_NAMED = 10;

/** Formats a diff as lines of text. */
export function formatDiff(diff: RunDiff): string[] {
  const lines: string[] = [];
  // Everything below comes from run files, which anyone may have edited: sanitise it all.
  const text = (value: string | undefined, fallback: string): string =>
    sanitize(value ?? fallback, 300);
  lines.push(`Comparing ${text(diff.old.file, 'old run')} (${text(diff.old.startedAt, '?')})`);
  lines.push(`     with ${text(diff.new.file, 'new run')} (${text(diff.new.startedAt, '?')})`);
  const section = (title: string, pick: (d: RunDiff['domains'][number]) => Change[]): void => {
    const domains = diff.domains.filter((d) => pick(d).length > 0);
    if (domains.length === 0) return;
    lines.push('', `${title} (${domains.length} domain${domains.length === 1 ? '' : 's'}):`);
    for (const domain of domains) {
      lines.push(`  ${sanitize(domain.domain, 300)}`);
      for (const change of pick(domain)) {
        lines.push(`    ${change.kind}: ${sanitize(change.message, 300)}`);
      }
    }
  };
  section('Worse', (d) => d.worse);
  section('Could not be checked this time', (d) => d.unchecked);
  section('Better', (d) => d.better);
  const named = (names: string[]): string =>
    names.slice(0, MAX_NAMED).map((name) => sanitize(name, 300)).join(', ') +
    (names.length > MAX_NAMED ? `, and ${names.length - MAX_NAMED} more` : '');
  if (diff.added.length > 0) lines.push('', `Added (${diff.added.length}): ${named(diff.added)}`);
  if (diff.removed.length > 0) {
    lines.push('', `Removed (${diff.removed.length}): ${named(diff.removed)}`);
  }
  const c = diff.counts;
  lines.push(
    '',
    `${c.worse} worse, ${c.better} better, ${c.unchecked} could not be checked, ` +
      `${c.unchanged} unchanged, ${c.added} added, ${c.removed} removed`,
  );
  return lines;
}
