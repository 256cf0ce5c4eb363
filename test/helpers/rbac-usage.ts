/**
 * RBAC as the end-to-end tests check it: Redwing's ServiceAccounts run with exactly the shipped roles, any request
 * of theirs that RBAC refuses fails the test (a missing grant fails in a cluster too), and what they were allowed is
 * collected so that `npm test` can list the grants no test used (scripts/rbac-unused-grants.ts).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RbacUsage } from '../../sandbox/apiserver/rbac/audit.js';

export const REDWING_ACCOUNT_PREFIX = 'system:serviceaccount:redwing-system:';

/**
 * Writes the usage to `$REDWING_RBAC_USAGE_DIR` (set by scripts/run-tests.mjs), then throws on a refusal to Redwing
 * other than those `expectedRefusals` matches (a test that takes a grant away on purpose).
 */
export function checkRbacUsage(usage: RbacUsage, label: string, expectedRefusals?: RegExp): void {
  const dir = process.env.REDWING_RBAC_USAGE_DIR;
  if (dir) writeFileSync(join(dir, `${process.pid}-${Date.now()}-${label.replace(/[^a-z0-9-]/gi, '_')}.json`), JSON.stringify(usage));
  const refused = Object.entries(usage.denied).filter(([user]) => user.startsWith(REDWING_ACCOUNT_PREFIX))
    .flatMap(([user, accesses]) => accesses.map((access) => `${user}: ${access}`))
    .filter((refusal) => !expectedRefusals?.test(refusal));
  if (refused.length > 0) {
    throw new Error(`RBAC refused Redwing's own requests (a grant is missing in manifests/rbac/):\n  ${refused.join('\n  ')}`);
  }
}
