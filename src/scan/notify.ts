/**
 * Posting a diff to a webhook when something got worse. A notification is best effort: it is
 * retried with exponential back-off and, when it still fails, the caller reports that; the
 * run file and the diff file are written before any notification is tried.
 */

/** How a notification ended. */
export interface NotifyOutcome {
  delivered: boolean;
  attempts: number;
  /** HTTP status of the last response, when there was one. */
  status?: number;
  /** Why the last attempt failed, when it did. */
  error?: string;
}

/** Options of postNotification; every one has a default. */
export interface NotifyOptions {
  /** Attempts in all, the first included. Default 4. */
  attempts?: number;
  /** Wait before the second attempt, in ms; doubled before each further one. Default 1000. */
  backoffMs?: number;
  /** Time one request may take, in ms. Default 10000. */
  timeoutMs?: number;
  /** For tests. Default: a timer. */
  sleep?: (ms: number) => Promise<void>;
  /** For tests. Default: the global fetch. */
  fetch?: typeof fetch;
  signal?: AbortSignal;
}

const sleepFor = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// 4xx answers other than these mean the request itself is wrong: sending it again won't help.
const RETRYABLE = new Set([408, 425, 429]);

/**
 * POSTs `body` as JSON to `url`. Retries network errors, timeouts, 5xx and 408/425/429; any
 * other answer ends the attempts. Never throws for a failed delivery: the outcome says so.
 */
export async function postNotification(
  url: string,
  body: unknown,
  options: NotifyOptions = {},
): Promise<NotifyOutcome> {
  const attempts = Math.max(1, options.attempts ?? 4);
  const backoff = options.backoffMs ?? 1000;
  const sleep = options.sleep ?? sleepFor;
  const doFetch = options.fetch ?? fetch;
  const payload = JSON.stringify(body);
  let outcome: NotifyOutcome = { delivered: false, attempts: 0 };

  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    if (attempt > 1) await sleep(backoff * 2 ** (attempt - 2));
    if (options.signal?.aborted) break;
    outcome = { delivered: false, attempts: attempt };
    const timeout = AbortSignal.timeout(options.timeoutMs ?? 10_000);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    try {
      const response = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'mxtls' },
        body: payload,
        signal,
      });
      // The body is not needed; reading it frees the connection.
      await response.arrayBuffer().catch(() => undefined);
      outcome.status = response.status;
      if (response.ok) return { ...outcome, delivered: true };
      outcome.error = `HTTP ${response.status}`;
      if (response.status < 500 && !RETRYABLE.has(response.status)) break;
    } catch (error) {
      outcome.error = describe(error);
    }
  }
  return outcome;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const detail = cause?.code ?? cause?.message;
    return detail ? `${error.message} (${detail})` : error.message;
  }
  return String(error);
}
