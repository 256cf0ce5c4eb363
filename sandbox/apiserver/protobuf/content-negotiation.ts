/**
 * Where protobuf meets HTTP (golden 37): protobuf request bodies become the JSON objects the handlers work on, and
 * responses are protobuf when the Accept header puts protobuf first and the tables cover every field of the
 * object. Otherwise the answer is JSON, which kubectl's Accept (`application/vnd.kubernetes.protobuf,
 * application/json`) also allows. Custom resources have no protobuf form.
 */
import { ApiError, badRequest } from '../status-errors.js';
import type { JsonObject } from '../types.js';
import { isJsonObject } from '../types.js';
import { UncoveredError } from './codec.js';
import { decodeKubeObject, encodeKubeObject, hasProtobufMagic, PROTOBUF_MAGIC, PROTOBUF_MEDIA_TYPE, UnknownKindError } from './envelope.js';
import { coveredKinds } from './kinds.js';
import { WireFormatError } from './wire.js';

const SERVABLE = new Set(['application/json', 'application/yaml', PROTOBUF_MEDIA_TYPE, 'application/*', '*/*']);

function mediaTypeOf(value: string | undefined): string {
  return (value ?? '').split(';')[0]!.trim().toLowerCase();
}

export function isProtobufMediaType(contentType: string | undefined): boolean {
  return mediaTypeOf(contentType) === PROTOBUF_MEDIA_TYPE;
}

/** The first 30 characters of a body, as kube-apiserver quotes it in decoding errors. */
export function bodySnippet(text: string): string {
  return text.length > 30 ? `${text.slice(0, 30)} ...` : text;
}

/** Decodes a request body sent as application/vnd.kubernetes.protobuf for an endpoint of kind `kind`. */
export function decodeProtobufBody(body: Buffer, kind: string): JsonObject {
  if (!hasProtobufMagic(body)) {
    throw badRequest(`the object provided is unrecognized (must be of type ${kind}): provided data does not appear to be a protobuf message, expected prefix [${[...PROTOBUF_MAGIC].join(' ')}] (${bodySnippet(body.toString('utf8'))})`);
  }
  try {
    return decodeKubeObject(body);
  } catch (error) {
    if (error instanceof UnknownKindError) {
      throw new ApiError(415, 'UnsupportedMediaType', `the sandbox API server cannot decode ${PROTOBUF_MEDIA_TYPE} bodies of kind ${error.message}: it has protobuf field tables only for ${coveredKinds().join(', ')}; send application/json`);
    }
    if (error instanceof UncoveredError) {
      throw new ApiError(415, 'UnsupportedMediaType', `the sandbox API server cannot decode this ${PROTOBUF_MEDIA_TYPE} body without losing data (${error.message}); send application/json`);
    }
    if (error instanceof WireFormatError) throw badRequest(`the object provided is unrecognized (must be of type ${kind}): ${error.message}`);
    throw new Error(`decoding a ${PROTOBUF_MEDIA_TYPE} body of kind ${kind}`, { cause: error });
  }
}

export type ProtobufAccept = 'preferred' | 'only' | undefined;

/**
 * Whether the first media range of `accept` the server can serve is plain protobuf (no `as=` conversion, which
 * the JSON path answers), and whether it is the only one.
 */
export function protobufAcceptOf(accept: string | undefined): ProtobufAccept {
  const ranges = (accept ?? '').split(',').map((raw) => ({ media: mediaTypeOf(raw), converted: /;\s*as=/.test(raw) })).filter((r) => SERVABLE.has(r.media));
  const first = ranges[0];
  if (!first || first.media !== PROTOBUF_MEDIA_TYPE || first.converted) return undefined;
  return ranges.length === 1 ? 'only' : 'preferred';
}

/**
 * Custom resources: a protobuf body gets 415 (kube-apiserver v1.32 panics and drops the connection instead, an
 * intended divergence), and an Accept of protobuf alone gets 406 with kube-apiserver's message.
 */
export function checkCustomResourceMedia(method: string, contentType: string | undefined, accept: string | undefined): void {
  if ((method === 'POST' || method === 'PUT') && isProtobufMediaType(contentType)) {
    throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (custom resources have no ${PROTOBUF_MEDIA_TYPE} form)`);
  }
  if (protobufAcceptOf(accept) === 'only') {
    throw new ApiError(406, 'NotAcceptable', `only the following media types are accepted: application/json, application/yaml, ${PROTOBUF_MEDIA_TYPE}`);
  }
}

/** The protobuf response body for `body`, or undefined to answer JSON (protobuf not first in Accept, or not covered). */
export function protobufResponseBody(accept: string | undefined, body: unknown): Buffer | undefined {
  if (protobufAcceptOf(accept) === undefined || !isJsonObject(body)) return undefined;
  return encodeKubeObject(body);
}
