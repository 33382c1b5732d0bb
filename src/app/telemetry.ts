/**
 * What mcpm tells an OTLP collector: one log record per guarded call, block, drift and
 * server-initiated request (`mcpm run`), and per server `verify` judged. Fingerprints are mcpm's
 * item integrities from the lock (a tool's locked definition: its description and input schema),
 * so a collector can tell which reviewed definition a call went to. Argument values never leave
 * the machine: they may hold secrets, which is the audit log's business (with its redaction).
 *
 * Attribute names: OpenTelemetry's semantic conventions where they name the thing
 * (`gen_ai.tool.name`, `mcp.method.name`), `mcpm.*` for the rest.
 */
import type { ItemKind } from '../core/snapshot.js';
import type { LockEntry } from '../core/lockfile.js';
import type { SecretValue } from '../core/reflected-secrets.js';
import { sanitizeLine } from '../core/sanitize.js';
import type { ServerStatus } from '../core/status.js';
import type { Deps } from '../deps.js';
import { selfVersion } from '../self.js';
import type { AuditEvent, ToolCallRecord } from '../guard/relay.js';
import type { GuardEvent } from '../guard/wire-check.js';
import type { Telemetry, TelemetryRecord } from '../adapters/telemetry.js';
import { telemetryTarget } from './telemetry-target.js';

/** How long a finishing command waits for the last batch: a collector that is away costs no more. */
export const TELEMETRY_FLUSH_MS = 3000;

export interface OpenTelemetry {
  telemetry: Telemetry;
  /** Where it goes, for messages. */
  shown: string;
}

/** Telemetry when `--otlp` or an OTEL_EXPORTER_OTLP_* endpoint is set; the SDK is loaded only then. */
export async function openTelemetry(otlp: string | undefined, deps: Pick<Deps, 'env'>): Promise<OpenTelemetry | undefined> {
  const target = telemetryTarget(otlp, deps.env);
  if (target === undefined) return undefined;
  const { startTelemetry } = await import('../adapters/telemetry.js');
  return { telemetry: await startTelemetry(target, { name: 'mcpm', version: selfVersion() }), shown: target.shown };
}

/** Flushes (bounded) and says on stderr how many records did not reach the collector. */
export async function closeTelemetry(open: OpenTelemetry | undefined, deps: Pick<Deps, 'stderr'>): Promise<void> {
  if (open === undefined) return;
  const { emitted, delivered } = await open.telemetry.shutdown(TELEMETRY_FLUSH_MS);
  if (delivered < emitted) deps.stderr.write(`${sanitizeLine(`mcpm: telemetry: ${emitted - delivered} of ${emitted} record(s) not delivered to ${open.shown}`)}\n`);
}

export function verifyRecord(s: ServerStatus, offline: boolean): TelemetryRecord {
  return {
    event: 'mcpm.verify.result',
    severity: s.status === 'ok' ? 'INFO' : s.status === 'error' || s.status === 'stale' ? 'WARN' : 'ERROR',
    body: `server ${JSON.stringify(s.name)}: ${s.status}`,
    attributes: {
      'mcpm.server.name': s.name,
      'mcpm.status': s.status,
      'mcpm.offline': offline,
      'mcpm.server.integrity': s.locked?.integrity,
      'mcpm.reason': s.denial ?? s.error?.message,
    },
  };
}

export function toolCallRecord(server: string, call: ToolCallRecord, entry: LockEntry): TelemetryRecord {
  const blocked = call.outcome === 'blocked';
  return {
    event: blocked ? 'mcpm.guard.block' : 'mcpm.guard.call',
    severity: blocked ? 'WARN' : 'INFO',
    body: `${blocked ? 'blocked a call to' : 'called'} tool ${JSON.stringify(call.tool ?? '')} of server ${JSON.stringify(server)}`,
    attributes: {
      'mcpm.server.name': server,
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': call.tool,
      'mcpm.tool.integrity': call.tool === undefined ? undefined : entry.snapshot.tools.get(call.tool)?.integrity,
      'mcpm.outcome': call.outcome,
      'mcpm.duration_ms': call.durationMs,
      'mcpm.client.name': call.client?.name,
    },
  };
}

