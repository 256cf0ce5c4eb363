/**
 * Reading an admission request's body with a size cap, without a framework: the API server sends one small JSON
 * document per request, and a body parser middleware chain cost more CPU per request than the admission logic.
 * Semantics follow body-parser's `raw()` (which the webhook used before): a declared or actual size over the cap is
 * 413, `gzip`/`deflate` bodies are inflated (the cap applies to the inflated size), any other content encoding is
 * 415, and the rest of an oversized body is read and discarded so the connection stays usable.
 */
import type { IncomingMessage } from 'node:http';
import { gunzipSync, inflateSync } from 'node:zlib';
import { errorMessage } from '../shared/error-message.js';

/** Bodies above this declared size are read into one preallocated buffer (small ones arrive in one chunk anyway). */
const PREALLOCATE_FROM_BYTES = 64 * 1024;

export type BodyResult =
  | { ok: true; body: Buffer }
  | { ok: false; httpStatus: 400 | 413 | 415; message: string };

function tooLarge(maxBytes: number): BodyResult {
  return { ok: false, httpStatus: 413, message: `the request body exceeds ${maxBytes} bytes` };
}

function decode(body: Buffer, encoding: string, maxBytes: number): BodyResult {
  if (encoding === 'identity') return body.length > maxBytes ? tooLarge(maxBytes) : { ok: true, body };
  const inflate = encoding === 'gzip' ? gunzipSync : encoding === 'deflate' ? inflateSync : undefined;
  if (!inflate) return { ok: false, httpStatus: 415, message: `unsupported content encoding "${encoding}"` };
  try {
    return { ok: true, body: inflate(body, { maxOutputLength: maxBytes }) };
  } catch (error: unknown) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return tooLarge(maxBytes);
    return { ok: false, httpStatus: 400, message: `the ${encoding} request body could not be decoded: ${errorMessage(error)}` };
  }
}

function declaredLength(req: IncomingMessage): number | undefined {
  const header = req.headers['content-length'];
  const value = header === undefined || header.trim() === '' ? Number.NaN : Number(header);
  return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

function encodingOf(req: IncomingMessage): string {
  return (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
}

/**
 * The memory reading this request's body will hold at most (for the body budget, body-budget.ts): its declared
 * length when it is not compressed, nothing when that is over the cap (it is discarded unread), the cap otherwise.
 */
export function bodyBytesToReserve(req: IncomingMessage, maxBytes: number): number {
  const declared = declaredLength(req);
  if (encodingOf(req) !== 'identity' || declared === undefined) return maxBytes;
  return declared > maxBytes ? 0 : declared;
}

/**
 * Calls `done` once with the body or the reason it is refused, after the whole request has been received (an
 * answer sent before the client finished sending may reach it as a reset). Nothing is called when the client
 * aborts: there is nobody left to answer.
 */
export function readRequestBody(req: IncomingMessage, maxBytes: number, done: (result: BodyResult) => void): void {
  const encoding = encodingOf(req);
  const declared = declaredLength(req) ?? Number.NaN;
  // A compressed body's declared length says nothing about its inflated size; an identity one's does.
  let refused: BodyResult | undefined = encoding === 'identity' && declared > maxBytes ? tooLarge(maxBytes) : undefined;
  // Compressed input is capped too (generously: inflating checks the real limit), so it cannot fill memory.
  const receiveLimit = encoding === 'identity' ? maxBytes : maxBytes * 2;
  let first: Buffer | undefined;
  let chunks: Buffer[] | undefined;
  // A large body with a declared length is copied into one buffer as it arrives: collecting chunks and
  // concatenating them held it twice at the end.
  let whole = !refused && encoding === 'identity' && declared > PREALLOCATE_FROM_BYTES ? Buffer.allocUnsafe(declared) : undefined;
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    if (refused) return;
    size += chunk.length;
    if (size > receiveLimit) {
      refused = tooLarge(maxBytes);
      first = undefined;
      chunks = undefined;
      whole = undefined;
    } else if (whole) {
      // Node's parser never delivers more than the declared length; should it, the rest would be lost: refuse.
      if (size <= whole.length) chunk.copy(whole, size - chunk.length);
      else refused = { ok: false, httpStatus: 400, message: 'the request body is longer than its content-length' };
    } else if (first === undefined) {
      first = chunk;
    } else {
      (chunks ??= [first]).push(chunk);
    }
  });
  req.once('end', () => {
    if (refused) return done(refused);
    const body = whole ? whole.subarray(0, size) : chunks ? Buffer.concat(chunks, size) : first ?? Buffer.alloc(0);
    done(decode(body, encoding, maxBytes));
  });
}
