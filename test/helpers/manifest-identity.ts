/**
 * Runs a component in a test as it runs in a cluster: under its ServiceAccount, with exactly the roles shipped in
 * manifests/rbac/ (`identityFromManifests(adminKubeConfig, 'reconciler' | 'webhook')`). The sandbox enforces RBAC,
 * so a rule missing from the manifests fails the test that needs it. `redwing start` uses the same code for its
 * sandbox, hence it lives in cli/.
 */
export { identityFromManifests, readManifestObjects, type ManifestComponent } from '../../cli/service-account-identity.js';
