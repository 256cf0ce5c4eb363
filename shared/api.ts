/** API group, versions and kinds of Redwing's custom resources. */
export const API_GROUP = 'redwing.dev';
export const API_VERSION = 'v1alpha1';
export const API_GROUP_VERSION = `${API_GROUP}/${API_VERSION}`;

export const KVSTORE_KIND = 'KVStore';
export const KVSTORE_PLURAL = 'kvstores';
export const KVSTORE_SHORT_NAMES = ['kvs'];

export const KVPOLICY_KIND = 'KVPolicy';
export const KVPOLICY_PLURAL = 'kvpolicies';
export const KVPOLICY_SHORT_NAMES = ['kvp'];

export const KVBACKUP_KIND = 'KVBackup';
export const KVBACKUP_PLURAL = 'kvbackups';
export const KVBACKUP_SHORT_NAMES = ['kvb'];
