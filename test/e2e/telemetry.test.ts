// OTLP telemetry end to end: the real CLI exports through the OpenTelemetry SDK to a loopback
// OTLP/HTTP receiver, which decodes what arrives; a collector that is down costs records, not calls.
import { createServer } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { OtlpReceiver } from '../helpers/otlp-receiver.js';
import { TestHost } from '../helpers/test-host.js';
import { defs, mcpm, SERVERS, tempProject, tool, writeProject } from './helpers.js';

async function receiver(): Promise<OtlpReceiver> {
  const r = await OtlpReceiver.start();
  onTestFinished(() => r.close());
  return r;
}

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('OTLP telemetry', () => {
  it('verify sends one record per server, with its status and locked integrity', { timeout: 60_000 }, async () => {
    const otlp = await receiver();
    const dir = tempProject();
    writeProject(dir, { notes: { defs: defs([tool('add', 'Adds.')]) } });
    expect((await mcpm(['install', '-C', dir])).status).toBe(0);
    const lock = JSON.parse(readFileSync(join(dir, 'mcp.lock'), 'utf8')) as { servers: { notes: { integrity: string } } };
    writeProject(dir, { notes: { defs: defs([tool('add', 'Adds.')]) }, extra: { defs: defs([tool('x', 'X.')]) } });

    const verified = await mcpm(['verify', '--offline', '-C', dir, '--otlp', otlp.endpoint]);
    expect(verified.status).toBe(1);
    expect(otlp.contentTypes[0]).toBe('application/json');
    expect(otlp.records).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ eventName: 'mcpm.verify.result', severityText: 'ERROR', attributes: expect.objectContaining({ 'mcpm.server.name': 'extra', 'mcpm.status': 'new', 'mcpm.offline': true }) }),
        expect.objectContaining({ eventName: 'mcpm.verify.result', severityText: 'INFO', attributes: expect.objectContaining({ 'mcpm.server.name': 'notes', 'mcpm.status': 'ok', 'mcpm.server.integrity': lock.servers.notes.integrity }) }),
      ]),
    );
    expect(otlp.records[0]!.resource).toMatchObject({ 'service.name': 'mcpm' });
  });

  it('the guard sends calls and blocks, configured by the standard variables, never argument values', { timeout: 60_000 }, async () => {
    const otlp = await receiver();
    const dir = tempProject();
    const env = { GUARD_CALLS: join(dir, 'calls.jsonl'), GUARD_STATE: join(dir, 'state') };
    writeFileSync(join(dir, '.mcp.json'), JSON.stringify({ mcpServers: { notes: { command: process.execPath, args: [join(SERVERS, 'guard-hidden-tool.mjs')], env } } }));
    expect((await mcpm(['install', '-C', dir])).status).toBe(0);
    const lock = JSON.parse(readFileSync(join(dir, 'mcp.lock'), 'utf8')) as { servers: { notes: { snapshot: { tools: { add: { integrity: string } } } } } };

    const host = TestHost.mcpm(['run', '-C', dir, 'notes'], { env: { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint } });
    onTestFinished(() => void host.close());
    await host.initialize();
    await host.request('tools/list');
    await host.request('tools/call', { name: 'add', arguments: { a: 1, b: 2, secret: 'hunter2' } });
    await host.request('tools/call', { name: 'exfil', arguments: { data: 'the ssh key' } });
    expect((await host.close()).code).toBe(0);

    const call = otlp.records.find((r) => r.eventName === 'mcpm.guard.call');
    expect(call?.attributes).toMatchObject({ 'gen_ai.tool.name': 'add', 'mcp.method.name': 'tools/call', 'mcpm.server.name': 'notes', 'mcpm.outcome': 'ok', 'mcpm.tool.integrity': lock.servers.notes.snapshot.tools.add.integrity });
    const block = otlp.records.find((r) => r.eventName === 'mcpm.guard.block');
    expect(block).toMatchObject({ severityText: 'WARN', attributes: expect.objectContaining({ 'gen_ai.tool.name': 'exfil', 'mcpm.outcome': 'blocked' }) });
    expect(JSON.stringify(otlp.records)).not.toContain('hunter2');
    expect(JSON.stringify(otlp.records)).not.toContain('the ssh key');
  });

  it('a rug pull mid-life shows up as drift records naming the locked definition withheld', { timeout: 60_000 }, async () => {
    const otlp = await receiver();
    const dir = tempProject();
    const env = { GUARD_CALLS: join(dir, 'calls.jsonl'), GUARD_STATE: join(dir, 'state') };
    writeFileSync(join(dir, '.mcp.json'), JSON.stringify({ mcpServers: { notes: { command: process.execPath, args: [join(SERVERS, 'guard-sleeper.mjs')], env } } }));
    expect((await mcpm(['install', '-C', dir])).status).toBe(0); // the sleeper's first, benign launch
    const lock = JSON.parse(readFileSync(join(dir, 'mcp.lock'), 'utf8')) as { servers: { notes: { snapshot: { tools: { add: { integrity: string } } } } } };

    const host = TestHost.mcpm(['run', '-C', dir, '--otlp', otlp.endpoint, 'notes']);
    onTestFinished(() => void host.close());
    await host.initialize();
    await host.request('tools/list');
    expect((await host.close()).code).toBe(0);

    const drift = otlp.records.filter((r) => r.eventName === 'mcpm.guard.drift');
    expect(drift).toContainEqual(
      expect.objectContaining({
        severityText: 'ERROR',
        attributes: expect.objectContaining({ 'mcpm.item.kind': 'tools', 'gen_ai.tool.name': 'add', 'mcpm.reason': 'drifted', 'mcpm.item.integrity': lock.servers.notes.snapshot.tools.add.integrity }),
      }),
    );
  });

  it('a collector that is down costs records, counted on stderr, and never the run', { timeout: 60_000 }, async () => {
    const dir = tempProject();
    writeProject(dir, { notes: { defs: defs([tool('add', 'Adds.')]) } });
    expect((await mcpm(['install', '-C', dir])).status).toBe(0);
    const started = performance.now();
    const verified = await mcpm(['verify', '--offline', '-C', dir, '--otlp', `http://127.0.0.1:${await closedPort()}`]);
    expect(verified.status, verified.stderr).toBe(0);
    expect(verified.stderr).toMatch(/mcpm: telemetry: 1 of 1 record\(s\) not delivered to http:\/\/127\.0\.0\.1:\d+\/v1\/logs/);
    // Bounded by the flush limit (3 s), whatever the exporter's retries would take.
    expect(performance.now() - started).toBeLessThan(20_000);
  });
});
