/**
 * A RESP server on 127.0.0.1 that answers with what a real engine answered, byte for byte: the recordings in
 * ../shared/research/dragonfly/ (Dragonfly v1.34.1 and redis-server 7.0). Each command gets the recorded `raw` reply
 * of the first source node (scenario + node) that recorded it; a command recorded several times at a node gets its
 * replies in recorded order, the last one repeating. Where the recording has no reply (`connection`: the server
 * closed it), the connection is closed. Tests that replay skip with one line where the recordings are absent.
 *
 * The recordings are RESP2 (the recorder's client sent no HELLO). A client that opens with `HELLO 3` (ioredis 6 does)
 * is refused as by a server without RESP3 (`-NOPROTO`), and then speaks RESP2, as the recorder did. Against a real
 * server the same client negotiates RESP3; that is not what is replayed here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DRAGONFLY_RESEARCH_DIR = resolve(fileURLToPath(new URL('../..', import.meta.url)), '../shared/research/dragonfly');

/** `false` when the recordings are here, else the reason to skip. */
export const dragonflyRecordingsSkip: string | false = existsSync(DRAGONFLY_RESEARCH_DIR)
  ? false : `${DRAGONFLY_RESEARCH_DIR} is not available (the Dragonfly recordings live beside the repository)`;

export interface RecordedExchange {
  scenario: string;
  node: string;
  command: string[];
  reply: unknown;
  raw: string;
  note?: string;
  connection?: string;
}

/** `transcripts.json` (Dragonfly) or `redis-7.0-transcripts.json`; `[]` when absent. */
export function readRecordings(file: 'transcripts.json' | 'redis-7.0-transcripts.json'): RecordedExchange[] {
  const path = `${DRAGONFLY_RESEARCH_DIR}/${file}`;
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) as RecordedExchange[] : [];
}

export interface ReplaySource {
  scenario: string;
  node: string;
  /** Only the exchanges from this index of the node's recording on (a later moment of the scenario). */
  from?: number;
}

export interface ReplayOptions {
  recordings: RecordedExchange[];
  /** Looked up in order: the node under test first, then nodes whose replies stand in for what it did not record. */
  sources: ReplaySource[];
  /** Answers before the recordings (raw RESP), for state a test changes; undefined falls through to them. */
  respond?: (command: string[]) => string | undefined;
}

export interface ReplayServer {
  host: string;
  port: number;
  /** Every command received, as sent. */
  received: string[][];
  close(): Promise<void>;
}

const key = (command: string[]): string => command.map((word) => word.toLowerCase()).join(' ');

/** Parses complete RESP arrays of bulk strings off the front of `buffer`; returns them and the unparsed rest. */
export function parseRespCommands(buffer: Buffer): { commands: string[][]; rest: Buffer } {
  const commands: string[][] = [];
  let offset = 0;
  const line = (from: number): { text: string; next: number } | undefined => {
    const end = buffer.indexOf('\r\n', from);
    return end < 0 ? undefined : { text: buffer.subarray(from, end).toString('utf8'), next: end + 2 };
  };
  for (;;) {
    const header = line(offset);
    if (!header || !header.text.startsWith('*')) break;
    const count = Number(header.text.slice(1));
    let cursor = header.next;
    const words: string[] = [];
    for (let index = 0; index < count; index += 1) {
      const size = line(cursor);
      if (!size) return { commands, rest: buffer.subarray(offset) };
      const length = Number(size.text.slice(1));
      if (buffer.length < size.next + length + 2) return { commands, rest: buffer.subarray(offset) };
      words.push(buffer.subarray(size.next, size.next + length).toString('utf8'));
      cursor = size.next + length + 2;
    }
    commands.push(words);
    offset = cursor;
  }
  return { commands, rest: buffer.subarray(offset) };
}

/**
 * A source's exchanges, from `from` on. A connection that authenticated skips what was recorded before AUTH
 * (`-NOAUTH` replies), one that did not gets only those where they exist: the recorder asked some commands both ways.
 */
function exchangesOf(options: ReplayOptions, source: ReplaySource, authenticated: boolean): RecordedExchange[] {
  return options.recordings
    .filter((entry) => entry.scenario === source.scenario && entry.node === source.node)
    .slice(source.from ?? 0)
    .filter((entry) => authenticated !== entry.raw.startsWith('-NOAUTH'));
}

/**
 * The recorded exchanges answering `command` at a source: the same command, else the one sharing the longest
 * prefix of at least two words (`CONFIG SET maxmemory 600mb` takes `CONFIG SET maxmemory 500mb`'s reply).
 */
function matching(exchanges: RecordedExchange[], command: string[]): RecordedExchange[] {
  const exact = exchanges.filter((entry) => key(entry.command) === key(command));
  if (exact.length > 0) return exact;
  let best: RecordedExchange[] = [];
  let bestLength = 1;
  for (const entry of exchanges) {
    let shared = 0;
    while (shared < Math.min(entry.command.length, command.length) && entry.command[shared]!.toLowerCase() === command[shared]!.toLowerCase()) shared += 1;
    if (shared > bestLength) {
      best = [entry];
      bestLength = shared;
    } else if (shared === bestLength && shared > 1) {
      best.push(entry);
    }
  }
  return best;
}

export async function startRespReplayServer(options: ReplayOptions): Promise<ReplayServer> {
  const received: string[][] = [];
  const served = new Map<string, number>();
  const sockets = new Set<Socket>();
  const answer = (command: string[], authenticated: boolean): string | undefined => {
    if (command[0]?.toUpperCase() === 'HELLO') return '-NOPROTO the recorded replies are RESP2\r\n';
    const custom = options.respond?.(command);
    if (custom !== undefined) return custom;
    for (const source of options.sources) {
      const found = matching(exchangesOf(options, source, authenticated || command[0]?.toUpperCase() === 'AUTH'), command);
      if (found.length === 0) continue;
      const cursorKey = `${source.scenario}/${source.node}/${key(found[0]!.command)}`;
      const index = Math.min(served.get(cursorKey) ?? 0, found.length - 1);
      served.set(cursorKey, index + 1);
      const entry = found[index]!;
      return entry.connection ? undefined : entry.raw;
    }
    return `-ERR not recorded: ${command.join(' ').slice(0, 80)}\r\n`;
  };
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let pending: Buffer = Buffer.alloc(0);
    let authenticated = false;
    socket.on('data', (chunk) => {
      const parsed = parseRespCommands(Buffer.concat([pending, chunk]));
      pending = parsed.rest;
      for (const command of parsed.commands) {
        received.push(command);
        const raw = answer(command, authenticated);
        if (raw === undefined) {
          socket.destroy();
          return;
        }
        if (command[0]?.toUpperCase() === 'AUTH' && raw.startsWith('+OK')) authenticated = true;
        socket.write(raw);
      }
    });
  });
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const { port } = server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    received,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
    },
  };
}
