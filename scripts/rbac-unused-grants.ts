/**
 * Lists the grants of Redwing's shipped roles (manifests/rbac/) that no test used: run after the whole suite by
 * scripts/run-tests.mjs, over the RBAC usage every sandbox of the run recorded (test/helpers/rbac-usage.ts). A grant
 * is one verb on one resource of one API group. Exit 1 when a grant is unused and its role does not name it (with the
 * reason) in the annotation `redwing.dev/grants-no-test-reaches`: every grant is one the code is seen to need.
 *
 *   node --import tsx scripts/rbac-unused-grants.ts <usage-dir>
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

interface Rule { apiGroups?: string[]; resources?: string[]; verbs: string[]; resourceNames?: string[]; nonResourceURLs?: string[] }
interface Manifest { kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string> }; rules?: Rule[]; roleRef?: { kind: string; name: string }; subjects?: Array<{ kind: string; name: string; namespace?: string }> }

const usageDir = process.argv[2];
if (!usageDir) throw new Error('usage: rbac-unused-grants.ts <usage-dir>');

const manifests: Manifest[] = ['reconciler.yaml', 'webhook.yaml'].flatMap((file) =>
  parseAllDocuments(readFileSync(join('manifests/rbac', file), 'utf8')).map((doc) => doc.toJS() as Manifest).filter(Boolean));

const used = new Map<string, Set<string>>();
for (const file of readdirSync(usageDir).filter((name) => name.endsWith('.json'))) {
  const usage = JSON.parse(readFileSync(join(usageDir, file), 'utf8')) as { allowed: Record<string, string[]> };
  for (const [user, keys] of Object.entries(usage.allowed)) {
    const set = used.get(user) ?? new Set<string>();
    keys.forEach((key) => set.add(key));
    used.set(user, set);
  }
}

/**
 * A role may name grants whose code path no test reaches, with the reason, in the annotation
 * `redwing.dev/grants-no-test-reaches`: `verb[/verb…] group resource: reason; …`.
 */
function untestedGrants(role: Manifest | undefined): Set<string> {
  const text = role?.metadata.annotations?.['redwing.dev/grants-no-test-reaches'] ?? '';
  const keys = new Set<string>();
  for (const entry of text.split(';')) {
    const [verbs, group, resource] = entry.split(':')[0]!.trim().split(/\s+/);
    if (!verbs || !group || !resource) continue;
    for (const verb of verbs.split('/')) keys.add(`${verb} ${group} ${resource}`);
  }
  return keys;
}

const unused: string[] = [];
const excused: string[] = [];
for (const binding of manifests.filter((m) => m.kind === 'ClusterRoleBinding' || m.kind === 'RoleBinding')) {
  const role = manifests.find((m) => m.kind === binding.roleRef?.kind && m.metadata.name === binding.roleRef?.name);
  for (const subject of binding.subjects ?? []) {
    if (subject.kind !== 'ServiceAccount') continue;
    const user = `system:serviceaccount:${subject.namespace ?? binding.metadata.namespace}:${subject.name}`;
    const seen = used.get(user) ?? new Set<string>();
    const untested = untestedGrants(role);
    for (const rule of role?.rules ?? []) {
      for (const verb of rule.verbs) {
        for (const group of rule.apiGroups ?? []) {
          for (const resource of rule.resources ?? []) {
            const key = `${verb} ${group || 'core'} ${resource}`;
            // `list` and `watch` are one informer; a get by name is also a get.
            const where = `${binding.roleRef!.kind}/${binding.roleRef!.name} (${subject.name}): ${key}`;
            if (!seen.has(key)) (untested.has(key) ? excused : unused).push(where);
          }
        }
      }
    }
  }
}

console.log(`rbac: ${used.size} users seen across ${readdirSync(usageDir).length} sandboxes; ${excused.length} grants unused by tests as their role's annotation says`);
if (unused.length === 0) {
  console.log('rbac: every grant of manifests/rbac/ was used by some test');
} else {
  console.log(`rbac: ${unused.length} grants of manifests/rbac/ no test used:\n  ${unused.join('\n  ')}`);
  process.exitCode = 1;
}
