/**
 * The protobuf wire format, as far as Kubernetes' generated messages use it: varints (ints, bools) and
 * length-delimited fields (strings, bytes, nested messages, map entries). Fixed32/64 are read so that a foreign
 * message can be skipped over, but no Kubernetes type we cover writes them.
 */

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LENGTH_DELIMITED = 2;
export const WIRE_FIXED32 = 5;

export interface WireField {
  number: number;
  wireType: number;
  /** The varint as a bigint (wire type 0), or the field's bytes (length-delimited and fixed). */
  varint?: bigint;
  bytes?: Uint8Array;
}

export class WireFormatError extends Error {}

function readVarint(buffer: Uint8Array, start: number): { value: bigint; next: number } {
  let value = 0n;
  let shift = 0n;
  for (let i = start; i < buffer.length && shift < 70n; i++) {
    const byte = buffer[i]!;
    value |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return { value, next: i + 1 };
    shift += 7n;
  }
  throw new WireFormatError(`truncated varint at byte ${start}`);
}

/** Splits one message into its fields, in wire order. */
export function readFields(buffer: Uint8Array): WireField[] {
  const fields: WireField[] = [];
  let offset = 0;
  while (offset < buffer.length) {
    const tag = readVarint(buffer, offset);
    offset = tag.next;
    const number = Number(tag.value >> 3n);
    const wireType = Number(tag.value & 7n);
    if (number === 0) throw new WireFormatError(`field number 0 at byte ${offset}`);
    if (wireType === WIRE_VARINT) {
      const value = readVarint(buffer, offset);
      fields.push({ number, wireType, varint: value.value });
      offset = value.next;
    } else if (wireType === WIRE_LENGTH_DELIMITED) {
      const length = readVarint(buffer, offset);
      const end = length.next + Number(length.value);
      if (end > buffer.length) throw new WireFormatError(`field ${number} runs past the end of the message`);
      fields.push({ number, wireType, bytes: buffer.subarray(length.next, end) });
      offset = end;
    } else if (wireType === WIRE_FIXED64 || wireType === WIRE_FIXED32) {
      const end = offset + (wireType === WIRE_FIXED64 ? 8 : 4);
      if (end > buffer.length) throw new WireFormatError(`field ${number} runs past the end of the message`);
      fields.push({ number, wireType, bytes: buffer.subarray(offset, end) });
      offset = end;
    } else throw new WireFormatError(`unsupported wire type ${wireType} for field ${number}`);
  }
  return fields;
}

/** Builds one message; fields come out in the order they are written (callers write ascending field numbers). */
export class WireWriter {
  private readonly chunks: Uint8Array[] = [];

  private varint(value: bigint): void {
    // negative int32/int64 values are written as their 64-bit two's complement (10 bytes), as Go does
    let rest = BigInt.asUintN(64, value);
    const bytes: number[] = [];
    do {
      const low = Number(rest & 0x7fn);
      rest >>= 7n;
      bytes.push(rest === 0n ? low : low | 0x80);
    } while (rest !== 0n);
    this.chunks.push(Uint8Array.from(bytes));
  }

  private tag(number: number, wireType: number): void {
    this.varint(BigInt((number << 3) | wireType));
  }

  writeVarint(number: number, value: bigint): this {
    this.tag(number, WIRE_VARINT);
    this.varint(value);
    return this;
  }

  writeBytes(number: number, bytes: Uint8Array): this {
    this.tag(number, WIRE_LENGTH_DELIMITED);
    this.varint(BigInt(bytes.length));
    this.chunks.push(bytes);
    return this;
  }

  writeString(number: number, text: string): this {
    return this.writeBytes(number, Buffer.from(text, 'utf8'));
  }

  finish(): Buffer {
    return Buffer.concat(this.chunks);
  }
}
