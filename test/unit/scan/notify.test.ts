import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { postNotification } from '../../../src/scan/notify.js';

// Only requests to this made-up host are mocked; anything else is an error, not a real request.
const HOOK = 'http://hooks.mxtls.test/diff';
const server = setupServer();

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

function recordSleeps(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: async (ms) => void waits.push(ms) };
}

describe('postNotification', () => {
  it('POSTs the body as JSON once when the endpoint accepts it', async () => {
    const bodies: unknown[] = [];
    server.use(
      http.post(HOOK, async ({ request }) => {
        expect(request.headers.get('content-type')).toBe('application/json');
        bodies.push(await request.json());
        return new HttpResponse(null, { status: 204 });
      }),
    );
    const { sleep, waits } = recordSleeps();
    const outcome = await postNotification(HOOK, { counts: { worse: 1 } }, { sleep });
    expect(outcome).toEqual({ delivered: true, attempts: 1, status: 204 });
    expect(bodies).toEqual([{ counts: { worse: 1 } }]);
    expect(waits).toEqual([]);
  });

  it('retries 5xx and network errors with exponential back-off until it is delivered', async () => {
    let calls = 0;
    server.use(
      http.post(HOOK, () => {
        calls += 1;
        if (calls === 1) return HttpResponse.error();
        if (calls === 2) return new HttpResponse('busy', { status: 503 });
        return HttpResponse.json({ ok: true });
      }),
    );
    const { sleep, waits } = recordSleeps();
    const outcome = await postNotification(HOOK, {}, { sleep, backoffMs: 100 });
    expect(outcome).toMatchObject({ delivered: true, attempts: 3, status: 200 });
    expect(waits).toEqual([100, 200]);
  });

  it('gives up after the last attempt and says why, without throwing', async () => {
    let calls = 0;
    server.use(
      http.post(HOOK, () => {
        calls += 1;
        return new HttpResponse('down', { status: 500 });
      }),
    );
    const { sleep, waits } = recordSleeps();
    const outcome = await postNotification(HOOK, {}, { sleep, attempts: 3, backoffMs: 10 });
    expect(outcome).toEqual({ delivered: false, attempts: 3, status: 500, error: 'HTTP 500' });
    expect(calls).toBe(3);
    expect(waits).toEqual([10, 20]);
  });

  it('does not retry a request the endpoint rejects as wrong (4xx)', async () => {
    let calls = 0;
    server.use(
      http.post(HOOK, () => {
        calls += 1;
        return new HttpResponse('no', { status: 404 });
      }),
    );
    const outcome = await postNotification(HOOK, {}, recordSleeps());
    expect(outcome).toMatchObject({ delivered: false, attempts: 1, status: 404 });
    expect(calls).toBe(1);
  });
});
