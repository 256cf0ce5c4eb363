/**
 * Protobuf message <-> JSON object, driven by the field tables. Decoding gives the JSON Go's encoding/json would
 * write for the same Go struct; encoding writes the bytes Go's generated Marshal would write. Anything a table does
 * not describe (an unknown field number, an unknown JSON key, a value of another type) is an UncoveredError, never
 * dropped: a request then gets a clear error, and a response falls back to JSON.
 */
import type { JsonObject } from '../types.js';
import { isJsonObject } from '../types.js';
import type { FieldSpec, MessageSpec, ValueType } from './message-spec.js';
import { isMessageSpec } from './message-spec.js';
import type { WireField } from './wire.js';
import { readFields, WIRE_LENGTH_DELIMITED, WIRE_VARINT, WireFormatError, WireWriter } from './wire.js';
import { rfc3339 } from '../../../shared/rfc3339.js';

export class UncoveredError extends Error {}

const GO_TIME = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)Z$/;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

function lengthDelimited(wire: WireField, path: string): Uint8Array {
  if (wire.wireType !== WIRE_LENGTH_DELIMITED || !wire.bytes) throw new WireFormatError(`${path}: expected a length-delimited field, got wire type ${wire.wireType}`);
  return wire.bytes;
}

function varint(wire: WireField, path: string): bigint {
  if (wire.wireType !== WIRE_VARINT || wire.varint === undefined) throw new WireFormatError(`${path}: expected a varint, got wire type ${wire.wireType}`);
  return wire.varint;
}

function fieldsByNumber(bytes: Uint8Array): Map<number, WireField[]> {
  const byNumber = new Map<number, WireField[]>();
  for (const wire of readFields(bytes)) {
    const list = byNumber.get(wire.number) ?? [];
    list.push(wire);
    byNumber.set(wire.number, list);
  }
  return byNumber;
}

/** Seconds since the epoch as Go's RFC 3339 JSON form of metav1.Time (whole seconds, UTC). */
function formatTime(seconds: bigint): string {
  return rfc3339(new Date(Number(seconds) * 1000));
}

function decodeValue(type: ValueType, wire: WireField, path: string): unknown {
  if (isMessageSpec(type)) return decodeMessage(lengthDelimited(wire, path), type, path);
  switch (type) {
    case 'string': return Buffer.from(lengthDelimited(wire, path)).toString('utf8');
    case 'bytes': return Buffer.from(lengthDelimited(wire, path)).toString('base64');
    case 'bool': return varint(wire, path) !== 0n;
    case 'int32': return Number(BigInt.asIntN(32, varint(wire, path)));
    case 'int64': {
      const value = BigInt.asIntN(64, varint(wire, path));
      // a JSON number holds 53 bits; a larger value would come out changed
      if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) throw new UncoveredError(`${path}: ${value} does not fit a JSON number exactly`);
      return Number(value);
    }
    case 'time': {
      const bytes = lengthDelimited(wire, path);
      // metav1.Time reads an empty message as the zero time (JSON null) and drops the nanoseconds
      if (bytes.length === 0) return null;
      const seconds = fieldsByNumber(bytes).get(1)?.at(-1);
      return formatTime(seconds ? BigInt.asIntN(64, varint(seconds, path)) : 0n);
    }
    case 'quantity': {
      const text = fieldsByNumber(lengthDelimited(wire, path)).get(1)?.at(-1);
      return text ? decodeValue('string', text, path) : '';
    }
    case 'intOrString': {
      const parts = fieldsByNumber(lengthDelimited(wire, path));
      const part = (n: number): WireField | undefined => parts.get(n)?.at(-1);
      const kind = part(1);
      if (kind && varint(kind, path) === 1n) {
        const text = part(3);
        return text ? decodeValue('string', text, path) : '';
      }
      const intVal = part(2);
      return intVal ? decodeValue('int32', intVal, path) : 0;
    }
    case 'fieldsV1': {
      const raw = fieldsByNumber(lengthDelimited(wire, path)).get(1)?.at(-1);
      const text = raw ? Buffer.from(lengthDelimited(raw, path)).toString('utf8') : '{}';
      try {
        return JSON.parse(text);
      } catch (error) {
        throw new WireFormatError(`${path}: fieldsV1 is not JSON`, { cause: error });
      }
    }
  }
}

