// Small pieces shared by the sandbox controllers: label selectors, owner references, events, revision hashes.
import { createHash, randomBytes } from 'node:crypto';
import type { KubernetesObject, V1LabelSelector, V1OwnerReference } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { RestClient } from './rest.js';

export function rfc3339(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function selectorMatches(selector: V1LabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector) return false;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const expr of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(l, expr.key);
    const values = expr.values ?? [];
    switch (expr.operator) {
      case 'In': if (!has || !values.includes(l[expr.key]!)) return false; break;
      case 'NotIn': if (has && values.includes(l[expr.key]!)) return false; break;
      case 'Exists': if (!has) return false; break;
      case 'DoesNotExist': if (has) return false; break;
      default: return false;
    }
  }
  return true;
}

/** Service-style selector (a plain map); an empty or absent one selects nothing. */
export function mapSelectorMatches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

export function controllerOf(obj: KubernetesObject): V1OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

/** A 10-character hash in Kubernetes' "safe" alphabet (no vowels), as in controller-revision-hash labels. */
export function safeHash(value: unknown): string {
  const digest = createHash('sha256').update(canonical(value)).digest();
  let out = '';
  for (let i = 0; i < 10; i++) out += SAFE[digest[i]! % SAFE.length];
  return out;
}

export interface EventRecorder {
  record(obj: KubernetesObject, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

export function makeEventRecorder(rest: RestClient, component: string, logger: Logger): EventRecorder {
  return {
    record(obj, type, reason, message) {
      const namespace = obj.metadata?.namespace ?? 'default';
      const now = rfc3339();
      const event = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `${obj.metadata?.name}.${randomBytes(8).toString('hex')}`, namespace },
        involvedObject: {
          apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata?.name, namespace,
          uid: obj.metadata?.uid, resourceVersion: obj.metadata?.resourceVersion,
        },
        reason, message, type,
        source: { component },
        firstTimestamp: now, lastTimestamp: now, count: 1,
        // no reportingInstance: client-go's recorder leaves it empty, and an empty field is owned by no manager (golden 25)
        reportingComponent: component,
      };
      rest.request('POST', `/api/v1/namespaces/${namespace}/events`, event)
        .catch((error: unknown) => logger.debug({ err: error, reason }, 'could not record event'));
    },
  };
}
