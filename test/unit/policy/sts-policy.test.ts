import { describe, expect, it } from 'vitest';
import {
  isStsRecord,
  matchesMxPattern,
  parseStsPolicy,
  parseStsRecord,
  uncoveredHosts,
} from '../../../src/policy/sts-policy.js';
import { evaluatePolicy } from '../../../src/policy/mta-sts.js';

// Field case C34: a policy with an IP address among its mx lines, a wildcard, LF endings.
const C34_LINES = [
  'version: STSv1',
  'mode: enforce',
  'max_age: 15552000',
  'mx: mail.example.com',
  'mx: *.example.com',
  'mx: mout.example.net',
  'mx: 192.0.2.56',
];

describe('parseStsPolicy on field case C34', () => {
  for (const [label, body] of [
    ['LF', `${C34_LINES.join('\n')}\n`],
    ['CRLF', `${C34_LINES.join('\r\n')}\r\n`],
    ['trailing spaces after mode', `${C34_LINES.join('\n').replace('enforce', 'enforce  ')}\n`],
  ] as const) {
    it(`accepts the ${label} variant with the IP pattern dropped and warned about`, () => {
      const parsed = parseStsPolicy(body);
      expect(parsed.problem).toBeUndefined();
      expect(parsed.policy).toEqual({
        version: 'STSv1', mode: 'enforce', maxAge: 15552000,
        mx: ['mail.example.com', '*.example.com', 'mout.example.net'], extensions: [],
      });
      expect(parsed.warnings).toEqual([{ code: 'mx-pattern-ip',
        message: 'IP address is not a valid mx pattern', value: '192.0.2.56' }]);
    });
  }

  const policy = parseStsPolicy(C34_LINES.join('\n')).policy!;

  it('covers firewall.example.com through the wildcard, so the policy is OK', () => {
    const result = evaluatePolicy(policy, [], { mx: ['firewall.example.com'] });
    expect(result.verdict).toBe('ok');
    expect(result.severity).toBe('ok');
    expect(result.uncovered).toEqual([]);
  });

  it('does not cover a.b.example.com: a hard error in enforce mode', () => {
    const result = evaluatePolicy(policy, [], { mx: ['a.b.example.com'] });
    expect(result.verdict).toBe('mx-not-covered');
    expect(result.severity).toBe('error');
    expect(result.detail).toBe('MX not covered by enforce policy: a.b.example.com');
    expect(result.uncovered).toEqual(['a.b.example.com']);
  });

  it('does not cover example.com itself with *.example.com', () => {
    expect(uncoveredHosts(policy, ['example.com'])).toEqual(['example.com']);
  });
});

describe('matchesMxPattern', () => {
  it('matches exact names case-insensitively and ignores a trailing dot', () => {
    expect(matchesMxPattern('mail.example.com', 'MAIL.Example.com.')).toBe(true);
    expect(matchesMxPattern('mail.example.com', 'mail2.example.com')).toBe(false);
  });

  it('lets *. stand for exactly one left-most label', () => {
    expect(matchesMxPattern('*.example.com', 'mx.example.com')).toBe(true);
    expect(matchesMxPattern('*.example.com', 'a.b.example.com')).toBe(false);
    expect(matchesMxPattern('*.example.com', 'example.com')).toBe(false);
    expect(matchesMxPattern('*.example.com', 'mx.example.com.evil.test')).toBe(false);
  });
});

describe('parseStsPolicy', () => {
  it('keeps unknown keys and the first of a repeated key', () => {
    const parsed = parseStsPolicy('version: STSv1\nmode: testing\nmode: enforce\n' +
      'max_age: 86400\nmx: mx.example.test\nfuture_key: some value\n');
    expect(parsed.policy?.mode).toBe('testing');
    expect(parsed.policy?.extensions).toEqual([{ key: 'future_key', value: 'some value' }]);
    expect(parsed.warnings.map((w) => w.code)).toEqual(['duplicate-key']);
  });

  it('rejects a missing version, a bad mode, a bad max_age and an empty mx list', () => {
    expect(parseStsPolicy('mode: enforce\nmax_age: 1\nmx: a.test\n').problem)
      .toBe('the policy has no version');
    expect(parseStsPolicy('version: STSv1\nmode: strict\nmax_age: 1\nmx: a.b.test\n').problem)
      .toBe('mode "strict" is not enforce, testing or none');
    expect(parseStsPolicy('version: STSv1\nmode: enforce\nmax_age: -5\nmx: a.b.test\n')
      .problem).toBe('max_age "-5" is not a number of seconds');
    expect(parseStsPolicy('version: STSv1\nmode: enforce\nmax_age: 5\nmx: 10.0.0.1\n').problem)
      .toBe('a policy in enforce mode has no valid mx pattern');
  });

  it('accepts mode none without any mx line', () => {
    const parsed = parseStsPolicy('version: STSv1\nmode: none\nmax_age: 86400\n');
    expect(parsed.policy?.mode).toBe('none');
    expect(parsed.policy?.mx).toEqual([]);
  });

  it('refuses a line that is not key: value, such as an HTML page', () => {
    expect(parseStsPolicy('<html><body>hello</body></html>').problem)
      .toMatch(/^line "<html>.*" is not key: value$/);
  });

  it('warns about bracketed IPv6 literals and names that are not domains', () => {
    const parsed = parseStsPolicy('version: STSv1\nmode: testing\nmax_age: 60\n' +
      'mx: [2001:db8::1]\nmx: bad_name.example\nmx: ok.example.test\n');
    expect(parsed.policy?.mx).toEqual(['ok.example.test']);
    expect(parsed.warnings.map((w) => w.code)).toEqual(['mx-pattern-ip', 'mx-pattern-invalid']);
  });

  it('warns when max_age is longer than a year', () => {
    const parsed = parseStsPolicy('version: STSv1\nmode: testing\nmax_age: 99999999\n' +
      'mx: a.example.test\n');
    expect(parsed.warnings.map((w) => w.code)).toEqual(['max-age-too-long']);
  });
});

describe('parseStsRecord', () => {
  it('reads id and extensions, with white space around separators and a trailing one', () => {
    const parsed = parseStsRecord('v=STSv1 ;  id=20250826 ; ext.x=1;');
    expect(parsed).toEqual({ record: { raw: 'v=STSv1 ;  id=20250826 ; ext.x=1;',
      id: '20250826', extensions: { 'ext.x': '1' } } });
  });

  it('rejects a record without id, with a long id, or with v not first', () => {
    expect(parseStsRecord('v=STSv1;')).toEqual({ problem: 'the record has no id field' });
    expect(parseStsRecord(`v=STSv1; id=${'a'.repeat(33)}`)).toHaveProperty('problem');
    expect(parseStsRecord('id=1; v=STSv1')).toEqual({
      problem: 'the record does not start with v=STSv1' });
  });

  it('tells MTA-STS records from other TXT records at the name', () => {
    expect(isStsRecord('v=STSv1; id=1')).toBe(true);
    expect(isStsRecord('v=STSv10; id=1')).toBe(false);
    expect(isStsRecord('v=spf1 -all')).toBe(false);
  });
});
