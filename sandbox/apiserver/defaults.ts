/**
 * The DefaultsEngine: built-in defaults and validation for core kinds, structural-schema defaulting,
 * pruning and validation for custom resources, and ClusterIP allocation.
 */
import type { DefaultsEngine } from './core.js';
import type { ApiCore } from './core.js';
import type { RequestContext } from './context.js';
import { fieldValidationOf } from './context.js';
import { applyBuiltinDefaults, initialStatus } from './builtin-defaults.js';
import { validateBuiltin } from './builtin-validation.js';
import { applySchemaDefaults, pruneUnknown, validateCustomResource } from './crd-schema.js';
import { defaultStorageClassName } from './default-storage-class.js';
import { NodePortAllocator } from './node-ports.js';
import { validateMetadata } from './object-meta.js';
import { strictFieldErrors } from './strict-validation.js';
import type { ResourceType } from './registry.js';
import type { FieldError } from './status-errors.js';
import { badRequest, invalid, fieldError } from './status-errors.js';
import type { JsonObject, KubeObject } from './types.js';
import { isJsonObject } from './types.js';

/**
 * ClusterIPs come from 127.1.0.0/16 (a documented divergence) so the sandbox's service proxy can bind them locally;
 * a strict server uses 127.96.0.0/16, the service-cluster-ip-range of the real control plane the node side is
 * checked against.
 */
export class ClusterIpAllocator {
  constructor(private readonly prefix = '127.1') {}

  // a random start (kube-apiserver allocates randomly too) keeps concurrent sandboxes on one machine apart
  private next = 1 + Math.floor(Math.random() * 65000);
  private readonly used = new Set<string>();

  allocate(): string {
    for (let i = 0; i < 65534; i++) {
      const n = this.next;
      this.next = this.next >= 65534 ? 1 : this.next + 1;
      const ip = `${this.prefix}.${Math.floor(n / 256)}.${n % 256}`;
      if (n % 256 === 0 || n % 256 === 255 || this.used.has(ip)) continue;
      this.used.add(ip);
      return ip;
    }
    throw new Error(`ClusterIP range ${this.range} is exhausted`);
  }

  reserve(ip: string): void {
    this.used.add(ip);
  }

  release(ip: string): void {
    this.used.delete(ip);
  }

  get range(): string {
    return `${this.prefix}.0.0/16`;
  }

  inRange(ip: string): boolean {
    const parts = ip.split('.');
    return parts.length === 4 && `${parts[0]}.${parts[1]}` === this.prefix && parts.slice(2).every((p) => /^\d{1,3}$/.test(p) && Number(p) < 256);
  }
}

function goType(value: unknown): string {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int64' : 'float64';
  if (Array.isArray(value)) return '[]interface {}';
  return 'map[string]interface{}';
}

/** The scale subresource reads spec.replicas as int64; anything else adds an accessor error (golden 15). */
function scaleAccessorErrors(type: ResourceType, object: KubeObject): FieldError[] {
  if (!type.scale) return [];
  const path = type.scale.specReplicasPath;
  const parts = path.replace(/^\./, '').split('.');
  let current: unknown = object;
  for (let i = 0; i < parts.length; i++) {
    if (current === undefined || current === null) return [];
    const expected = i === parts.length ? 'int64' : 'map[string]interface{}';
    if (!isJsonObject(current)) return [{ type: 'FieldValueInvalid', field: path, message: `Invalid value: 0: ${path} accessor error: ${String(current)} is of the type ${goType(current)}, expected ${expected}` }];
    current = current[parts[i]!];
  }
  if (current === undefined || current === null || (typeof current === 'number' && Number.isInteger(current))) return [];
  return [{ type: 'FieldValueInvalid', field: path, message: `Invalid value: 0: ${path} accessor error: ${String(current)} is of the type ${goType(current)}, expected int64` }];
}

export interface StandardDefaultsOptions {
  /** Behave like kube-apiserver where the sandbox normally diverges: see strict-validation.ts. */
  strict?: boolean;
}

export class StandardDefaults implements DefaultsEngine {
  readonly ips: ClusterIpAllocator;
  private readonly nodePorts = new NodePortAllocator();
  private readonly strict: boolean;

  constructor(private readonly core: ApiCore, options: StandardDefaultsOptions = {}) {
    this.strict = options.strict ?? false;
    this.ips = new ClusterIpAllocator(this.strict ? '127.96' : '127.1');
    core.observers.push({
      afterDelete: (type, object) => {
        if (type.group === '' && type.plural === 'services' && isJsonObject(object.spec) && typeof object.spec.clusterIP === 'string') this.ips.release(object.spec.clusterIP);
        if (type.group === '' && type.plural === 'services' && isJsonObject(object.spec) && Array.isArray(object.spec.ports)) {
          for (const port of object.spec.ports.filter(isJsonObject)) this.nodePorts.release(port.nodePort);
        }
      },
    });
  }

