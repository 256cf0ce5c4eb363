/**
 * Kubernetes' protobuf envelope: the magic `k8s\0`, then a runtime.Unknown message {typeMeta (1) {apiVersion (1),
 * kind (2)}, raw (2): the object's own message, contentEncoding (3), contentType (4)}. kind and apiVersion live only
 * in typeMeta; the object's message starts at its metadata.
 */
import type { JsonObject } from '../types.js';
import { decodeMessage, encodeMessage, UncoveredError } from './codec.js';
import { messageForKind } from './kinds.js';
import type { WireField } from './wire.js';
import { readFields, WIRE_LENGTH_DELIMITED, WireFormatError, WireWriter } from './wire.js';

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';
export const PROTOBUF_MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

export function hasProtobufMagic(body: Uint8Array): boolean {
  return body.length >= PROTOBUF_MAGIC.length && PROTOBUF_MAGIC.equals(body.subarray(0, PROTOBUF_MAGIC.length));
}

export interface Envelope {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
}

function lastText(fields: WireField[], number: number): string {
  const wire = fields.filter((f) => f.number === number).at(-1);
  if (wire === undefined) return '';
  if (wire.wireType !== WIRE_LENGTH_DELIMITED || !wire.bytes) throw new WireFormatError(`runtime.Unknown field ${number} is not length-delimited`);
  return Buffer.from(wire.bytes).toString('utf8');
}

/** Reads the envelope of a body that starts with the magic. */
export function readEnvelope(body: Uint8Array): Envelope {
  const unknown = readFields(body.subarray(PROTOBUF_MAGIC.length));
  const typeMeta = unknown.filter((f) => f.number === 1).at(-1);
  const typeFields = typeMeta?.bytes ? readFields(typeMeta.bytes) : [];
  const raw = unknown.filter((f) => f.number === 2).at(-1);
  const contentEncoding = lastText(unknown, 3);
  if (contentEncoding !== '') throw new UncoveredError(`contentEncoding ${JSON.stringify(contentEncoding)} is not supported`);
  return { apiVersion: lastText(typeFields, 1), kind: lastText(typeFields, 2), raw: raw?.bytes ?? new Uint8Array() };
}

export function writeEnvelope(apiVersion: string, kind: string, raw: Uint8Array): Buffer {
  const typeMeta = new WireWriter().writeString(1, apiVersion).writeString(2, kind).finish();
  const unknown = new WireWriter().writeBytes(1, typeMeta).writeBytes(2, raw).writeString(3, '').writeString(4, '').finish();
  return Buffer.concat([PROTOBUF_MAGIC, unknown]);
}

export class UnknownKindError extends Error {}

/** A protobuf body (magic included) as the JSON object the rest of the server handles. */
export function decodeKubeObject(body: Uint8Array): JsonObject {
  const envelope = readEnvelope(body);
  const spec = messageForKind(envelope.apiVersion, envelope.kind);
  if (!spec) throw new UnknownKindError(`${envelope.kind || '(no kind)'} in ${envelope.apiVersion || '(no apiVersion)'}`);
  return { kind: envelope.kind, apiVersion: envelope.apiVersion, ...decodeMessage(envelope.raw, spec, '') };
}

/** The protobuf form of a JSON object, or undefined when the tables do not cover every one of its fields. */
export function encodeKubeObject(object: JsonObject): Buffer | undefined {
  if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string') return undefined;
  const spec = messageForKind(object.apiVersion, object.kind);
  if (!spec) return undefined;
  try {
    return writeEnvelope(object.apiVersion, object.kind, encodeMessage(object, spec, '', ['kind', 'apiVersion']));
  } catch (error) {
    if (error instanceof UncoveredError) return undefined;
    throw error;
  }
}
