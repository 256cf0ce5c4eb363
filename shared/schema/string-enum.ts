import { Type, type TUnsafe } from '@sinclair/typebox';

/** A string enum as `{type: string, enum: [...]}`: the shape structural CRD schemas and kubectl explain expect. */
export function StringEnum<const T extends readonly string[]>(values: T, description: string): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], description });
}
