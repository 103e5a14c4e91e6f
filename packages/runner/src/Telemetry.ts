/**
 * Telemetry over OTLP/HTTP (JSON), through `@effect/opentelemetry`'s own
 * exporters (no OpenTelemetry SDK). With `OTEL_EXPORTER_OTLP_ENDPOINT` set,
 * the spans of every command (`run`, `company`, `step`, and the library's
 * `Module.method` spans) go to `<endpoint>/v1/traces` and the metrics of
 * core's `Metrics` module to `<endpoint>/v1/metrics`, every 5 and 10 seconds
 * and once more when the command ends (the layer's scope closing). Without
 * it nothing is exported, no exporter runs, and tracing is turned off, so
 * spans cost next to nothing.
 *
 * Export is best-effort: a collector that cannot be reached or refuses
 * never fails a command; the exporter logs it once at `debug` and pauses
 * for a minute, and the last flush waits at most {@link defaults}
 * `shutdownTimeout`. `OTEL_EXPORTER_OTLP_HEADERS` (`k=v,k=v`, values
 * percent-decoded, as the OpenTelemetry specification says) is sent with
 * every export and never logged.
 *
 * @since 0.1.0
 */
import { FetchHttpClient, Headers } from "@effect/platform"
import { OtlpMetrics, OtlpSerialization, OtlpTracer } from "@effect/opentelemetry"
import { Config, ConfigError, Duration, Effect, Either, Layer, Option, Redacted } from "effect"

/**
 * Where and how telemetry is exported.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The collector's base URL: traces go to `<endpoint>/v1/traces`, metrics to `<endpoint>/v1/metrics`. */
  readonly endpoint: string
  /** `service.name` of the exported resource (default `leadgraph`). */
  readonly serviceName?: string | undefined
  /** Headers sent with every export (an API key, often): never logged. */
  readonly headers?: Redacted.Redacted<Readonly<Record<string, string>>> | undefined
  /** How often spans are sent (default 5 seconds). */
  readonly tracesInterval?: Duration.DurationInput | undefined
  /** How often metrics are sent (default 10 seconds). */
  readonly metricsInterval?: Duration.DurationInput | undefined
  /** How long the last export may take when the command ends (default 2 seconds). */
  readonly shutdownTimeout?: Duration.DurationInput | undefined
}

/**
 * The defaults of {@link Options}.
 *
 * @since 0.1.0
 * @category defaults
 */
export const defaults = {
  serviceName: "leadgraph",
  tracesInterval: Duration.seconds(5),
  metricsInterval: Duration.seconds(10),
  shutdownTimeout: Duration.seconds(2)
} as const

const invalid = (name: string, message: string) => Either.left(ConfigError.InvalidData([name], message))

/**
 * Parses `OTEL_EXPORTER_OTLP_HEADERS`: `k=v` pairs separated by commas,
 * values percent-decoded. A malformed list fails without quoting it.
 *
 * @since 0.1.0
 * @category config
 */
export const parseHeaders = (raw: string): Either.Either<Record<string, string>, string> => {
  const headers: Record<string, string> = {}
  for (const pair of raw.split(",")) {
    if (pair.trim() === "") continue
    const at = pair.indexOf("=")
    const name = at === -1 ? "" : pair.slice(0, at).trim().toLowerCase()
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name)) return Either.left("must be k=v pairs separated by commas")
    let value: string
    try {
      value = decodeURIComponent(pair.slice(at + 1).trim())
    } catch {
      return Either.left(`the value of "${name}" is not valid percent-encoding`)
    }
    headers[name] = value
  }
  return Either.right(headers)
}

const endpointConfig = Config.string("OTEL_EXPORTER_OTLP_ENDPOINT").pipe(
  Config.mapOrFail((raw) => {
    const text = raw.trim()
    let url: URL
    try {
      url = new URL(text)
    } catch {
      return invalid("OTEL_EXPORTER_OTLP_ENDPOINT", "must be an http(s) URL, e.g. http://127.0.0.1:4318")
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      return invalid("OTEL_EXPORTER_OTLP_ENDPOINT", `must be an http(s) URL; got the scheme "${url.protocol}"`)
    }
    if (url.username !== "" || url.password !== "") {
      return invalid("OTEL_EXPORTER_OTLP_ENDPOINT", "must not hold credentials: put them in OTEL_EXPORTER_OTLP_HEADERS")
    }
    return Either.right(text.replace(/\/+$/, ""))
  }),
  Config.withDescription("the OTLP/HTTP collector's base URL; telemetry is exported only when it is set"),
  Config.option
)

const headersConfig = Config.redacted("OTEL_EXPORTER_OTLP_HEADERS").pipe(
  Config.mapOrFail((raw) =>
    Either.match(parseHeaders(Redacted.value(raw)), {
      onLeft: (message) => invalid("OTEL_EXPORTER_OTLP_HEADERS", message),
      onRight: (headers) => Either.right(Redacted.make(headers))
    })
  ),
  Config.withDescription("headers of every OTLP export, k=v,k=v (never logged)"),
  Config.option
)

/**
 * The telemetry settings from the environment: none without
 * `OTEL_EXPORTER_OTLP_ENDPOINT`.
 *
 * @since 0.1.0
 * @category config
 */
export const config: Config.Config<Option.Option<Options>> = Config.all({
  endpoint: endpointConfig,
  serviceName: Config.string("OTEL_SERVICE_NAME").pipe(
    Config.withDescription("service.name of the exported telemetry"),
    Config.withDefault(defaults.serviceName)
  ),
  headers: headersConfig
}).pipe(Config.map(({ endpoint, headers, serviceName }) =>
  Option.map(endpoint, (endpoint): Options => ({
    endpoint,
    serviceName: serviceName.trim() === "" ? defaults.serviceName : serviceName.trim(),
    headers: Option.getOrUndefined(headers)
  }))
))

/**
 * Exports spans and metrics to the collector while the layer lives, and
 * once more as it closes.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<never> => {
  const headers = options.headers === undefined ? {} : Redacted.value(options.headers)
  const resource = { serviceName: options.serviceName ?? defaults.serviceName }
  const shutdownTimeout = options.shutdownTimeout ?? defaults.shutdownTimeout
  // traces and metrics only: the logs stay with the process's own logger
  return Layer.mergeAll(
    OtlpTracer.layer({
      url: `${options.endpoint}/v1/traces`,
      resource,
      headers,
      exportInterval: options.tracesInterval ?? defaults.tracesInterval,
      shutdownTimeout
    }),
    OtlpMetrics.layer({
      url: `${options.endpoint}/v1/metrics`,
      resource,
      headers,
      exportInterval: options.metricsInterval ?? defaults.metricsInterval,
      shutdownTimeout
    })
  ).pipe(
    Layer.provide(OtlpSerialization.layerJson),
    Layer.provide(FetchHttpClient.layer),
    // whatever the exporter logs of a failed request names no header value
    Layer.locallyWith(Headers.currentRedactedNames, (names) => [...names, ...Object.keys(headers)])
  )
}

/**
 * {@link layer} when `OTEL_EXPORTER_OTLP_ENDPOINT` is set; otherwise no
 * exporter, and tracing turned off. Fails naming the variable when a value
 * is malformed.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig: Layer.Layer<never, ConfigError.ConfigError> = Layer.unwrapEffect(
  Effect.map(config, Option.match({ onNone: () => Layer.setTracerEnabled(false), onSome: layer }))
)
