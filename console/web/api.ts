/** The page's calls to the console server: JSON with the session's CSRF token on writes, and event streams. */
export interface SessionInfo {
  loggedIn: boolean;
  readOnly: boolean;
  offerKubeconfig: boolean;
  csrfToken?: string;
  credentials?: 'kubeconfig' | 'token';
  user?: string | null;
}

export interface FieldError {
  field: string;
  message: string;
}

export class ConsoleApiError extends Error {
  constructor(readonly status: number, message: string, readonly fieldErrors: FieldError[]) {
    super(message);
  }
}

let session: SessionInfo = { loggedIn: false, readOnly: false, offerKubeconfig: false };

export function currentSession(): SessionInfo {
  return session;
}

export function setSession(next: SessionInfo): void {
  session = next;
}

export async function callApi<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && session.csrfToken) headers['X-CSRF-Token'] = session.csrfToken;
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  const parsed: unknown = await response.json().catch(() => ({}));
  if (!response.ok) {
    const answer = parsed as { message?: string; fieldErrors?: FieldError[] };
    throw new ConsoleApiError(response.status, answer.message ?? `${response.status}`, answer.fieldErrors ?? []);
  }
  return parsed as T;
}

/**
 * An EventSource whose named events are handed to `handlers` as parsed JSON. The browser reconnects by itself after
 * a network error, and the page says it is reconnecting; when the browser gives up (the server answered with an
 * error, e.g. 401 after a console restart ended the session), the page says so instead of showing still data.
 */
export function openStream(path: string, handlers: Record<string, (data: unknown) => void>): EventSource {
  const source = new EventSource(path);
  const banner = document.getElementById('connection');
  source.addEventListener('open', () => { if (banner) banner.hidden = true; });
  source.addEventListener('error', () => {
    if (!banner) return;
    banner.hidden = false;
    banner.textContent = source.readyState === EventSource.CLOSED
      ? 'The live updates stopped (the console restarted or the session ended): reload the page.'
      : 'The connection to the console dropped: reconnecting…';
  });
  for (const [event, handler] of Object.entries(handlers)) {
    source.addEventListener(event, (message) => handler(JSON.parse((message as MessageEvent<string>).data)));
  }
  return source;
}
