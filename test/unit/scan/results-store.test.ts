import { appendFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  RUN_SCHEMA,
  createRun,
  listRuns,
  newestCompleteRun,
  newestPartialRun,
  previousCompleteRun,
  readRun,
  resumeRun,
  runName,
  type RunHeader,
} from '../../../src/scan/results-store.js';
import { summarizeRun } from '../../../src/scan/summary.js';
import { domainResult } from './make-results.js';

function header(startedAt: string): RunHeader {
  return {
    schema: RUN_SCHEMA,
    type: 'run',
    startedAt,
    options: { concurrency: 4 },
    input: { file: 'partners.txt' },
  };
}

const tempDir = (): string => mkdtempSync(join(tmpdir(), 'mxtls-runs-'));

describe('run files', () => {
  it('names a run by its UTC start time', () => {
    expect(runName(new Date('2026-12-03T02:00:00.123Z'))).toBe('2026-12-03T020000Z');
  });

  it('writes to .partial and renames to .jsonl only once the summary is written', async () => {
    const dir = tempDir();
    const writer = await createRun(dir, header('2026-12-03T02:00:00.000Z'));
    await writer.append(domainResult('a.test'));
    await Promise.all([
      writer.append(domainResult('b.test')),
      writer.append(domainResult('c.test')),
    ]);
    expect(readdirSync(dir)).toEqual(['2026-12-03T020000Z.partial']);
    // Everything appended is in the partial file already (a crash keeps it).
    const partialPath = join(dir, '2026-12-03T020000Z.partial');
    const partial = readFileSync(partialPath, 'utf8').trim().split('\n');
    expect(partial).toHaveLength(4);

    const summary = summarizeRun([domainResult('a.test')]);
    const final = await writer.complete(summary, new Date('2026-12-03T02:05:00Z'));
    expect(final).toBe(join(dir, '2026-12-03T020000Z.jsonl'));
    expect(readdirSync(dir)).toEqual(['2026-12-03T020000Z.jsonl']);
    const lines = readFileSync(final, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ schema: RUN_SCHEMA, type: 'run' });
    expect(lines.at(-1)).toMatchObject({ type: 'summary', summary: { domains: 1 } });

    const seen: string[] = [];
    const run = await readRun(final, (r) => seen.push(r.domain), { requireComplete: true });
    expect(seen.sort()).toEqual(['a.test', 'b.test', 'c.test']);
    expect(run.results).toBe(3);
  });

  it('refuses a partial file where a complete run is required', async () => {
    const dir = tempDir();
    const writer = await createRun(dir, header('2026-12-03T02:00:00.000Z'));
    await writer.append(domainResult('a.test'));
    await writer.close();
    await expect(readRun(writer.path, () => {}, { requireComplete: true })).rejects.toThrow(
      /incomplete/,
    );
    await expect(readRun(join(dir, 'missing.jsonl'), () => {})).rejects.toMatchObject({
      code: 'MXTLS_INPUT',
    });
  });

  it('gives two runs of the same second different names', async () => {
    const dir = tempDir();
    const a = await createRun(dir, header('2026-12-03T02:00:00.000Z'));
    const b = await createRun(dir, header('2026-12-03T02:00:00.500Z'));
    expect(a.path).not.toBe(b.path);
    await a.close();
    await b.close();
    expect((await listRuns(dir)).map((r) => r.name)).toEqual([
      '2026-12-03T020000Z',
      '2026-12-03T020000Z-1',
    ]);
  });

  it('resumes a partial run, dropping a cut-off last line so its domain is probed again',
    async () => {
    const dir = tempDir();
    const writer = await createRun(dir, header('2026-12-03T02:00:00.000Z'));
    await writer.append(domainResult('a.test'));
    await writer.append(domainResult('b.test'));
    await writer.close();
    const cut = JSON.stringify(domainResult('c.test')).slice(0, 40);
    appendFileSync(writer.path, cut);

    const resumed = await resumeRun(writer.path);
    expect([...resumed.done].sort()).toEqual(['a.test', 'b.test']);
    expect(resumed.droppedBytes).toBe(cut.length);
    await resumed.writer.append(domainResult('c.test'));
    const final = await resumed.writer.complete(summarizeRun([]), new Date());

    const seen: string[] = [];
    await readRun(final, (r) => seen.push(r.domain), { requireComplete: true });
    expect(seen).toEqual(['a.test', 'b.test', 'c.test']);
  });

  it('keeps a whole last line that only lacks its newline', async () => {
    const dir = tempDir();
    const path = join(dir, '2026-12-03T020000Z.partial');
    const first = JSON.stringify(header('2026-12-03T02:00:00Z'));
    writeFileSync(path, `${first}\n${JSON.stringify(domainResult('a.test'))}`);
    const resumed = await resumeRun(path);
    expect([...resumed.done]).toEqual(['a.test']);
    await resumed.writer.append(domainResult('b.test'));
    await resumed.writer.close();
    const seen: string[] = [];
    await readRun(path, (r) => seen.push(r.domain));
    expect(seen).toEqual(['a.test', 'b.test']);
  });

  it('refuses to resume a damaged file or a complete run', async () => {
    const dir = tempDir();
    const path = join(dir, '2026-12-03T020000Z.partial');
    writeFileSync(path, `${JSON.stringify(header('2026-12-03T02:00:00Z'))}\n{oops\n{}\n`);
    await expect(resumeRun(path)).rejects.toThrow(/line 2 is not JSON/);
    writeFileSync(path, 'not a run\n');
    await expect(resumeRun(path)).rejects.toThrow(/not an mxtls run file/);
    writeFileSync(path, '{"schema":"other"}\n');
    await expect(resumeRun(path)).rejects.toThrow(/not an mxtls run file/);
    await expect(resumeRun(join(dir, 'x.jsonl'))).rejects.toThrow(/not a .partial/);
  });

  it('finds the newest and previous complete runs and the newest partial', async () => {
    const dir = tempDir();
    for (const time of ['2026-12-01T02:00:00Z', '2026-12-02T02:00:00Z', '2026-12-03T02:00:00Z']) {
      const w = await createRun(dir, header(time));
      await w.complete(summarizeRun([]), new Date(time));
    }
    const open = await createRun(dir, header('2026-12-04T02:00:00Z'));
    await open.close();
    writeFileSync(join(dir, 'notes.jsonl'), '');

    expect((await newestCompleteRun(dir))?.name).toBe('2026-12-03T020000Z');
    expect((await newestPartialRun(dir))?.path).toBe(open.path);
    const previous = await previousCompleteRun(dir, join(dir, '2026-12-03T020000Z.jsonl'));
    expect(previous?.name).toBe('2026-12-02T020000Z');
    expect(await previousCompleteRun(dir, join(dir, '2026-12-01T020000Z.jsonl'))).toBeUndefined();
    expect(await listRuns(join(dir, 'none'))).toEqual([]);
  });
});
