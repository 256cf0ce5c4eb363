/** A timestamp as Kubernetes serializes metav1.Time: RFC 3339 at second precision, in UTC. */
export function rfc3339(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** metav1.MicroTime (Lease renewTime, events.k8s.io eventTime): six fractional digits; JavaScript has three. */
export function microTime(date = new Date()): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