function decodeMapEntry(type: ValueType, wire: WireField, path: string): [string, unknown] {
  const entry = fieldsByNumber(lengthDelimited(wire, path));
  const key = entry.get(1)?.at(-1);
  const keyText = key ? String(decodeValue('string', key, path)) : '';
  const value = entry.get(2)?.at(-1);
  // an entry without a value holds the type's zero value
  const zero: WireField = isScalarVarint(type) ? { number: 2, wireType: WIRE_VARINT, varint: 0n } : { number: 2, wireType: WIRE_LENGTH_DELIMITED, bytes: new Uint8Array() };
  return [keyText, decodeValue(type, value ?? zero, `${path}[${keyText}]`)];
}

function isScalarVarint(type: ValueType): boolean {
  return type === 'bool' || type === 'int32' || type === 'int64';
}

function isScalar(type: ValueType): boolean {
  return type === 'string' || type === 'bytes' || isScalarVarint(type);
}

function isZero(value: unknown): boolean {
  return value === '' || value === 0 || value === false;
}

function decodeField(spec: FieldSpec, present: WireField[], path: string): unknown {
  if (spec.list || spec.map) {
    if (present.length === 0) return spec.always ? null : undefined;
    if (spec.map) return Object.fromEntries(present.map((wire) => decodeMapEntry(spec.type, wire, path)));
    return present.map((wire, i) => decodeValue(spec.type, wire, `${path}[${i}]`));
  }
  const last = present.at(-1);
  if (last === undefined && spec.pointer) return spec.always ? null : undefined;
  const wire: WireField = last ?? (isScalarVarint(spec.type) ? { number: spec.number, wireType: WIRE_VARINT, varint: 0n } : { number: spec.number, wireType: WIRE_LENGTH_DELIMITED, bytes: new Uint8Array() });
  const value = decodeValue(spec.type, wire, path);
  // encoding/json's omitempty drops zero scalars but never a struct (a message, metav1.Time as null, an IntOrString as 0)
  if (!spec.pointer && !spec.always && isZero(value) && isScalar(spec.type)) return undefined;
  return value;
}

/** Decodes one message into its JSON object, in Go struct (JSON) key order. */
export function decodeMessage(bytes: Uint8Array, spec: MessageSpec, path: string): JsonObject {
  const byNumber = fieldsByNumber(bytes);
  for (const number of byNumber.keys()) {
    if (!spec.fields.some((f) => f.number === number)) throw new UncoveredError(`${path || spec.name}: field ${number} of ${spec.name} is not in the sandbox's tables`);
  }
  const out: JsonObject = {};
  for (const f of spec.fields) {
    const value = decodeField(f, byNumber.get(f.number) ?? [], path ? `${path}.${f.json}` : f.json);
    if (value !== undefined) out[f.json] = value;
  }
  return out;
}

function uncovered(path: string, value: unknown, expected: string): UncoveredError {
  return new UncoveredError(`${path}: ${JSON.stringify(value)} is not a ${expected}`);
}

function intOf(value: unknown, path: string, min: number, max: number): bigint {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw uncovered(path, value, 'protobuf integer');
  return BigInt(value);
}

