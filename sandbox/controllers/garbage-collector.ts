// The garbage collector: watches every resource type, indexes ownerReferences, deletes dependents whose owners are
// all gone, drops dangling references, and finishes Foreground (`foregroundDeletion`) and Orphan (`orphan`)
// deletions by removing those finalizers from the owner.
import { controllerQueue, watchCache } from './kube-io.js';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { collectionPath, discoverResources, objectPath, type ApiResourceInfo } from './discovery.js';
import { objectKey, type Informer } from '../../kube/informer.js';
import { isStatus } from '../../kube/errors.js';
import type { KubeClient } from '../../kube/client.js';
import type { WorkQueue } from '../../kube/work-queue.js';

const FOREGROUND = 'foregroundDeletion';
const ORPHAN = 'orphan';
const SKIPPED = new Set(['events', 'events.k8s.io/events']);
const DISCOVERY_INTERVAL_MS = 3000;

interface Entry { info: ApiResourceInfo; obj: KubernetesObject }

export class GarbageCollector {
  private readonly informers = new Map<string, { info: ApiResourceInfo; informer: Informer<KubernetesObject> }>();
  private readonly byUid = new Map<string, Entry>();
  private readonly dependents = new Map<string, Set<string>>(); // owner uid -> dependent uids
  private readonly queue: WorkQueue;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private kinds: ApiResourceInfo[] = [];

  constructor(private readonly kc: KubeConfig, private readonly rest: KubeClient, private readonly logger: Logger) {
    this.queue = controllerQueue('garbage-collector', (uid) => this.sync(uid), logger);
  }

