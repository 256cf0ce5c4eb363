/** Login: the console holds no identity of its own, so the user brings one (a bearer token, or the kubeconfig). */
import { callApi, ConsoleApiError, currentSession, setSession, type SessionInfo } from './api.js';
import { el, replaceChildren } from './dom.js';

export function showLogin(root: HTMLElement, onLoggedIn: () => void): void {
  const token = el('textarea', { id: 'token', placeholder: 'a bearer token (kubectl create token <serviceaccount>, or your OIDC id-token)' });
  const error = el('div', { class: 'error', id: 'login-error' });
  const login = async (body: { token?: string }) => {
    try {
      setSession(await callApi<SessionInfo>('POST', '/api/login', body));
      onLoggedIn();
    } catch (failure) {
      error.textContent = failure instanceof ConsoleApiError ? failure.message : String(failure);
    }
  };
  replaceChildren(root, el('div', { class: 'login card' },
    el('h1', {}, 'Log in to the cluster'),
    el('p', { class: 'muted' }, 'The console acts with your credentials only: what you see and change is what your RBAC allows.'),
    currentSession().offerKubeconfig
      ? el('p', {}, el('button', { class: 'primary', type: 'button', id: 'use-kubeconfig', onclick: () => void login({}) }, 'Continue with the console\'s kubeconfig'))
      : null,
    el('label', { for: 'token' }, 'Bearer token'), token,
    el('p', {}, el('button', { type: 'button', id: 'login', onclick: () => void login({ token: token.value }) }, 'Log in with the token')),
    error));
}
