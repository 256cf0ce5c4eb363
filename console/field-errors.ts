/**
 * Turns an API server refusal (a Status) into the messages the form shows next to each field. The webhook answers
 * with `details.causes[]` ({field, message}); the API server's own schema validation also names fields in causes
 * (`spec.replicas`), sometimes only in the message (`spec.replicas: Invalid value: ...`), so both are read. Pure.
 */
export interface FieldError {
  /** dotted path such as `spec.snapshot.cron` or `spec.args[2]`; empty for a message about the whole object */
  field: string;
  message: string;
}

interface StatusCause {
  field?: unknown;
  message?: unknown;
}

function causesOf(status: unknown): StatusCause[] {
  if (typeof status !== 'object' || status === null) return [];
  const details = (status as { details?: { causes?: unknown } }).details;
  return Array.isArray(details?.causes) ? details.causes as StatusCause[] : [];
}

/** `spec.replicas: Invalid value: 99: ...` or `* spec.tls.clientCaSecretName: needs ...` lines of a message. */
function fieldsInMessage(message: string): FieldError[] {
  const found: FieldError[] = [];
  for (const part of message.split(/\n|, (?=(?:metadata|spec)\.)|\[(?=(?:metadata|spec)\.)/)) {
    const match = /^\s*\*?\s*((?:metadata|spec)(?:\.[\w-]+|\[\d+\])+):\s*(.+?)\]?\s*$/.exec(part);
    if (match) found.push({ field: match[1], message: match[2] });
  }
  return found;
}

export function fieldErrorsOf(status: unknown): FieldError[] {
  const fromCauses = causesOf(status)
    .filter((cause) => typeof cause.message === 'string')
    .map((cause) => ({ field: typeof cause.field === 'string' ? cause.field : '', message: String(cause.message) }));
  if (fromCauses.some((cause) => cause.field)) return fromCauses;
  const message = typeof status === 'object' && status !== null ? (status as { message?: unknown }).message : undefined;
  const fromMessage = typeof message === 'string' ? fieldsInMessage(message) : [];
  if (fromMessage.length > 0) return fromMessage;
  return typeof message === 'string' ? [{ field: '', message }] : fromCauses;
}
