/**
 * OTLP logs through the official OpenTelemetry JS SDK: the guard's events and verify's results,
 * sent to one collector an organisation watches. Loaded only when `--otlp` or an
 * `OTEL_EXPORTER_OTLP_*` endpoint is set, and its SDK packages only when telemetry starts, so
 * `mcpm run` pays nothing otherwise.
 *
 * Emitting never waits: a record goes into the SDK's batch queue and is exported later, off the
 * relay's path. A collector that is down or slow costs records, never a call: a full queue drops
 * (the SDK's BatchLogRecordProcessor), a failed export drops its batch, and the count of records
 * not delivered is reported when telemetry ends.
 */
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';

export type AttributeValue = string | number | boolean;

export interface TelemetryRecord {
  /** The event's name, e.g. `mcpm.guard.call`. */
  event: string;
  severity: 'INFO' | 'WARN' | 'ERROR';
  body: string;
  attributes: Record<string, AttributeValue | undefined>;
}

export interface Telemetry {
  emit(record: TelemetryRecord): void;
  /** Flushes what is queued, waiting at most `timeoutMs`; then counts what was not delivered. */
  shutdown(timeoutMs: number): Promise<{ emitted: number; delivered: number }>;
}

/** OTLP severity numbers (logs data model): INFO 9, WARN 13, ERROR 17. */
const SEVERITY_NUMBER = { INFO: 9, WARN: 13, ERROR: 17 } as const;

/** Records held while the collector is away; past this the SDK drops new ones. */
const MAX_QUEUE = 2048;
/** How long one export may take; a slow collector does not hold batches longer. */
const EXPORT_TIMEOUT_MS = 5000;

export async function startTelemetry(target: { url?: string }, service: { name: string; version: string }): Promise<Telemetry> {
  const [{ LoggerProvider, BatchLogRecordProcessor }, { OTLPLogExporter }, { resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/sdk-logs'),
    import('@opentelemetry/exporter-logs-otlp-http'),
    import('@opentelemetry/resources'),
  ]);
  const inner = new OTLPLogExporter({ ...(target.url === undefined ? {} : { url: target.url }), timeoutMillis: EXPORT_TIMEOUT_MS });
  let emitted = 0;
  let delivered = 0;
  const counting: LogRecordExporter = {
    export(records: ReadableLogRecord[], done) {
      inner.export(records, (result) => {
        // ExportResultCode.SUCCESS is 0 (@opentelemetry/core).
        if (result.code === 0) delivered += records.length;
        done(result);
      });
    },
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush(),
  };
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': service.name, 'service.version': service.version }),
    processors: [new BatchLogRecordProcessor({ exporter: counting, maxQueueSize: MAX_QUEUE, exportTimeoutMillis: EXPORT_TIMEOUT_MS })],
  });
  const logger = provider.getLogger(service.name, service.version);
  return {
    emit(record) {
      emitted++;
      const attributes: Record<string, AttributeValue> = {};
      for (const [key, value] of Object.entries(record.attributes)) if (value !== undefined) attributes[key] = value;
      try {
        logger.emit({
          eventName: record.event,
          severityNumber: SEVERITY_NUMBER[record.severity],
          severityText: record.severity,
          body: record.body,
          attributes: { 'event.name': record.event, ...attributes },
        });
      } catch {
        // Telemetry must never break what it watches; the record counts as not delivered.
      }
    },
    async shutdown(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
        timer.unref();
      });
      await Promise.race([provider.shutdown().catch(() => undefined), timeout]);
      clearTimeout(timer);
      return { emitted, delivered };
    },
  };
}
