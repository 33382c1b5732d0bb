// The benchmarks' server: FIXTURE_TOOL_COUNT tools (default 3), each described by
// FIXTURE_DESCRIPTION or the text of the file BENCH_DESCRIPTION_FILE (numbered) when set; `echo` answers its message, `blob` a text of
// BENCH_RESULT_BYTES bytes (default 1 MiB), built once.
import { readFileSync } from 'node:fs';
import { handshakeHandler, serve } from '../test/fixtures/servers/lib/raw-server.mjs';

const count = Number(process.env.FIXTURE_TOOL_COUNT ?? 3);
const file = process.env.BENCH_DESCRIPTION_FILE;
const described = process.env.FIXTURE_DESCRIPTION ?? (file ? readFileSync(file, 'utf8') : 'Tool number');
const tools = Array.from({ length: count }, (_, i) => ({
  name: i === 0 ? 'echo' : i === 1 ? 'blob' : `tool_${i}`,
  description: `${described} ${i}.`,
  inputSchema: { type: 'object', properties: { message: { type: 'string' }, n: { type: 'integer', enum: [1, 2, 3] } } },
}));
const blob = 'x'.repeat(Number(process.env.BENCH_RESULT_BYTES ?? 1024 * 1024));
const lists = handshakeHandler({ serverInfo: { name: 'bench', version: '1.0.0' }, capabilities: { tools: {} }, tools });

serve((message) => {
  if (message.method !== 'tools/call') return lists(message);
  const text = message.params?.name === 'blob' ? blob : String(message.params?.arguments?.message ?? '');
  return { content: [{ type: 'text', text }] };
});
