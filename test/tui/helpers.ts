import { EventEmitter } from 'node:events';
import { stripVTControlCharacters } from 'node:util';
import stringWidth from 'string-width';
import { changesBetween, emptySnapshot } from '../../src/core/changes.js';
import type { Finding } from '../../src/core/findings/rules.js';
import type { JsonValue } from '../../src/core/json-strict.js';
import type { LaunchSpec } from '../../src/core/launch/identity.js';
import { buildReviewServer, type ReviewModel, type ReviewServer } from '../../src/core/review.js';
import { buildSnapshot, snapshotIntegrity, type Snapshot } from '../../src/core/snapshot.js';

export function snap(tools: JsonValue[], version = '1.0.0', instructions?: string): Snapshot {
  return buildSnapshot('t', {
    era: 'handshake',
    protocolVersion: '2025-11-25',
    serverInfo: { name: 'srv', version },
    capabilities: { tools: {} },
    ...(instructions === undefined ? {} : { instructions }),
    lists: { tools, prompts: null, resources: null, resourceTemplates: null },
  });
}

export const tool = (name: string, description: string, schema: JsonValue = { type: 'object' }) => ({ name, description, inputSchema: schema });

export const launch = (version: string): LaunchSpec => ({ transport: 'stdio', command: 'npx', args: ['-y', `@acme/srv@${version}`], envNames: [] });

/** A drifted server built the way approve builds it: real snapshots, changes, sanitised text. */
export function drifted(name: string, before: Snapshot, after: Snapshot, findings: Finding[] = []): ReviewServer {
  return buildReviewServer(
    {
      name,
      status: 'drifted',
      launch: launch('1.0.0'),
      locked: {
        integrity: snapshotIntegrity(before),
        launch: launch('1.0.0'),
        protocol: { era: 'handshake', version: '2025-11-25' },
        server: { name: 'srv', version: '1.0.0' },
        snapshot: before,
      },
      live: after,
      changes: changesBetween(before, after),
      findings,
    },
    snapshotIntegrity,
  );
}

export function fresh(name: string, after: Snapshot): ReviewServer {
  return buildReviewServer(
    { name, status: 'new', launch: launch('1.0.0'), locked: undefined, live: after, changes: changesBetween(emptySnapshot(), after), findings: [] },
    snapshotIntegrity,
  );
}

export function reviewModel(...servers: ReviewServer[]): ReviewModel {
  return { phase: 'review', servers };
}

export const plain = (frame: string | undefined): string => stripVTControlCharacters(frame ?? '');

/** Every line of a frame fits the width, and the frame leaves the last terminal row free. */
export function expectFits(frame: string | undefined, columns: number, rows: number): void {
  const lines = plain(frame).split('\n');
  const widest = Math.max(...lines.map((l) => stringWidth(l)));
  if (widest > columns) throw new Error(`a line is ${widest} columns wide, more than ${columns}:\n${plain(frame)}`);
  if (lines.length > rows - 1) throw new Error(`the frame has ${lines.length} lines for ${rows} rows:\n${plain(frame)}`);
}

export const tick = (ms = 30) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until `check` passes (it throws until then): for a frame that Ink draws after a key, which
 * on a loaded machine takes longer than any fixed pause. Fails with check's own error after 10 s.
 */
export async function until(check: () => void): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await tick(10);
    }
  }
}

/** Streams for rendering with ink itself: a resizable stdout and a stdin that accepts keys. */
export class FakeStdout extends EventEmitter {
  isTTY = true;
  frames: string[] = [];
  constructor(
    public columns: number,
    public rows: number,
  ) {
    super();
  }
  write = (frame: string) => {
    this.frames.push(frame);
    return true;
  };
  lastFrame = () => this.frames[this.frames.length - 1];
  resize(columns: number, rows: number) {
    this.columns = columns;
    this.rows = rows;
    this.emit('resize');
  }
}

export class FakeStdin extends EventEmitter {
  isTTY = true;
  private data: string | null = null;
  write(data: string) {
    this.data = data;
    this.emit('readable');
    this.emit('data', data);
  }
  read = () => {
    const { data } = this;
    this.data = null;
    return data;
  };
  setEncoding() {}
  setRawMode() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
}
