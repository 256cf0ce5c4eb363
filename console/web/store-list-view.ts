/**
 * Every store the user may see, across namespaces, kept current by the server's event stream (no polling). Rows
 * are updated in place by key, so a status change touches one row, and 500 stores draw in one pass.
 */
import { openStream } from './api.js';
import { age, el, replaceChildren } from './dom.js';
import type { StoreRow } from './feed-rows.js';

function managerText(row: StoreRow): string {
  return row.managedBy.holder ? `${row.managedBy.scope} (${row.managedBy.holder})` : row.managedBy.scope;
}

function cells(row: StoreRow): Array<string | HTMLElement> {
  return [
    el('a', { href: `#/stores/${row.namespace}/${row.name}` }, row.name),
    row.namespace, row.engine, String(row.replicas ?? ''), String(row.ready ?? ''), row.master,
    el('span', { class: `phase-${row.phase}` }, row.deleting ? 'Deleting' : row.phase),
    managerText(row), age(row.createdAt),
  ];
}

export function showStoreList(root: HTMLElement): () => void {
  const rows = new Map<string, { row: StoreRow; element: HTMLTableRowElement }>();
  const search = el('input', { type: 'text', id: 'search', placeholder: 'search name, namespace, master…', size: 32 });
  const phaseFilter = el('select', { id: 'phase-filter' }, el('option', { value: '' }, 'every phase'),
    ...['Pending', 'Creating', 'Ready', 'Failover', 'Updating', 'Degraded', 'Failed'].map((phase) => el('option', { value: phase }, phase)));
  const namespaceFilter = el('select', { id: 'namespace-filter' }, el('option', { value: '' }, 'every namespace'));
  const count = el('span', { class: 'muted', id: 'store-count' });
  const body = el('tbody');
  const message = el('div', { class: 'muted', id: 'list-status' }, 'Connecting to the cluster…');

  const matches = (row: StoreRow) => {
    const text = search.value.trim().toLowerCase();
    return (!text || `${row.namespace}/${row.name} ${row.master} ${row.engine}`.toLowerCase().includes(text))
      && (!phaseFilter.value || row.phase === phaseFilter.value)
      && (!namespaceFilter.value || row.namespace === namespaceFilter.value);
  };
  const applyFilter = () => {
    let shown = 0;
    for (const { row, element } of rows.values()) {
      const visible = matches(row);
      element.hidden = !visible;
      if (visible) shown += 1;
    }
    count.textContent = `${shown} of ${rows.size} stores`;
  };
  const refreshNamespaces = () => {
    const namespaces = [...new Set([...rows.values()].map(({ row }) => row.namespace))].sort();
    const chosen = namespaceFilter.value;
    replaceChildren(namespaceFilter, el('option', { value: '' }, 'every namespace'), ...namespaces.map((namespace) => el('option', { value: namespace }, namespace)));
    namespaceFilter.value = chosen;
  };
  const draw = (row: StoreRow): HTMLTableRowElement => {
    const element = el('tr', { 'data-key': row.key, 'data-phase': row.phase }, ...cells(row).map((cell) => el('td', {}, cell)));
    element.hidden = !matches(row);
    return element;
  };
  const upsert = (row: StoreRow) => {
    const existing = rows.get(row.key);
    const element = draw(row);
    if (existing) existing.element.replaceWith(element);
    else body.append(element);
    rows.set(row.key, { row, element });
  };
  for (const control of [search, phaseFilter, namespaceFilter]) control.addEventListener('input', applyFilter);

  replaceChildren(root,
    el('h1', {}, 'Stores'),
    el('div', { class: 'toolbar' }, search, namespaceFilter, phaseFilter, count, el('a', { href: '#/create' }, el('button', { class: 'primary', type: 'button' }, 'Create a store'))),
    message,
    el('table', { id: 'stores' },
      el('thead', {}, el('tr', {}, ...['Name', 'Namespace', 'Engine', 'Replicas', 'Ready', 'Master', 'Phase', 'Managed by', 'Age'].map((title) => el('th', {}, title)))),
      body));

  const stream = openStream('/api/events/stores', {
    snapshot: (data) => {
      // Marks for the benchmark (npm run bench:console): the list arrived, and the list is drawn.
      performance.mark('store-list-received');
      const { rows: all, managersKnown } = data as { rows: StoreRow[]; managersKnown: boolean };
      rows.clear();
      const fragment = document.createDocumentFragment();
      for (const row of all.sort((a, b) => a.key.localeCompare(b.key))) {
        const element = draw(row);
        rows.set(row.key, { row, element });
        fragment.append(element);
      }
      replaceChildren(body, fragment);
      refreshNamespaces();
      applyFilter();
      message.textContent = managersKnown ? '' : 'You may not read the namespace claims (Leases), so which operator manages each store is unknown.';
      root.dataset.loaded = 'true';
      performance.mark('store-list-rendered');
      // the layout the next frame would do anyway, done now so the benchmark can tell layout from paint
      void document.body.offsetHeight;
      performance.mark('store-list-laid-out');
      // after the frame that lays out and paints the rows (a timer queued from the frame's callback runs after it)
      requestAnimationFrame(() => setTimeout(() => performance.mark('store-list-painted')));
    },
    row: (data) => {
      const isNew = !rows.has((data as StoreRow).key);
      upsert(data as StoreRow);
      if (isNew) refreshNamespaces();
      applyFilter();
    },
    remove: (data) => {
      const key = (data as { key: string }).key;
      rows.get(key)?.element.remove();
      rows.delete(key);
      applyFilter();
    },
    failure: (data) => {
      message.textContent = (data as { message: string }).message;
      message.className = 'error';
      // The server ended the stream on purpose; reconnecting would only repeat the refusal.
      stream.close();
    },
  });
  return () => stream.close();
}
