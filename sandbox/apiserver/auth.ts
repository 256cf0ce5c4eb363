/**
 * Bearer-token authentication. The server's own admin token (user sandbox-admin, group system:masters), tokens from
 * an option or `<dir>/tokens.csv` (`token,user,uid,groups` with groups `|`- or `;`-separated, or quoted and
 * comma-separated as kube-apiserver's --token-auth-file), and ServiceAccount tokens from TokenRequest (checked by
 * the `serviceAccountTokens` callback). A request without a bearer token is anonymous, as with kube-apiserver's
 * default --anonymous-auth=true; what anyone may do is then up to RBAC (rbac/).
 */
import { existsSync, readFileSync } from 'node:fs';
import type { UserInfo } from './types.js';

export interface StaticToken {
  token: string;
  user: string;
  uid?: string;
  groups?: string[];
}

function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (const c of line) {
    if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) {
      out.push(current);
      current = '';
    } else current += c;
  }
  out.push(current);
  return out.map((s) => s.trim());
}

export function readTokenFile(path: string): StaticToken[] {
  if (!existsSync(path)) return [];
  const tokens: StaticToken[] = [];
  for (const line of readFileSync(path, 'utf8').split(/\r?\n/)) {
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    const [token, user, uid, ...rest] = parseCsvLine(line);
    if (!token || !user) continue;
    const groups = rest.join(',').split(/[|;,]/).map((g) => g.trim()).filter((g) => g !== '');
    tokens.push({ token, user, ...(uid ? { uid } : {}), groups });
  }
  return tokens;
}

export const ANONYMOUS_USER: UserInfo = { username: 'system:anonymous', groups: ['system:unauthenticated'] };

export class TokenAuthenticator {
  private readonly tokens = new Map<string, UserInfo>();

  constructor(
    private readonly tokenFile?: string,
    private readonly serviceAccountTokens?: (token: string) => UserInfo | undefined,
  ) {}

  add(token: StaticToken): void {
    const groups = [...(token.groups ?? [])];
    if (!groups.includes('system:authenticated')) groups.push('system:authenticated');
    this.tokens.set(token.token, { username: token.user, ...(token.uid ? { uid: token.uid } : {}), groups });
  }

  /** Undefined when the header carries a bearer token that is not valid (the caller answers 401). */
  authenticate(authorization: string | undefined): UserInfo | undefined {
    const match = /^Bearer\s+(.+)$/i.exec(authorization ?? '');
    if (!match) return ANONYMOUS_USER;
    const token = match[1]!.trim();
    const known = this.tokens.get(token);
    if (known) return known;
    const account = this.serviceAccountTokens?.(token);
    if (account) return account;
    // the token file is re-read on a miss so tests can add service-account tokens while the server runs
    if (this.tokenFile) for (const t of readTokenFile(this.tokenFile)) this.add(t);
    return this.tokens.get(token);
  }
}