function writeValue(writer: WireWriter, number: number, type: ValueType, value: unknown, path: string): void {
  if (isMessageSpec(type)) {
    writer.writeBytes(number, encodeMessage(value, type, path));
    return;
  }
  switch (type) {
    case 'string':
    case 'quantity': {
      if (typeof value !== 'string') throw uncovered(path, value, 'string');
      if (type === 'string') writer.writeString(number, value);
      else writer.writeBytes(number, new WireWriter().writeString(1, value).finish());
      return;
    }
    case 'bytes': {
      const bytes = typeof value === 'string' ? Buffer.from(value, 'base64') : undefined;
      if (!bytes || bytes.toString('base64') !== value) throw uncovered(path, value, 'canonical base64 string');
      writer.writeBytes(number, bytes);
      return;
    }
    case 'bool':
      if (typeof value !== 'boolean') throw uncovered(path, value, 'boolean');
      writer.writeVarint(number, value ? 1n : 0n);
      return;
    case 'int32': writer.writeVarint(number, intOf(value, path, INT32_MIN, INT32_MAX)); return;
    case 'int64': writer.writeVarint(number, intOf(value, path, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)); return;
    case 'time': {
      if (value === null) {
        writer.writeBytes(number, new Uint8Array());
        return;
      }
      const match = typeof value === 'string' ? GO_TIME.exec(value) : null;
      const millis = match ? Date.parse(`${match[1]}Z`) : NaN;
      if (Number.isNaN(millis) || formatTime(BigInt(millis / 1000)) !== value) throw uncovered(path, value, 'whole-second RFC 3339 UTC time');
      writer.writeBytes(number, new WireWriter().writeVarint(1, BigInt(millis / 1000)).writeVarint(2, 0n).finish());
      return;
    }
    case 'intOrString': {
      const inner = new WireWriter();
      if (typeof value === 'string') inner.writeVarint(1, 1n).writeVarint(2, 0n).writeString(3, value);
      else inner.writeVarint(1, 0n).writeVarint(2, intOf(value, path, INT32_MIN, INT32_MAX)).writeString(3, '');
      writer.writeBytes(number, inner.finish());
      return;
    }
    case 'fieldsV1':
      if (!isJsonObject(value)) throw uncovered(path, value, 'fieldsV1 object');
      writer.writeBytes(number, new WireWriter().writeString(1, JSON.stringify(value)).finish());
      return;
  }
}

function writeZero(writer: WireWriter, spec: FieldSpec, path: string): void {
  if (isMessageSpec(spec.type)) writer.writeBytes(spec.number, encodeMessage({}, spec.type, path));
  else if (spec.type === 'time') writer.writeBytes(spec.number, new Uint8Array());
  else if (isScalarVarint(spec.type)) writer.writeVarint(spec.number, 0n);
  else if (spec.type === 'string' || spec.type === 'bytes') writer.writeBytes(spec.number, new Uint8Array());
  else writeValue(writer, spec.number, spec.type, spec.type === 'intOrString' ? 0 : spec.type === 'quantity' ? '' : {}, path);
}

function encodeField(writer: WireWriter, spec: FieldSpec, value: unknown, path: string): void {
  if (value === undefined || value === null) {
    // Go writes every non-pointer field, zero or not; nil pointers, slices and maps are left off
    if (!spec.list && !spec.map && !spec.pointer) writeZero(writer, spec, path);
    return;
  }
  if (spec.list) {
    if (!Array.isArray(value)) throw uncovered(path, value, 'list');
    value.forEach((item, i) => writeValue(writer, spec.number, spec.type, item, `${path}[${i}]`));
    return;
  }
  if (spec.map) {
    if (!isJsonObject(value)) throw uncovered(path, value, 'map');
    // Go's generated Marshal writes map entries in sorted key order
    for (const key of Object.keys(value).sort()) {
      const entry = new WireWriter().writeString(1, key);
      writeValue(entry, 2, spec.type, value[key], `${path}[${key}]`);
      writer.writeBytes(spec.number, entry.finish());
    }
    return;
  }
  writeValue(writer, spec.number, spec.type, value, path);
}

/** Encodes a JSON object as one message; `ignoredKeys` are keys the caller carries elsewhere (kind, apiVersion). */
export function encodeMessage(value: unknown, spec: MessageSpec, path: string, ignoredKeys: readonly string[] = []): Buffer {
  if (!isJsonObject(value)) throw uncovered(path || spec.name, value, `${spec.name} object`);
  for (const [key, item] of Object.entries(value)) {
    if (item !== undefined && !ignoredKeys.includes(key) && !spec.fields.some((f) => f.json === key)) {
      throw new UncoveredError(`${path ? `${path}.${key}` : key}: ${spec.name} field is not in the sandbox's tables`);
    }
  }
  const writer = new WireWriter();
  for (const f of [...spec.fields].sort((a, b) => a.number - b.number)) encodeField(writer, f, value[f.json], path ? `${path}.${f.json}` : f.json);
  return writer.finish();
}
