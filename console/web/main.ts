/** The console page: a hash router over the views; each view that streams returns the function that closes it. */
import { callApi, currentSession, setSession, type SessionInfo } from './api.js';
import { el, replaceChildren } from './dom.js';
import { showEditor } from './editor-view.js';
import { showLogin } from './login-view.js';
import { showPolicies } from './policies-view.js';
import { showStoreList } from './store-list-view.js';
import { showStore } from './store-view.js';

const root = document.getElementById('app') as HTMLElement;
let closeView: (() => void) | undefined;

function showWho(): void {
  const who = document.getElementById('who');
  if (!who) return;
  const session = currentSession();
  if (!session.loggedIn) {
    who.textContent = '';
    return;
  }
  replaceChildren(who, `${session.user ?? session.credentials ?? ''}${session.readOnly ? ' · read-only' : ''} `,
    el('a', { href: '#/', onclick: async () => { setSession(await callApi<SessionInfo>('POST', '/api/logout')); void route(); } }, 'log out'));
}

async function route(): Promise<void> {
  closeView?.();
  closeView = undefined;
  delete root.dataset.loaded;
  showWho();
  if (!currentSession().loggedIn) {
    showLogin(root, () => void route());
    return;
  }
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  try {
    if (parts[0] === 'stores' && parts.length === 3) closeView = showStore(root, parts[1], parts[2]);
    else if (parts[0] === 'create') await showEditor(root);
    else if (parts[0] === 'edit' && parts.length === 3) await showEditor(root, { namespace: parts[1], name: parts[2] });
    else if (parts[0] === 'policies') await showPolicies(root);
    else closeView = showStoreList(root);
  } catch (error) {
    replaceChildren(root, el('p', { class: 'error' }, error instanceof Error ? error.message : String(error)));
  }
}

window.addEventListener('hashchange', () => void route());
callApi<SessionInfo>('GET', '/api/session').then((session) => {
  setSession(session);
  return route();
}, (error: unknown) => replaceChildren(root, el('p', { class: 'error' }, `The console server does not answer: ${String(error)}`)));
