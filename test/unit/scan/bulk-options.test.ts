import yargs from 'yargs';
import { describe, expect, it } from 'vitest';
import { bulkScanOptions, bulkScanSettings, formatDuration } from '../../../src/cli/scan-bulk.js';
import type { Resolver } from '../../../src/dns/types.js';

const resolver = { server: '127.0.0.1:53', query: async () => { throw new Error('unused'); } };
const probe = { resolver: resolver as unknown as Resolver };

async function parse(args: string[]) {
  const argv = await bulkScanOptions(yargs(args)).strict().parseAsync();
  return bulkScanSettings(argv as Record<string, unknown>, probe);
}

describe('bulkScanOptions and bulkScanSettings', () => {
  it('reads the empty value yargs makes of `--file -` as stdin', async () => {
    const argv = { file: '', _: ['-'] };
    expect(bulkScanSettings(argv, probe).file).toBe('-');
  });

  it('states the defaults', async () => {
    expect(await parse(['--file', 'partners.txt'])).toEqual({
      file: 'partners.txt',
      probe,
      json: false,
      concurrency: 32,
      perAddress: 1,
      perProvider: 8,
      out: 'results',
      resume: undefined,
      expiryDays: 14,
      save: true,
    });
  });

  it('reads every bulk flag, --file=- as stdin and a bare --resume as "the newest"', async () => {
    const settings = await parse([
      '--file=-', '--concurrency', '4', '--per-address', '2', '--per-provider', '3',
      '--out', 'runs', '--resume', '--expiry-days', '30', '--no-save',
    ]);
    expect(settings).toMatchObject({
      file: '-', concurrency: 4, perAddress: 2, perProvider: 3, out: 'runs', resume: '',
      expiryDays: 30, save: false,
    });
  });
});

describe('formatDuration', () => {
  it('prints seconds, minutes and hours', () => {
    expect([formatDuration(5), formatDuration(75), formatDuration(3 * 3600 + 120)]).toEqual([
      '5s', '1m15s', '3h02m',
    ]);
  });
});
