/** Status code and message of an API error: kube-client ApiStatusError or client-node ApiException (Status body). */

export function apiErrorStatusCode(error: unknown): number | undefined {
  if (error && typeof error === 'object') {
    const code = (error as { code?: unknown; statusCode?: unknown }).code ?? (error as { statusCode?: unknown }).statusCode;
    if (typeof code === 'number') return code;
  }
  return undefined;
}

export function apiErrorMessage(error: unknown): string {
  if (error && typeof error === 'object') {
    const body = (error as { body?: unknown }).body;
    let parsed: unknown = body;
    if (typeof body === 'string') {
      try { parsed = JSON.parse(body); } catch { parsed = undefined; }
    }
    const message = parsed && typeof parsed === 'object' ? (parsed as { message?: unknown }).message : undefined;
    if (typeof message === 'string' && message !== '') return message;
  }
  return error instanceof Error ? error.message : String(error);
}

export function isNotFound(error: unknown): boolean {
  return apiErrorStatusCode(error) === 404;
}
