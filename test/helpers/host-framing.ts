// How real hosts cut a server's stdout into messages, for checking that each of them reads from
// `mcpm run` exactly the messages the guard judged. A host reads a line, JSON-parses it and skips
// what does not parse (the SDK reports and skips such lines), so a message hidden after a line
// break only one framing sees is a message that framing's host would act on.
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';

export const FRAMINGS = [
  /** The MCP TypeScript SDK's ReadBuffer: split at \n, strip one trailing \r. */
  'sdk-newline',
  /** Node's readline (hosts and servers written with `createInterface`): \n, \r\n and a bare \r. */
  'node-readline',
  /** Python's text-mode pipes (`io.TextIOWrapper`, universal newlines; the MCP Python SDK): \n, \r\n, \r. */
  'python-text',
  /** Python's `str.splitlines()`: the above, and \v \f \x1c \x1d \x1e U+0085 U+2028 U+2029. */
  'python-splitlines',
] as const;
export type Framing = (typeof FRAMINGS)[number];

/** What `str.splitlines()` ends a line at; \r\n is one line end. */
const SPLITLINES_BREAKS = new Set(['\n', '\r', '\v', '\f', '\x1c', '\x1d', '\x1e', '\u0085', '\u2028', '\u2029']);

function splitLines(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (!SPLITLINES_BREAKS.has(c)) continue;
    lines.push(text.slice(start, i));
    if (c === '\r' && text[i + 1] === '\n') i++;
    start = i + 1;
  }
  lines.push(text.slice(start));
  return lines;
}

/** The JSON objects a host framing `bytes` this way would read, in order. */
export async function framedMessages(bytes: Buffer, framing: Framing): Promise<Record<string, unknown>[]> {
  const text = bytes.toString('utf8');
  let lines: string[];
  switch (framing) {
    case 'sdk-newline':
      lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
      break;
    case 'node-readline':
      lines = [];
      for await (const line of createInterface({ input: Readable.from([bytes]), crlfDelay: Infinity })) lines.push(line);
      break;
    case 'python-text':
      lines = text.split(/\r\n|\r|\n/);
      break;
    case 'python-splitlines':
      lines = splitLines(text);
      break;
  }
  const messages: Record<string, unknown>[] = [];
  for (const line of lines) {
    try {
      const value: unknown = JSON.parse(line);
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) messages.push(value as Record<string, unknown>);
    } catch {
      // Not JSON: a host logs it and goes on.
    }
  }
  return messages;
}
