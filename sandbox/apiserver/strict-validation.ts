/**
 * What a real kube-apiserver refuses and the sandbox's own server normally accepts: loopback endpoint addresses
 * (ValidateEndpointIP in pkg/apis/core/validation). Applied only with `startApiServer({ strict: true })`, which
 * proves the node side never needs them.
 */
import { isIPv4 } from 'node:net';
import type { FieldError } from './status-errors.js';
import { fieldError } from './status-errors.js';
import type { KubeObject } from './types.js';
import { isJsonObject } from './types.js';

export const LOOPBACK_DETAIL = 'may not be in the loopback range (127.0.0.0/8, ::1/128)';

export function isLoopbackAddress(address: string): boolean {
  return (isIPv4(address) && address.startsWith('127.')) || address === '::1';
}

function endpointsErrors(object: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  const subsets = Array.isArray(object.subsets) ? object.subsets : [];
  subsets.forEach((subset, i) => {
    if (!isJsonObject(subset)) return;
    for (const list of ['addresses', 'notReadyAddresses'] as const) {
      const addresses = Array.isArray(subset[list]) ? subset[list] : [];
      addresses.forEach((address, j) => {
        const ip = isJsonObject(address) && typeof address.ip === 'string' ? address.ip : '';
        if (isLoopbackAddress(ip)) errors.push(fieldError('FieldValueInvalid', `subsets[${i}].${list}[${j}].ip`, LOOPBACK_DETAIL, ip));
      });
    }
  });
  return errors;
}

function endpointSliceErrors(object: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  if (object.addressType === 'FQDN') return errors;
  const endpoints = Array.isArray(object.endpoints) ? object.endpoints : [];
  endpoints.forEach((endpoint, i) => {
    const addresses = isJsonObject(endpoint) && Array.isArray(endpoint.addresses) ? endpoint.addresses : [];
    addresses.forEach((address, j) => {
      if (typeof address === 'string' && isLoopbackAddress(address)) errors.push(fieldError('FieldValueInvalid', `endpoints[${i}].addresses[${j}]`, LOOPBACK_DETAIL, address));
    });
  });
  return errors;
}

/** The field errors a real server adds for `group/kind` beyond the sandbox's usual validation. */
export function strictFieldErrors(group: string, kind: string, object: KubeObject): FieldError[] {
  if (group === '' && kind === 'Endpoints') return endpointsErrors(object);
  if (group === 'discovery.k8s.io' && kind === 'EndpointSlice') return endpointSliceErrors(object);
  return [];
}
