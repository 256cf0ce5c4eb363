/**
 * A store's page: its state as the reconciler reports it (conditions, pods with role, offset and lag, the failover
 * timeline, snapshots and KVBackups, policy compliance), its Events, and the actions, all kept current by the
 * server's stream. "Back up now" creates a KVBackup; Switchover sets the store's switchover annotation
 * (switchover-control.ts).
 */
import { callApi, ConsoleApiError, currentSession, openStream } from './api.js';
import { age, el, replaceChildren, type Child } from './dom.js';
import type { BackupRow, EventRow, PodRow } from './feed-rows.js';
import { failoverTimeline, type StoreObject } from './store-timeline.js';
import { SWITCHOVER_EXPLAINED, switchoverControl } from './switchover-control.js';

type Backups = { available: true; rows: BackupRow[] } | { available: false; reason: string };

function table(id: string, headers: string[], rows: Child[][]): HTMLTableElement {
  return el('table', { id },
    el('thead', {}, el('tr', {}, ...headers.map((header) => el('th', {}, header)))),
    el('tbody', {}, ...rows.map((cells) => el('tr', {}, ...cells.map((cell) => el('td', { class: 'wrap' }, cell))))));
}

function conditionsTable(store: StoreObject): HTMLElement {
  return table('conditions', ['Type', 'Status', 'Reason', 'Message', 'Since'], (store.status?.conditions ?? []).map((condition) => [
    condition.type, el('span', { class: condition.status === 'True' ? (condition.type === 'Degraded' ? 'error' : 'ok') : 'muted' }, condition.status),
    condition.reason ?? '', condition.message ?? '', condition.lastTransitionTime ? age(condition.lastTransitionTime) : '',
  ]));
}

function podsTable(store: StoreObject, pods: PodRow[]): HTMLElement {
  const reported = new Map((store.status?.pods ?? []).map((pod) => [pod.name, pod]));
  return table('pods', ['Pod', 'Role', 'Ready', 'Phase', 'Offset', 'Lag (bytes)', 'Restarts', 'Address'], pods.map((pod) => {
    const status = reported.get(pod.name);
    return [pod.name, el('span', { 'data-role': pod.role || status?.role || '' }, pod.role || status?.role || '—'),
      pod.ready ? el('span', { class: 'ok' }, 'yes') : el('span', { class: 'error' }, 'no'), pod.deleting ? 'Terminating' : pod.phase,
      String(status?.replicationOffset ?? ''), String(status?.lagBytes ?? ''), String(pod.restarts), pod.podIP];
  }));
}

function condition(store: StoreObject, type: string): { status?: string; reason?: string; message?: string } | undefined {
  return store.status?.conditions?.find((candidate) => candidate.type === type);
}

function snapshotsCard(store: StoreObject): HTMLElement {
  const last = store.status?.lastSnapshot;
  const snapshot = store.spec?.snapshot ?? {};
  const result = condition(store, 'SnapshotSucceeded');
  return el('div', { class: 'card', id: 'snapshots' }, el('h2', {}, 'Snapshots and backups'),
    el('div', {}, `Schedule: ${snapshot.cron ? snapshot.cron : 'none (spec.snapshot.cron)'}; destination ${snapshot.dir ?? '/data'}; saved on shutdown: ${String(snapshot.onShutdown ?? true)}`),
    last ? el('div', {}, `Last: ${last.result} on ${last.pod}, ${age(last.time)} ago, ${last.durationMs} ms`) : el('div', { class: 'muted' }, 'No snapshot yet.'),
    result ? el('div', {}, `SnapshotSucceeded=${result.status ?? ''} ${result.message ?? ''}`) : null,
    el('div', { class: 'muted' }, `Saved in the pods (/data) unless the destination is s3://. On-demand backups: "Back up now" below.`));
}

function backupsSection(backups: Backups | undefined): HTMLElement {
  if (!backups) return el('p', { id: 'backups', class: 'muted' }, 'Loading…');
  if (!backups.available) return el('p', { id: 'backups', class: 'muted' }, `KVBackups are not shown: ${backups.reason}.`);
  if (backups.rows.length === 0) return el('p', { id: 'backups', class: 'muted' }, 'No KVBackup of this store.');
  return table('backups', ['Backup', 'Phase', 'From pod', 'Size (bytes)', 'Duration', 'Where / why', 'Age'], backups.rows.map((backup) => [
    backup.name, el('span', { class: `backup-${backup.phase}`, 'data-phase': backup.phase }, backup.phase), backup.pod, String(backup.sizeBytes ?? ''),
    backup.durationMs === null ? '' : `${backup.durationMs} ms`, backup.url || backup.message, backup.created ? age(backup.created) : '',
  ]));
}

function policyCard(store: StoreObject): HTMLElement {
  const compliant = condition(store, 'PolicyCompliant');
  return el('div', { class: 'card', id: 'policy' }, el('h2', {}, 'Policy compliance'),
    compliant ? el('div', { class: compliant.status === 'True' ? 'ok' : 'error' }, `${compliant.status === 'True' ? 'Compliant' : 'Violates a KVPolicy'}: ${compliant.message ?? compliant.reason ?? ''}`)
      : el('div', { class: 'muted' }, 'No policy judgement reported.'),
    el('a', { href: '#/policies' }, 'All policies'));
}

