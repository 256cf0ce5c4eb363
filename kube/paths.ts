/** Collection and object paths of the kinds Redwing's processes touch. */
import { API_GROUP_VERSION } from '../shared/api.js';

const REDWING = `/apis/${API_GROUP_VERSION}`;

export const paths = {
  kvstores: (namespace?: string) => namespace ? `${REDWING}/namespaces/${namespace}/kvstores` : `${REDWING}/kvstores`,
  kvstore: (namespace: string, name: string) => `${REDWING}/namespaces/${namespace}/kvstores/${name}`,
  statefulSets: (namespace?: string) => namespace ? `/apis/apps/v1/namespaces/${namespace}/statefulsets` : '/apis/apps/v1/statefulsets',
  statefulSet: (namespace: string, name: string) => `/apis/apps/v1/namespaces/${namespace}/statefulsets/${name}`,
  core: (plural: string, namespace?: string) => namespace ? `/api/v1/namespaces/${namespace}/${plural}` : `/api/v1/${plural}`,
  coreObject: (plural: string, namespace: string, name: string) => `/api/v1/namespaces/${namespace}/${plural}/${name}`,
  leases: (namespace: string) => `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`,
  lease: (namespace: string, name: string) => `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${name}`,
  allLeases: () => '/apis/coordination.k8s.io/v1/leases',
};
