/** A console user for the console's API tests: a cookie jar, the CSRF token, and server-sent events read as they come. */
import http from 'node:http';

export interface ConsoleAnswer {
  status: number;
  body: Record<string, unknown>;
  /** Fetch's headers, one string per name (the console sets a single cookie). */
  headers: Record<string, string>;
}

export interface SentEvent {
  event: string;
  data: unknown;
}

export class ConsoleUser {
  cookie = '';
  csrfToken = '';

  constructor(readonly baseUrl: string) {}

  async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ConsoleAnswer> {
    const response = await fetch(new URL(path, this.baseUrl), {
      method,
      headers: {
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...(this.cookie ? { Cookie: this.cookie } : {}),
        ...(this.csrfToken && method !== 'GET' ? { 'X-CSRF-Token': this.csrfToken } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) as Record<string, unknown> : {}, headers: Object.fromEntries(response.headers) };
  }

  async login(body: { token?: string } = {}): Promise<ConsoleAnswer> {
    const answer = await this.call('POST', '/api/login', body);
    const setCookie = answer.headers['set-cookie'];
    if (answer.status === 200 && typeof setCookie === 'string') {
      this.cookie = setCookie.split(';')[0];
      this.csrfToken = String(answer.body.csrfToken);
    }
    return answer;
  }

  /** Opens an event stream; `next(event)` resolves with the next event of that name (bounded by `timeoutMs`). */
  stream(path: string): { next(event: string, timeoutMs?: number): Promise<unknown>; close(): void } {
    const received: SentEvent[] = [];
    const waiters: Array<() => void> = [];
    let buffer = '';
    const request = http.get(new URL(path, this.baseUrl), { headers: { Cookie: this.cookie, Accept: 'text/event-stream' } }, (response) => {
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) received.push({ event, data: JSON.parse(data) });
          for (const waiter of waiters.splice(0)) waiter();
        }
      });
    });
    request.on('error', () => undefined);
    return {
      async next(event, timeoutMs = 10_000) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const index = received.findIndex((candidate) => candidate.event === event);
          if (index >= 0) return received.splice(index, 1)[0].data;
          const left = deadline - Date.now();
          if (left <= 0) throw new Error(`no "${event}" event within ${timeoutMs} ms (got ${received.map((candidate) => candidate.event).join(', ') || 'nothing'})`);
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, left);
            waiters.push(() => { clearTimeout(timer); resolve(); });
          });
        }
      },
      close() {
        request.destroy();
      },
    };
  }
}
