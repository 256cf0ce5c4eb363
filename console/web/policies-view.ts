/** KVPolicies with what the background audit found: violations and the first offenders. */
import { callApi } from './api.js';
import { age, el, replaceChildren } from './dom.js';

interface PolicyObject {
  metadata?: { name?: string };
  spec?: { enforcement?: string; rules?: Record<string, unknown> };
  status?: { violations?: number; lastAuditTime?: string; offenders?: string[] };
}

export async function showPolicies(root: HTMLElement): Promise<void> {
  const { items } = await callApi<{ items: PolicyObject[] }>('GET', '/api/policies');
  const reload = el('button', { type: 'button', onclick: () => void showPolicies(root) }, 'Reload');
  replaceChildren(root,
    el('h1', {}, 'Policies'),
    el('div', { class: 'toolbar' }, reload, el('span', { class: 'muted' }, `${items.length} KVPolicies; violations come from the webhook's background audit.`)),
    el('table', { id: 'policies' },
      el('thead', {}, el('tr', {}, ...['Name', 'Enforcement', 'Rules', 'Violations', 'Offenders', 'Audited'].map((title) => el('th', {}, title)))),
      el('tbody', {}, ...items.map((policy) => el('tr', {},
        el('td', {}, policy.metadata?.name ?? ''),
        el('td', {}, policy.spec?.enforcement ?? 'Enforce'),
        el('td', { class: 'wrap' }, Object.keys(policy.spec?.rules ?? {}).join(', ')),
        el('td', { class: (policy.status?.violations ?? 0) > 0 ? 'error' : 'ok' }, String(policy.status?.violations ?? 0)),
        el('td', { class: 'wrap' }, el('ul', {}, ...(policy.status?.offenders ?? []).map((offender) => el('li', {}, offender)))),
        el('td', {}, policy.status?.lastAuditTime ? `${age(policy.status.lastAuditTime)} ago` : 'not yet'))))));
  root.dataset.loaded = 'true';
}