  /** A Service restored from the saved state keeps its ClusterIP and node ports: no new Service may take them. */
  reserveRestoredService(object: KubeObject): void {
    const spec = isJsonObject(object.spec) ? object.spec : undefined;
    if (typeof spec?.clusterIP === 'string' && this.ips.inRange(spec.clusterIP)) this.ips.reserve(spec.clusterIP);
    for (const port of Array.isArray(spec?.ports) ? spec.ports.filter(isJsonObject) : []) this.nodePorts.reserve(port.nodePort);
  }

  resetStatusOnCreate(type: ResourceType, object: KubeObject): void {
    if (type.custom) delete object.status;
    else initialStatus(type.kind, type.group, object);
  }

  async apply(ctx: RequestContext, object: KubeObject, oldObject: KubeObject | undefined): Promise<void> {
    const { type } = ctx;
    if (type.custom) {
      const schema = type.custom.schema;
      const unknown: string[] = [];
      pruneUnknown(object, schema, '', unknown, true);
      const mode = fieldValidationOf(ctx.query);
      if (unknown.length > 0 && mode === 'Strict') {
        throw badRequest(`${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: strict decoding error: ${unknown.sort().map((u) => `unknown field "${u}"`).join(', ')}`);
      }
      if (mode === 'Warn') for (const u of unknown.sort()) if (!ctx.warnings.includes(`unknown field "${u}"`)) ctx.warnings.push(`unknown field "${u}"`);
      applySchemaDefaults(object, schema);
      return;
    }
    if (type.group === '' && type.kind === 'Service') {
      const spec = isJsonObject(object.spec) ? object.spec : undefined;
      const oldSpec = oldObject && isJsonObject(oldObject.spec) ? oldObject.spec : undefined;
      if (spec && oldSpec && (spec.clusterIP === undefined || spec.clusterIP === '') && oldSpec.clusterIP) {
        spec.clusterIP = oldSpec.clusterIP;
        spec.clusterIPs = oldSpec.clusterIPs;
      }
      if (spec && typeof spec.clusterIP === 'string' && spec.clusterIP !== 'None' && spec.clusterIP !== '' && !oldSpec) {
        if (this.ips.inRange(spec.clusterIP)) this.ips.reserve(spec.clusterIP);
      }
    }
    if (type.group === '' && type.kind === 'PersistentVolumeClaim' && !oldObject && isJsonObject(object.spec) && object.spec.storageClassName === undefined) {
      const name = defaultStorageClassName(this.core.store.list('storage.k8s.io/storageclasses'));
      if (name) object.spec.storageClassName = name;
    }
    applyBuiltinDefaults(type.kind, type.group, object, () => this.ips.allocate());
    if (type.group === '' && type.kind === 'Service' && isJsonObject(object.spec)) {
      this.nodePorts.assign(object.spec, oldObject && isJsonObject(oldObject.spec) ? oldObject.spec : undefined);
    }
  }

  async validate(ctx: RequestContext, object: KubeObject, oldObject: KubeObject | undefined): Promise<FieldError[]> {
    const { type } = ctx;
    if (type.custom) {
      const metadataErrors = validateMetadata(object, type.kind);
      const errors = validateCustomResource(object as JsonObject, oldObject as JsonObject | undefined, type.custom.schema, metadataErrors, scaleAccessorErrors(type, object));
      if (ctx.subresource === undefined && type.status) return errors.filter((e) => !e.field.startsWith('status'));
      return errors;
    }
    const errors = validateBuiltin(type, object, oldObject);
    if (this.strict) errors.push(...strictFieldErrors(type.group, type.kind, object));
    if (type.group === '' && type.kind === 'Service') {
      const spec = isJsonObject(object.spec) ? object.spec : {};
      if (typeof spec.clusterIP === 'string' && spec.clusterIP !== 'None' && !this.ips.inRange(spec.clusterIP) && !oldObject) {
        errors.push({ type: 'FieldValueInvalid', field: 'spec.clusterIPs', message: `Invalid value: []string{${JSON.stringify(spec.clusterIP)}}: failed to allocate IP ${spec.clusterIP}: the provided IP (${spec.clusterIP}) is not in the valid range. The range of valid IPs is ${this.ips.range}` });
      }
    }
    return errors;
  }
}

export { invalid };
