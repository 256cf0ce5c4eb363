/**
 * meta.k8s.io/v1 Table output (what `kubectl get` asks for): CRD additionalPrinterColumns, and the usual
 * columns for the built-in kinds we serve (golden 07, 17, 23, 25).
 */
import { readPath } from './core.js';
import type { ResourceType } from './registry.js';
import type { JsonObject, KubeObject } from './types.js';
import { isJsonObject } from './types.js';

interface Column {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
  cell: (o: KubeObject) => unknown;
}

const NAME_DESCRIPTION = 'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';

export function age(timestamp: unknown, now = Date.now()): string {
  if (typeof timestamp !== 'string') return '<unknown>';
  const seconds = Math.max(0, Math.floor((now - Date.parse(timestamp)) / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return `${minutes}m${seconds % 60 > 0 ? `${seconds % 60}s` : ''}`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}

function col(name: string, cell: (o: KubeObject) => unknown, priority = 0, type = 'string', description = ''): Column {
  return { name, type, format: name === 'Name' ? 'name' : '', description, priority, cell };
}

const nameColumn = col('Name', (o) => o.metadata.name, 0, 'string', NAME_DESCRIPTION);
const ageColumn = col('Age', (o) => age(o.metadata.creationTimestamp), 0, 'string', 'CreationTimestamp is a timestamp representing the server time when this object was created.');

function spec(o: KubeObject): JsonObject {
  return isJsonObject(o.spec) ? o.spec : {};
}
function status(o: KubeObject): JsonObject {
  return isJsonObject(o.status) ? o.status : {};
}

function podColumns(): Column[] {
  const statuses = (o: KubeObject): JsonObject[] => (Array.isArray(status(o).containerStatuses) ? (status(o).containerStatuses as unknown[]).filter(isJsonObject) : []);
  return [
    nameColumn,
    col('Ready', (o) => `${statuses(o).filter((s) => s.ready === true).length}/${Array.isArray(spec(o).containers) ? (spec(o).containers as unknown[]).length : 0}`),
    col('Status', (o) => (o.metadata.deletionTimestamp ? 'Terminating' : String(status(o).reason ?? status(o).phase ?? 'Unknown'))),
    col('Restarts', (o) => String(statuses(o).reduce((n, s) => n + (typeof s.restartCount === 'number' ? s.restartCount : 0), 0))),
    ageColumn,
    col('IP', (o) => status(o).podIP ?? '<none>', 1),
    col('Node', (o) => spec(o).nodeName ?? '<none>', 1),
  ];
}

function builtinColumns(type: ResourceType): Column[] {
  switch (`${type.group}/${type.plural}`) {
    case '/pods': return podColumns();
    case '/configmaps': return [nameColumn, col('Data', (o) => Object.keys(isJsonObject(o.data) ? o.data : {}).length + Object.keys(isJsonObject(o.binaryData) ? o.binaryData : {}).length, 0, 'integer'), ageColumn];
    case '/secrets': return [nameColumn, col('Type', (o) => o.type), col('Data', (o) => Object.keys(isJsonObject(o.data) ? o.data : {}).length, 0, 'integer'), ageColumn];
    case '/services': return [
      nameColumn,
      col('Type', (o) => spec(o).type),
      col('Cluster-IP', (o) => spec(o).clusterIP ?? '<none>'),
      col('External-IP', () => '<none>'),
      col('Port(s)', (o) => (Array.isArray(spec(o).ports) ? (spec(o).ports as unknown[]).filter(isJsonObject).map((p) => `${p.port}/${p.protocol ?? 'TCP'}`).join(',') : '<none>')),
      ageColumn,
      col('Selector', (o) => (isJsonObject(spec(o).selector) ? Object.entries(spec(o).selector as JsonObject).map(([k, v]) => `${k}=${v}`).join(',') : '<none>'), 1),
    ];
    case 'apps/deployments': return [nameColumn, col('Ready', (o) => `${status(o).readyReplicas ?? 0}/${spec(o).replicas ?? 0}`), col('Up-to-date', (o) => status(o).updatedReplicas ?? 0, 0, 'integer'), col('Available', (o) => status(o).availableReplicas ?? 0, 0, 'integer'), ageColumn];
    case 'apps/statefulsets': return [nameColumn, col('Ready', (o) => `${status(o).readyReplicas ?? 0}/${spec(o).replicas ?? 0}`), ageColumn];
    case '/namespaces': return [nameColumn, col('Status', (o) => status(o).phase), ageColumn];
    case '/persistentvolumeclaims': return [nameColumn, col('Status', (o) => status(o).phase), col('Volume', (o) => spec(o).volumeName ?? ''), col('Capacity', (o) => (isJsonObject(status(o).capacity) ? (status(o).capacity as JsonObject).storage ?? '' : '')), col('Access Modes', () => ''), col('StorageClass', (o) => spec(o).storageClassName ?? '<unset>'), ageColumn];
    case '/events': return [col('Last Seen', (o) => age(o.lastTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp)), col('Type', (o) => o.type), col('Reason', (o) => o.reason), col('Object', (o) => (isJsonObject(o.involvedObject) ? `${String(o.involvedObject.kind).toLowerCase()}/${o.involvedObject.name}` : '')), col('Message', (o) => o.message)];
    case 'policy/poddisruptionbudgets': return [nameColumn, col('Min Available', (o) => spec(o).minAvailable ?? 'N/A'), col('Max Unavailable', (o) => spec(o).maxUnavailable ?? 'N/A'), col('Allowed Disruptions', (o) => status(o).disruptionsAllowed ?? 0, 0, 'integer'), ageColumn];
    case 'apiextensions.k8s.io/customresourcedefinitions': return [nameColumn, col('Created At', (o) => o.metadata.creationTimestamp, 0, 'date')];
    case 'coordination.k8s.io/leases': return [nameColumn, col('Holder', (o) => spec(o).holderIdentity ?? ''), ageColumn];
    case '/nodes': return [nameColumn, col('Status', (o) => {
      const ready = (Array.isArray(status(o).conditions) ? (status(o).conditions as unknown[]) : []).filter(isJsonObject).find((c) => c.type === 'Ready');
      return ready?.status === 'True' ? 'Ready' : 'NotReady';
    }), ageColumn];
    default: return [nameColumn, ageColumn];
  }
}

/** Evaluates the simple JSONPath forms printer columns use (`.spec.x`, `.status.conditions[?(@.type=="Ready")].status`). */
export function evalJsonPath(object: unknown, path: string): unknown {
  const filter = /^(.*)\[\?\(@\.(\w+)==["'](.*)["']\)\](.*)$/.exec(path);
  if (filter) {
    const list = readPath(object, filter[1]!);
    if (!Array.isArray(list)) return undefined;
    const item = list.find((i) => isJsonObject(i) && String(i[filter[2]!]) === filter[3]);
    return filter[4] ? readPath(item, filter[4]) : item;
  }
  const indexed = /^(.*)\[(\d+)\](.*)$/.exec(path);
  if (indexed) {
    const list = readPath(object, indexed[1]!);
    if (!Array.isArray(list)) return undefined;
    return indexed[3] ? readPath(list[Number(indexed[2])], indexed[3]) : list[Number(indexed[2])];
  }
  return readPath(object, path);
}

function customColumns(type: ResourceType): Column[] {
  const columns = type.custom!.printerColumns;
  const defined = columns.length > 0 ? columns : [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }];
  return [
    nameColumn,
    ...defined.map((c) => ({
      name: c.name,
      type: c.type,
      format: c.format ?? '',
      description: c.description ?? `Custom resource definition column (in JSONPath format): ${c.jsonPath}`,
      priority: c.priority ?? 0,
      cell: (o: KubeObject) => {
        const value = evalJsonPath(o, c.jsonPath);
        if (value === undefined) return null;
        if (c.type === 'date') return age(value);
        if (isJsonObject(value) || Array.isArray(value)) return JSON.stringify(value);
        return value;
      },
    })),
  ];
}

function partial(o: KubeObject): JsonObject {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
}

/** Builds a Table for one object or a list; `includeObject` is Metadata (default), Object or None. */
export function toTable(type: ResourceType, objects: KubeObject[], listMeta: JsonObject, includeObject: string | null, withColumns = true): JsonObject {
  const columns = type.custom ? customColumns(type) : builtinColumns(type);
  const table: JsonObject = { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: listMeta };
  table.columnDefinitions = withColumns ? columns.map(({ cell: _cell, ...definition }) => definition) : null;
  table.rows = objects.map((o) => {
    const row: JsonObject = { cells: columns.map((c) => c.cell(o) ?? null) };
    if (includeObject === 'Object') row.object = o;
    else if (includeObject === 'None') row.object = null;
    else row.object = partial(o);
    return row;
  });
  return table;
}