  async start(): Promise<void> {
    this.timer = setInterval(() => void this.refresh().catch((error: unknown) => this.logger.debug({ err: error }, 'gc discovery failed')), DISCOVERY_INTERVAL_MS);
    this.timer.unref();
    await this.refresh();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const { informer } of this.informers.values()) informer.stop();
    void this.queue.shutdown();
  }

  private async refresh(): Promise<void> {
    if (this.stopped) return;
    this.kinds = await discoverResources(this.rest);
    const wanted = this.kinds.filter((r) => ['list', 'watch', 'delete'].every((v) => r.verbs.includes(v))
      && !SKIPPED.has(r.resource) && !SKIPPED.has(`${r.group}/${r.resource}`));
    const paths = new Set<string>();
    const starts: Promise<void>[] = [];
    for (const info of wanted) {
      const path = collectionPath(info);
      paths.add(path);
      if (this.informers.has(path)) continue;
      const informer = watchCache<KubernetesObject>(this.rest, path, this.logger);
      informer.on((event, obj) => (event === 'delete' ? this.forget(obj) : this.observe(info, obj)));
      this.informers.set(path, { info, informer });
      // Resolves on the first successful list, or when a later refresh finds the kind gone and stops it.
      starts.push(informer.start());
    }
    for (const [path, { informer }] of this.informers) {
      if (!paths.has(path)) {
        informer.stop();
        this.informers.delete(path);
      }
    }
    await Promise.all(starts);
  }

  private observe(info: ApiResourceInfo, obj: KubernetesObject): void {
    const uid = obj.metadata?.uid;
    if (!uid) return;
    const previous = this.byUid.get(uid);
    for (const ref of previous?.obj.metadata?.ownerReferences ?? []) this.dependents.get(ref.uid)?.delete(uid);
    this.byUid.set(uid, { info, obj });
    for (const ref of obj.metadata?.ownerReferences ?? []) {
      let set = this.dependents.get(ref.uid);
      if (!set) this.dependents.set(ref.uid, (set = new Set()));
      set.add(uid);
    }
    if (obj.metadata?.ownerReferences?.length) this.queue.add(uid);
    if (obj.metadata?.deletionTimestamp) this.queue.add(uid);
  }

  private forget(obj: KubernetesObject): void {
    const uid = obj.metadata?.uid;
    if (!uid) return;
    for (const ref of obj.metadata?.ownerReferences ?? []) {
      this.dependents.get(ref.uid)?.delete(uid);
      // An owner waiting for its dependents (Foreground) may now be done.
      if (this.byUid.has(ref.uid)) this.queue.add(ref.uid);
    }
    this.byUid.delete(uid);
    for (const dep of this.dependents.get(uid) ?? []) this.queue.add(dep);
  }

  private kindInfo(apiVersion: string, kind: string): ApiResourceInfo | undefined {
    return this.kinds.find((k) => k.apiVersion === apiVersion && k.kind === kind);
  }

  /** True when the owner is gone: not in any cache, and a live read says 404 or shows another uid. */
  private async ownerAbsent(namespace: string | undefined, ref: { apiVersion: string; kind: string; name: string; uid: string }): Promise<boolean | undefined> {
    if (this.byUid.has(ref.uid)) return false;
    const info = this.kindInfo(ref.apiVersion, ref.kind);
    if (!info) return undefined; // unknown kind: cannot decide, as in Kubernetes
    try {
      const live = await this.rest.request<KubernetesObject>('GET', objectPath(info, info.namespaced ? namespace : undefined, ref.name));
      return live.metadata?.uid !== ref.uid;
    } catch (error: unknown) {
      if (isStatus(error, 404)) return true;
      throw error;
    }
  }

  private async sync(uid: string): Promise<void> {
    const entry = this.byUid.get(uid);
    if (!entry) return;
    const { info, obj } = entry;
    const namespace = obj.metadata?.namespace;
    if (obj.metadata?.deletionTimestamp) await this.finishOwnerDeletion(entry);
    const refs = obj.metadata?.ownerReferences ?? [];
    if (refs.length === 0 || obj.metadata?.deletionTimestamp) return;
    const absent: string[] = [];
    let foregroundOwner = false;
    for (const ref of refs) {
      const gone = await this.ownerAbsent(namespace, ref);
      if (gone) absent.push(ref.uid);
      else if (gone === false) {
        const owner = this.byUid.get(ref.uid)?.obj;
        if (owner?.metadata?.deletionTimestamp && owner.metadata.finalizers?.includes(FOREGROUND)) foregroundOwner = true;
      }
    }
    const path = objectPath(info, namespace, obj.metadata!.name!);
    if (absent.length === refs.length || (foregroundOwner && absent.length + 1 === refs.length)) {
      const policy = foregroundOwner ? 'Foreground' : 'Background';
      this.logger.debug({ object: objectKey(obj), kind: info.kind, policy }, 'garbage collecting');
      await this.rest.request('DELETE', path, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: policy, preconditions: { uid } })
        .catch((error: unknown) => { if (!isStatus(error, 404, 409)) throw error; });
    } else if (absent.length > 0) {
      const kept = refs.filter((r) => !absent.includes(r.uid));
      await this.rest.request('PATCH', path, { metadata: { ownerReferences: kept, resourceVersion: obj.metadata?.resourceVersion } }, 'application/merge-patch+json')
        .catch((error: unknown) => { if (!isStatus(error, 404)) throw error; });
    }
  }

  private async finishOwnerDeletion({ info, obj }: Entry): Promise<void> {
    const finalizers = obj.metadata?.finalizers ?? [];
    const uid = obj.metadata!.uid!;
    const deps = [...(this.dependents.get(uid) ?? [])].map((d) => this.byUid.get(d)).filter((d): d is Entry => !!d);
    let remove: string | undefined;
    if (finalizers.includes(ORPHAN)) {
      for (const dep of deps) {
        const kept = (dep.obj.metadata?.ownerReferences ?? []).filter((r) => r.uid !== uid);
        await this.rest.request('PATCH', objectPath(dep.info, dep.obj.metadata?.namespace, dep.obj.metadata!.name!),
          { metadata: { ownerReferences: kept.length ? kept : null, resourceVersion: dep.obj.metadata?.resourceVersion } }, 'application/merge-patch+json')
          .catch((error: unknown) => { if (!isStatus(error, 404)) throw error; });
      }
      remove = ORPHAN;
    } else if (finalizers.includes(FOREGROUND)) {
      let blocking = 0;
      for (const dep of deps) {
        const ref = dep.obj.metadata?.ownerReferences?.find((r) => r.uid === uid);
        if (ref?.blockOwnerDeletion) blocking++;
        if (!dep.obj.metadata?.deletionTimestamp) this.queue.add(dep.obj.metadata!.uid!);
      }
      if (blocking === 0) remove = FOREGROUND;
    }
    if (!remove) return;
    await this.rest.request('PATCH', objectPath(info, obj.metadata?.namespace, obj.metadata!.name!),
      { metadata: { finalizers: finalizers.filter((f) => f !== remove), resourceVersion: obj.metadata?.resourceVersion } }, 'application/merge-patch+json')
      .catch((error: unknown) => { if (!isStatus(error, 404)) throw error; });
  }
}