async function act(note: HTMLElement, what: string, call: () => Promise<unknown>): Promise<void> {
  note.textContent = `${what}…`;
  note.className = 'muted';
  try {
    await call();
    note.textContent = `${what}: done`;
    note.className = 'ok';
  } catch (error) {
    note.textContent = `${what}: ${error instanceof ConsoleApiError && error.fieldErrors.length ? error.fieldErrors.map((cause) => `${cause.field} ${cause.message}`).join('; ') : (error as Error).message}`;
    note.className = 'error';
  }
}

function deletionText(store: StoreObject): string {
  return `${volumesText(store)}${finalSnapshotText(store)}`;
}

function volumesText(store: StoreObject): string {
  const persistence = store.spec?.persistence;
  if (persistence?.enabled === false) return 'The pods have no persistent volumes: every key in this store is lost.';
  return persistence?.keepAfterDeletion === false
    ? 'spec.persistence.keepAfterDeletion is false: the PersistentVolumeClaims are deleted with the store, and the data with them.'
    : 'spec.persistence.keepAfterDeletion is true: the PersistentVolumeClaims (the data) are kept; a new store of the same name in this namespace starts from them. Delete the PVCs yourself to free the space.';
}

/** The reconciler's last upload before the finalizer goes (snapshot.dir s3://, snapshot.onShutdown not false). */
function finalSnapshotText(store: StoreObject): string {
  const snapshot = store.spec?.snapshot;
  if (!snapshot?.dir?.startsWith('s3://') || snapshot.onShutdown === false) return '';
  const folder = `${snapshot.dir.replace(/\/+$/, '')}/${store.metadata?.namespace ?? ''}/${store.metadata?.name ?? ''}/`;
  return ` First, the reconciler uploads a final snapshot of the master to ${folder}<time>.shutdown.rdb (at most 5 minutes; if it fails, a Warning Event says why and the deletion goes on).`;
}

function actionsCard(store: StoreObject, path: string, note: HTMLElement, switchover: HTMLElement): HTMLElement {
  const readOnly = currentSession().readOnly;
  const replicas = el('input', { type: 'number', id: 'scale-replicas', min: 1, max: 15, value: store.spec?.replicas ?? 3, size: 4 });
  const config = el('textarea', { id: 'config-lines', rows: 3, cols: 36 });
  config.value = Object.entries(store.spec?.config ?? {}).map(([key, value]) => `${key} ${value}`).join('\n');
  const original = { ...(store.spec?.config ?? {}) };
  const configPatch = () => {
    const next: Record<string, string | null> = {};
    for (const line of config.value.split('\n').map((text) => text.trim()).filter(Boolean)) {
      const space = line.indexOf(' ');
      if (space > 0) next[line.slice(0, space)] = line.slice(space + 1).trim();
    }
    for (const key of Object.keys(original)) if (!(key in next)) next[key] = null;
    return next;
  };
  const name = store.metadata?.name ?? '';
  const snapshotDir = store.spec?.snapshot?.dir ?? '';
  const backupDir = el('input', {
    type: 'text', id: 'backup-dir', size: 30, placeholder: snapshotDir.startsWith('s3://') ? `${snapshotDir} (spec.snapshot.dir)` : 's3://bucket/prefix',
    title: 'Where the KVBackup uploads the RDB; empty: the store\'s spec.snapshot.dir, which must then be s3://',
  });
  return el('div', { class: 'card', id: 'actions', 'data-generation': store.metadata?.generation }, el('h2', {}, 'Actions'),
    readOnly ? el('div', { class: 'banner' }, 'Read-only console: actions are disabled.') : null,
    el('div', { class: 'actions' }, 'Replicas', replicas,
      el('button', { type: 'button', id: 'scale', disabled: readOnly, onclick: () => act(note, 'scale', () => callApi('POST', `${path}/scale`, { replicas: Number(replicas.value) })) }, 'Scale'),
      el('a', { href: `#/edit/${store.metadata?.namespace}/${name}` }, el('button', { type: 'button' }, 'Edit spec'))),
    el('h2', {}, 'Engine settings (spec.config, one "name value" a line)'), config,
    el('div', { class: 'actions' }, el('button', { type: 'button', id: 'save-config', disabled: readOnly, onclick: () => act(note, 'config', () => callApi('POST', `${path}/config`, { config: configPatch() })) }, 'Apply settings')),
    el('div', { class: 'actions' },
      el('button', {
        type: 'button', id: 'rotate', disabled: readOnly || store.spec?.authentication?.enabled === false,
        onclick: () => { if (confirm('Write a new random password to the store\'s Secret? The reconciler rotates it live; clients must read the Secret again.')) void act(note, 'password rotation', () => callApi('POST', `${path}/rotate-password`)); },
      }, 'Rotate password'),
      switchover,
      el('button', {
        type: 'button', id: 'back-up', disabled: readOnly,
        onclick: () => void act(note, 'backup', () => callApi('POST', `${path}/backups`, { dir: backupDir.value })),
      }, 'Back up now'), backupDir,
      el('button', {
        type: 'button', id: 'delete', class: 'danger', disabled: readOnly,
        onclick: () => { if (confirm(`Delete ${store.metadata?.namespace}/${name}?\n\n${deletionText(store)}`)) void act(note, 'delete', () => callApi('DELETE', path)); },
      }, 'Delete')),
    el('div', { class: 'muted' }, SWITCHOVER_EXPLAINED,
      'Back up now creates a KVBackup, which the reconciler runs once from a replica and uploads to S3; it appears under Backups. ', 'Deleting: ', deletionText(store)));
}

