/**
 * Whether the Postfix suites can run. On a developer machine without Postfix they skip; in CI
 * (CI=true) a missing Postfix is an error, so the suites can never silently not run there.
 */
import { postfixAvailable } from './postfix.js';

/** True when Postfix and posttls-finger are installed; throws when CI=true and they are not. */
export function requirePostfix(): boolean {
  if (postfixAvailable()) return true;
  if (process.env.CI === 'true') {
    throw new Error('Cannot run the Postfix suites in CI: postfix is not installed');
  }
  return false;
}
