/**
 * Console sessions: a random id in an HttpOnly, SameSite=Strict cookie, mapped to the credentials the user logged
 * in with (never the console's own), a CSRF token the page sends back in a header on every write, and an expiry.
 * Only the id leaves the server; the bearer token never reaches the browser again.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { ClusterAccess } from '../kube/cluster-access.js';
import { KubeClient } from '../kube/client.js';

export const SESSION_COOKIE = 'redwing_console';
export const CSRF_HEADER = 'x-csrf-token';
const SESSION_IDLE_MS = 8 * 3600 * 1000;

export interface Session {
  id: string;
  csrfToken: string;
  /** what the user logged in as: `kubeconfig` or `token` */
  credentials: 'kubeconfig' | 'token';
  client: KubeClient;
  lastSeenMs: number;
}

/**
 * The access a bearer token gets: the console's cluster (server and CA) with the token, and deliberately without
 * the kubeconfig's client certificate, which would otherwise authenticate the request as the kubeconfig's user.
 */
export function tokenAccess(cluster: ClusterAccess, token: string): ClusterAccess {
  const tls = cluster.tls.ca === undefined ? { rejectUnauthorized: cluster.tls.rejectUnauthorized } : { ca: cluster.tls.ca, rejectUnauthorized: cluster.tls.rejectUnauthorized };
  return { server: cluster.server, tls, headers: async () => ({ Authorization: `Bearer ${token}` }) };
}

/** `name=value` pairs of a Cookie header. Pure. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const equals = part.indexOf('=');
    if (equals > 0) cookies.set(part.slice(0, equals).trim(), decodeURIComponent(part.slice(equals + 1).trim()));
  }
  return cookies;
}

/** Constant-time comparison, so the token cannot be guessed byte by byte from response times. */
export function sameToken(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly nowMs: () => number = Date.now) {}

  create(access: ClusterAccess, credentials: Session['credentials']): Session {
    this.expire();
    const session: Session = {
      id: randomBytes(24).toString('base64url'),
      csrfToken: randomBytes(24).toString('base64url'),
      credentials,
      client: new KubeClient(access, { userAgent: 'redwing-console' }),
      lastSeenMs: this.nowMs(),
    };
    this.sessions.set(session.id, session);
    return session;
  }

  find(cookieHeader: string | undefined): Session | undefined {
    const id = parseCookies(cookieHeader).get(SESSION_COOKIE);
    const session = id ? this.sessions.get(id) : undefined;
    if (!session) return undefined;
    if (this.nowMs() - session.lastSeenMs > SESSION_IDLE_MS) {
      this.remove(session);
      return undefined;
    }
    session.lastSeenMs = this.nowMs();
    return session;
  }

  remove(session: Session): void {
    session.client.close();
    this.sessions.delete(session.id);
  }

  clear(): void {
    for (const session of [...this.sessions.values()]) this.remove(session);
  }

  private expire(): void {
    for (const session of [...this.sessions.values()]) {
      if (this.nowMs() - session.lastSeenMs > SESSION_IDLE_MS) this.remove(session);
    }
  }
}

export function sessionCookie(session: Session | undefined): string {
  return session
    ? `${SESSION_COOKIE}=${session.id}; HttpOnly; SameSite=Strict; Path=/`
    : `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`;
}