interface StoreResources {
  rows: Array<{ kind: string; name: string; detail: string }>;
  notShown: string[];
}

/**
 * The objects the reconciler made for the store, read when the page opens, when the spec or the number of pods
 * changes (what changes them), and on Refresh: not worth a watch of seven kinds per open page.
 */
function resourcesSection(path: string): { element: HTMLElement; load: () => Promise<void> } {
  const holder = el('div', { id: 'resources' });
  const load = async () => {
    try {
      const resources = await callApi<StoreResources>('GET', `${path}/resources`);
      replaceChildren(holder,
        table('resource-table', ['Kind', 'Name', 'State'], resources.rows.map((row) => [row.kind, row.name, row.detail])),
        resources.notShown.length ? el('p', { class: 'muted' }, `Not shown (you may not list them): ${resources.notShown.join(', ')}.`) : null);
    } catch (error) {
      replaceChildren(holder, el('p', { class: 'error' }, (error as Error).message));
    }
  };
  return { element: el('div', {}, el('h2', {}, 'Resources ', el('button', { type: 'button', id: 'refresh-resources', onclick: () => void load() }, 'Refresh')), holder), load };
}

export function showStore(root: HTMLElement, namespace: string, name: string): () => void {
  let store: StoreObject | null = null;
  let pods: PodRow[] = [];
  let events: EventRow[] = [];
  let backups: Backups | undefined;
  const path = `/api/stores/${namespace}/${name}`;
  const actions = el('div');
  // outside the card: an action's outcome stays shown when the spec it changed redraws the card
  const note = el('div', { id: 'action-result' });
  const live = el('div');
  let actionsFor = '';
  const resources = resourcesSection(path);
  let resourcesFor = '';
  const switchover = switchoverControl(path, note);
  const draw = () => {
    if (!store) {
      replaceChildren(live, el('p', { class: 'muted' }, `${namespace}/${name} does not exist (or was deleted).`));
      return;
    }
    const status = store.status ?? {};
    switchover.update(pods, events);
    if (resourcesFor !== `${store.metadata?.generation}/${pods.length}`) {
      resourcesFor = `${store.metadata?.generation}/${pods.length}`;
      void resources.load();
    }
    // Redrawn only when the spec changes, so an Event does not wipe what the user is typing.
    // (the generation moves with the spec only; the resourceVersion moves with every status write too)
    // A field the user is typing in is left alone; the card catches up on a later update.
    const typing = actions.contains(document.activeElement) && document.activeElement?.matches('input, textarea, select');
    if (actionsFor !== `${store.metadata?.generation}` && !typing) {
      actionsFor = `${store.metadata?.generation}`;
      replaceChildren(actions, actionsCard(store, path, note, switchover.element));
    }
    replaceChildren(live,
      el('div', { class: 'cards' },
        el('div', { class: 'card', id: 'overview' }, el('h2', {}, 'Overview'),
          el('div', {}, 'Phase ', el('span', { id: 'phase', class: `phase-${status.phase ?? 'Pending'}` }, status.phase ?? 'Pending')),
          el('div', {}, `Engine ${store.spec?.engine ?? ''} · image ${store.spec?.image ?? ''}`),
          el('div', {}, `Replicas ${status.readyReplicas ?? 0}/${store.spec?.replicas ?? ''} ready · master `, el('span', { id: 'master' }, status.master ?? '—'))),
        snapshotsCard(store), policyCard(store)),
      el('h2', {}, 'Conditions'), conditionsTable(store),
      el('h2', {}, 'Pods'), podsTable(store, pods),
      el('h2', {}, 'Failover history'), failoverTimeline(store, events),
      el('h2', {}, 'Backups'), backupsSection(backups),
      el('h2', {}, 'Events'), table('events', ['Type', 'Reason', 'Object', 'Message', 'Count', 'Age'],
        [...events].reverse().map((event) => [event.type, event.reason, event.object, event.message, String(event.count), event.time ? age(event.time) : ''])));
  };
  replaceChildren(root, el('h1', {}, `${namespace}/${name}`), live, resources.element, actions, note);
  const stream = openStream(`/api/events/stores/${namespace}/${name}`, {
    store: (data) => { store = data as StoreObject | null; draw(); root.dataset.loaded = 'true'; },
    pods: (data) => { pods = data as PodRow[]; draw(); },
    events: (data) => { events = data as EventRow[]; draw(); },
    backups: (data) => { backups = data as Backups; draw(); },
  });
  return () => stream.close();
}
