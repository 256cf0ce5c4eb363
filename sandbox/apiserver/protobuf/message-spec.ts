/**
 * Field tables for Kubernetes' generated protobuf messages (k8s.io/api generated.proto). One table drives both
 * directions, so a field the sandbox decodes is one it can encode back, and nothing outside a table is ever guessed.
 *
 * Two Go details decide the bytes and the JSON, and each field records them:
 * - `pointer`: a Go pointer field is left off the wire when unset; every other field is always written, even when
 *   it is "", 0, false or an empty struct (this is why kubectl's bodies carry `12 00` for an empty generateName).
 * - `always`: the JSON tag has no `omitempty`, so an unset value still shows in JSON (null, "", 0, false).
 * Fields are listed in Go struct order, which is the JSON key order; the wire order is ascending field numbers.
 */

export type ScalarType = 'string' | 'bytes' | 'bool' | 'int32' | 'int64';

/**
 * Types with their own protobuf shape: `time` is metav1.Time ({1: seconds, 2: nanos}, nothing when zero; JSON
 * RFC 3339 or null), `quantity` is resource.Quantity ({1: string}), `intOrString` is intstr.IntOrString
 * ({1: type, 2: intVal, 3: strVal}), `fieldsV1` is metav1.FieldsV1 ({1: raw JSON bytes}).
 */
export type SpecialType = 'time' | 'quantity' | 'intOrString' | 'fieldsV1';

export interface MessageSpec {
  /** The Go type name, for error messages. */
  name: string;
  fields: FieldSpec[];
}

export type ValueType = ScalarType | SpecialType | MessageSpec;

export interface FieldSpec {
  number: number;
  json: string;
  type: ValueType;
  /** A repeated field (JSON array). */
  list?: boolean;
  /** A map<string, type> (JSON object): repeated entry messages {1: key, 2: value}, written in sorted key order. */
  map?: boolean;
  pointer?: boolean;
  always?: boolean;
}

type FieldOptions = Omit<FieldSpec, 'number' | 'json' | 'type'>;

/** Shorthand for a table row. */
export function field(number: number, json: string, type: ValueType, options: FieldOptions = {}): FieldSpec {
  return { number, json, type, ...options };
}

export function message(name: string, fields: FieldSpec[]): MessageSpec {
  return { name, fields };
}

export function isMessageSpec(type: ValueType): type is MessageSpec {
  return typeof type === 'object';
}
