/**
 * Bounded polling for the lab: every wait here has a deadline and an interval, so a server that
 * never comes up fails the test with a message instead of hanging it.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface PollOptions {
  /** Give up after this many ms. Default 15000. */
  timeoutMs?: number;
  /** Time between attempts in ms. Default 100. */
  intervalMs?: number;
}

/**
 * Calls `attempt` until it returns a value other than undefined, and returns that value.
 * Throws an Error naming `what` once the deadline passes; a throw from `attempt` ends the wait.
 */
export async function pollUntil<T>(
  what: string,
  attempt: () => Promise<T | undefined> | T | undefined,
  options: PollOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const intervalMs = options.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  const maxAttempts = Math.ceil(timeoutMs / intervalMs) + 1;
  for (let i = 0; i < maxAttempts; i += 1) {
    const value = await attempt();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) break;
    await sleep(intervalMs);
  }
  throw new Error(`Cannot ${what}: still not done after ${timeoutMs} ms`);
}
