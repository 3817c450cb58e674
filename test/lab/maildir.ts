/**
 * Reading mail that a lab instance delivered into its maildir (`inboxDir`): a bounded wait for
 * the message files, and the header fields a trace test looks at.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pollUntil } from './wait.js';

/** One delivered message. */
export interface DeliveredMessage {
  file: string;
  /** The whole message as delivered, LF line ends. */
  text: string;
  /** Header fields in order, each unfolded to one line: `Name: value`. */
  headers: string[];
  /** The values of the Received fields, newest (top) first, unfolded. */
  received: string[];
  /** The address of the Delivered-To field that Postfix's virtual agent adds, lower case. */
  deliveredTo?: string;
}

/** What to wait for. */
export interface DeliveryWait {
  /** Only messages delivered to this address count. Default: every message. */
  recipient?: string;
  /** How many messages to wait for. Default 1. */
  count?: number;
  /** Default 20000. */
  timeoutMs?: number;
}

/**
 * Waits until the maildir `inboxDir` holds at least `count` messages (for `recipient`, when
 * given) and returns them all, oldest first.
 */
export async function waitForDelivery(
  inboxDir: string,
  wait: DeliveryWait = {},
): Promise<DeliveredMessage[]> {
  const count = wait.count ?? 1;
  const recipient = wait.recipient?.toLowerCase();
  const dir = join(inboxDir, 'new');
  const who = recipient === undefined ? '' : ` for "${recipient}"`;
  return pollUntil(`see ${count} message(s)${who} delivered to "${dir}"`, () => {
    const messages = listFiles(dir)
      .map((name) => parseMessage(join(dir, name)))
      .filter((m) => recipient === undefined || m.deliveredTo === recipient);
    return messages.length >= count ? messages : undefined;
  }, { timeoutMs: wait.timeoutMs ?? 20_000, intervalMs: 100 });
}

/** Reads one message file and splits out its header fields. */
export function parseMessage(file: string): DeliveredMessage {
  const text = readFileSync(file, 'utf8').replace(/\r\n/g, '\n');
  const end = text.indexOf('\n\n');
  const head = end === -1 ? text : text.slice(0, end);
  const headers: string[] = [];
  for (const line of head.split('\n')) {
    const last = headers.length - 1;
    if (/^[ \t]/.test(line) && last >= 0) headers[last] += ` ${line.trim()}`;
    else if (line !== '') headers.push(line);
  }
  const received = headers
    .filter((h) => /^received:/i.test(h))
    .map((h) => h.slice(h.indexOf(':') + 1).trim());
  const delivered = headers.find((h) => /^delivered-to:/i.test(h));
  const deliveredTo = delivered?.slice(delivered.indexOf(':') + 1).trim().toLowerCase();
  return { file, text, headers, received, ...(deliveredTo ? { deliveredTo } : {}) };
}

/** Maildir file names sort by delivery time (they start with the epoch second). */
function listFiles(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}
