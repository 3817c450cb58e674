/**
 * Builds dist/ once before the suite, so that the tests which run `bin/mxtls.js` as a user
 * would exercise the current sources. Type errors do not stop the build here (tsc still
 * emits); `npm run typecheck` is the check for those.
 */
import { spawnSync } from 'node:child_process';

export default function setup(): void {
  const result = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (result.error) throw result.error;
}