export function guardEventRecord(server: string, event: GuardEvent, entry: LockEntry): TelemetryRecord | undefined {
  const item = (kind: ItemKind, key: string | undefined) => ({
    'mcpm.item.kind': kind,
    'mcpm.item.key': key,
    'mcpm.item.integrity': key === undefined ? undefined : entry.snapshot[kind].get(key)?.integrity,
    ...(kind === 'tools' ? { 'gen_ai.tool.name': key } : {}),
  });
  switch (event.type) {
    case 'item-withheld':
      return {
        event: 'mcpm.guard.drift',
        severity: 'ERROR',
        body: `withheld ${event.kind} ${JSON.stringify(event.key ?? '')} of server ${JSON.stringify(server)}: ${event.reason}`,
        attributes: { 'mcpm.server.name': server, 'mcpm.reason': event.reason, ...item(event.kind, event.key) },
      };
    case 'field-replaced':
      return {
        event: 'mcpm.guard.drift',
        severity: 'ERROR',
        body: `replaced the ${event.field} served by server ${JSON.stringify(server)} with the locked one`,
        attributes: { 'mcpm.server.name': server, 'mcpm.reason': `${event.field}-differs`, 'mcpm.server.integrity': entry.integrity },
      };
    case 'call-blocked':
      // Tool calls are reported with their outcome (toolCallRecord); other blocked requests here.
      if (event.method === 'tools/call') return undefined;
      return {
        event: 'mcpm.guard.block',
        severity: 'WARN',
        body: `blocked ${event.method} of server ${JSON.stringify(server)}: ${event.reason}`,
        attributes: { 'mcpm.server.name': server, 'mcp.method.name': event.method, 'mcpm.reason': event.reason, ...item(event.kind, event.key) },
      };
    case 'bad-response':
      return undefined;
  }
}

export function auditEventRecord(server: string, event: AuditEvent): TelemetryRecord | undefined {
  if (event.type !== 'server-request') return undefined;
  return {
    event: 'mcpm.guard.server_request',
    severity: event.outcome === 'denied' ? 'WARN' : 'INFO',
    body: `server ${JSON.stringify(server)} sent ${event.method}: ${event.outcome}`,
    attributes: { 'mcpm.server.name': server, 'mcp.method.name': event.method, 'mcpm.outcome': event.outcome },
  };
}

export interface GuardTelemetry {
  onToolCall(call: ToolCallRecord): void;
  onAuditEvent(event: AuditEvent): void;
  onGuardEvent(event: GuardEvent): void;
  close(): Promise<void>;
}

/** Records emitted while the SDK is still loading, kept until it is ready; past this, dropped and counted. */
const MAX_EARLY_RECORDS = 256;

/**
 * The guard's telemetry, or undefined when none is asked for. The SDK loads in the background, so
 * the session starts relaying at once; records of its first moments wait in a small buffer.
 */
export function guardTelemetry(
  otlp: string | undefined,
  deps: Pick<Deps, 'env' | 'stderr'>,
  server: string,
  entry: LockEntry,
  secrets: () => Promise<readonly SecretValue[]> = async () => [],
): GuardTelemetry | undefined {
  if (telemetryTarget(otlp, deps.env) === undefined) return undefined;
  let open: OpenTelemetry | undefined;
  let early: TelemetryRecord[] | undefined = [];
  let lostEarly = 0;
  // What a server names (an item's key, a tool) can quote its configured secrets: never exported.
  let redact: ((record: TelemetryRecord) => TelemetryRecord) | undefined;
  const ready = Promise.all([openTelemetry(otlp, deps), secrets()]).then(
    async ([opened, values]) => {
      if (values.length > 0) {
        const { redactSecrets } = await import('../core/reflected-secrets.js');
        redact = (record) => redactedRecord(record, (text) => redactSecrets(text, values));
      }
      open = opened;
      for (const record of early ?? []) opened?.telemetry.emit(redact === undefined ? record : redact(record));
      early = undefined;
    },
    (error: unknown) => {
      early = undefined;
      deps.stderr.write(`${sanitizeLine(`mcpm: telemetry is off: ${error instanceof Error ? error.message : String(error)}`)}\n`);
    },
  );
  const emit = (record: TelemetryRecord | undefined) => {
    if (record === undefined) return;
    if (open) open.telemetry.emit(redact === undefined ? record : redact(record));
    else if (early && early.length < MAX_EARLY_RECORDS) early.push(record);
    else lostEarly++;
  };
  return {
    onToolCall: (call) => emit(toolCallRecord(server, call, entry)),
    onAuditEvent: (event) => emit(auditEventRecord(server, event)),
    onGuardEvent: (event) => emit(guardEventRecord(server, event, entry)),
    async close() {
      await ready;
      if (lostEarly > 0) deps.stderr.write(`mcpm: telemetry: ${lostEarly} record(s) dropped while it started\n`);
      await closeTelemetry(open, deps);
    },
  };
}

/** `record` with its body and string attributes redacted by `redact`. */
function redactedRecord(record: TelemetryRecord, redact: (text: string) => string): TelemetryRecord {
  const attributes: TelemetryRecord['attributes'] = {};
  for (const [key, value] of Object.entries(record.attributes)) attributes[key] = typeof value === 'string' ? redact(value) : value;
  return { ...record, body: redact(record.body), attributes };
}
