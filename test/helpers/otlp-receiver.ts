// A loopback OTLP/HTTP logs receiver: what the exporter POSTs to /v1/logs is decoded (the JSON
// encoding, JSON.parse) into flat records, and a test waits for records by predicate, not by time.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRecord {
  eventName: string | undefined;
  severityText: string | undefined;
  body: string | undefined;
  attributes: Record<string, string | number | boolean>;
  resource: Record<string, string | number | boolean>;
}

interface AnyValue {
  stringValue?: string;
  intValue?: number | string;
  doubleValue?: number;
  boolValue?: boolean;
}
interface KeyValue {
  key: string;
  value: AnyValue;
}
interface ExportLogsServiceRequest {
  resourceLogs: { resource?: { attributes?: KeyValue[] }; scopeLogs: { logRecords: { eventName?: string; severityText?: string; body?: AnyValue; attributes?: KeyValue[] }[] }[] }[];
}

function plain(value: AnyValue | undefined): string | number | boolean | undefined {
  if (value === undefined) return undefined;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  return value.boolValue;
}

function attributesOf(list: KeyValue[] | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of list ?? []) {
    const v = plain(value);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

export class OtlpReceiver {
  readonly records: ReceivedRecord[] = [];
  readonly contentTypes: string[] = [];
  private waiters: { predicate: (r: ReceivedRecord[]) => boolean; resolve: () => void }[] = [];

  private constructor(private readonly server: Server) {}

  static async start(): Promise<OtlpReceiver> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        receiver.accept(req.url ?? '', String(req.headers['content-type']), Buffer.concat(chunks));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    const receiver = new OtlpReceiver(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  /** The base endpoint, as OTEL_EXPORTER_OTLP_ENDPOINT or --otlp take it. */
  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private accept(path: string, contentType: string, body: Buffer): void {
    if (path !== '/v1/logs') return;
    this.contentTypes.push(contentType);
    const request = JSON.parse(body.toString('utf8')) as ExportLogsServiceRequest;
    for (const rl of request.resourceLogs) {
      const resource = attributesOf(rl.resource?.attributes);
      for (const sl of rl.scopeLogs) {
        for (const r of sl.logRecords) {
          this.records.push({ eventName: r.eventName, severityText: r.severityText, body: plain(r.body) as string | undefined, attributes: attributesOf(r.attributes), resource });
        }
      }
    }
    this.waiters = this.waiters.filter((w) => {
      if (!w.predicate(this.records)) return true;
      w.resolve();
      return false;
    });
  }

  /** Resolves once the records received satisfy `predicate`. */
  waitFor(predicate: (records: ReceivedRecord[]) => boolean): Promise<void> {
    if (predicate(this.records)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ predicate, resolve }));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
