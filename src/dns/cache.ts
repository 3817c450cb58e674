/**
 * A small answer cache keyed by question, honouring TTLs and bounded in entries, so that a scan
 * of thousands of domains does not ask twice for a shared MX host and does not grow without end.
 */
import type { DnsAnswer, RecordType } from './types.js';

/** A day: longer TTLs are cut to this, so a bad TTL cannot pin an answer for a scan's life. */
const MAX_TTL_SECONDS = 86_400;

/** Answers by (name, type), oldest evicted first once `maxEntries` is reached. */
export class AnswerCache {
  private readonly entries = new Map<string, { answer: DnsAnswer; expires: number }>();

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number,
  ) {}

  /** A copy of the cached answer, or undefined when none is fresh. */
  get(name: string, type: RecordType): DnsAnswer | undefined {
    const key = `${type} ${name}`;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expires <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return copyAnswer(entry.answer);
  }

  /** Keeps an answer for `ttlSeconds`; a TTL of 0 or less is not cached. */
  set(answer: DnsAnswer, ttlSeconds: number): void {
    if (this.maxEntries <= 0 || !(ttlSeconds > 0)) return;
    const key = `${answer.type} ${answer.name}`;
    this.entries.delete(key);
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    const ttl = Math.min(ttlSeconds, MAX_TTL_SECONDS);
    this.entries.set(key, { answer: copyAnswer(answer), expires: this.now() + ttl * 1000 });
  }

  /** How many answers are held (fresh or not yet noticed as stale). */
  get size(): number {
    return this.entries.size;
  }
}

/** A copy whose arrays a caller may change without changing the cache. */
export function copyAnswer(answer: DnsAnswer): DnsAnswer {
  return { ...answer, records: [...answer.records], aliases: [...answer.aliases] };
}
