// Whether telemetry is on, apart from the telemetry itself: `mcpm run` asks before it loads any of it.

/**
 * Where to send: `--otlp` (a base URL, like OTEL_EXPORTER_OTLP_ENDPOINT, to which `/v1/logs` is
 * added; a URL already ending in it is used as is), else the standard variables, which the
 * exporter reads itself (`OTEL_EXPORTER_OTLP_LOGS_ENDPOINT`, `OTEL_EXPORTER_OTLP_ENDPOINT`, their
 * `_HEADERS` and `_TIMEOUT`). Undefined: telemetry is off.
 */
export function telemetryTarget(option: string | undefined, env: Readonly<Record<string, string | undefined>>): { url?: string; shown: string } | undefined {
  if (option !== undefined) {
    const url = /\/v1\/logs\/?$/.test(option) ? option : `${option.replace(/\/+$/, '')}/v1/logs`;
    return { url, shown: url };
  }
  const fromEnv = env['OTEL_EXPORTER_OTLP_LOGS_ENDPOINT'] || env['OTEL_EXPORTER_OTLP_ENDPOINT'];
  return fromEnv ? { shown: fromEnv } : undefined;
}
