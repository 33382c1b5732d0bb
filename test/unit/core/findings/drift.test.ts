import { describe, expect, it } from 'vitest';
import { drift, firstLock, summary } from './helpers.js';

describe('drift-only rules', () => {
  const add = (properties: Record<string, unknown>, required: string[] = [], annotations?: Record<string, unknown>) =>
    ({ name: 'add', description: 'Adds.', inputSchema: { type: 'object', properties, required }, ...(annotations ? { annotations } : {}) });
  const base = { a: { type: 'integer' }, b: { type: 'integer' } };

  it.each<[string, unknown, unknown, string[]]>([
    ['new required free-text parameter (Invariant sidenote)', add(base, ['a', 'b']), add({ ...base, sidenote: { type: 'string' } }, ['a', 'b', 'sidenote']), ['high new-free-text-parameter tools:add/inputSchema/properties/sidenote']],
    ['new optional free-text parameter', add(base), add({ ...base, note: { type: 'string' } }), ['medium new-free-text-parameter tools:add/inputSchema/properties/note']],
    ['untyped parameter is free text', add(base), add({ ...base, note: {} }), ['medium new-free-text-parameter tools:add/inputSchema/properties/note']],
    ['new enum parameter', add(base), add({ ...base, mode: { type: 'string', enum: ['a', 'b'] } }), ['low new-parameter tools:add/inputSchema/properties/mode']],
    ['new integer parameter', add(base), add({ ...base, c: { type: 'integer' } }), ['low new-parameter tools:add/inputSchema/properties/c']],
    ['nested new parameter', add({ o: { type: 'object', properties: {} } }), add({ o: { type: 'object', properties: { x: { type: 'string' } } } }), ['medium new-free-text-parameter tools:add/inputSchema/properties/o/properties/x']],
    ['readOnlyHint true → false', add(base, [], { readOnlyHint: true }), add(base, [], { readOnlyHint: false }), ['high annotation-widened tools:add/annotations/readOnlyHint']],
    ['readOnlyHint true → absent (default false)', add(base, [], { readOnlyHint: true }), add(base, []), ['high annotation-widened tools:add/annotations/readOnlyHint']],
    ['destructiveHint false → true', add(base, [], { destructiveHint: false }), add(base, [], { destructiveHint: true }), ['high annotation-widened tools:add/annotations/destructiveHint']],
    ['openWorldHint false → true', add(base, [], { openWorldHint: false }), add(base, [], { openWorldHint: true }), ['high annotation-widened tools:add/annotations/openWorldHint']],
    ['readOnlyHint false → true (hosts may auto-approve, A5)', add(base, [], { readOnlyHint: false }), add(base, [], { readOnlyHint: true }), ['medium annotation-narrowed tools:add/annotations/readOnlyHint']],
    ['idempotentHint false → true', add(base, [], {}), add(base, [], { idempotentHint: true }), ['low annotation-narrowed tools:add/annotations/idempotentHint']],
    ['explicit default is no change', add(base, [], {}), add(base, [], { readOnlyHint: false, destructiveHint: true }), []],
    ['parameter removed', add(base), add({ a: base.a }), []],
  ])('%s', (_name, before, after, expected) => {
    expect(summary(drift({ tools: [before] }, { tools: [after] }))).toEqual(expected);
  });

  it('never applies on a first lock (a new tool has only new parameters)', () => {
    expect(firstLock({ tools: [add({ ...base, sidenote: { type: 'string' } }, ['sidenote'], { readOnlyHint: false })] })).toEqual([]);
  });
});
