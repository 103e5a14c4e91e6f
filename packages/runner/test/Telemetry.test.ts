/**
 * Telemetry over OTLP/HTTP: a local receiver on 127.0.0.1 records what is
 * POSTed to `/v1/traces` and `/v1/metrics` while the demo (the nightly job
 * over the fake vendors, fixture sites and embedded PGlite) runs with
 * `OTEL_EXPORTER_OTLP_ENDPOINT` set: it sees the spans `run`, `company` and
 * `step` with their attributes, and the metrics by name with their tags.
 * Without the variable nothing is sent; a collector that is down fails
 * nothing and its headers are never logged; bad settings name their
 * variable.
 */
import { describe, expect, it } from "@effect/vitest"
import { NodeContext } from "@effect/platform-node"
import { Engine, Graph, Step } from "@leadgraph/core"
import { Demo, Telemetry } from "@leadgraph/runner"
import { ConfigProvider, Effect, Either, Exit, Layer, Logger, LogLevel, Metric, Redacted, Schema, Stream } from "effect"
import { createServer, type Server } from "node:http"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

interface Received {
  readonly path: string
  readonly headers: Record<string, string | Array<string> | undefined>
  readonly body: any
}

/** An OTLP/HTTP receiver on 127.0.0.1 that records every JSON body POSTed to it. */
const receiver = Effect.acquireRelease(
  Effect.async<{ readonly url: string; readonly received: Array<Received>; readonly server: Server }>((resume) => {
    const received: Array<Received> = []
    const server = createServer((req, res) => {
      const chunks: Array<Buffer> = []
      req.on("data", (c: Buffer) => chunks.push(c))
      req.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8")
        received.push({ path: req.url ?? "", headers: req.headers, body: text === "" ? undefined : JSON.parse(text) })
        res.writeHead(200, { "content-type": "application/json" }).end("{}")
      })
    })
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      resume(Effect.succeed({ url: `http://127.0.0.1:${port}`, received, server }))
    })
  }),
  ({ server }) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
)

const withEnv = (env: Record<string, string>) => Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

/** OTLP attributes as a plain record. */
const attrs = (list: ReadonlyArray<{ key: string; value: Record<string, unknown> }> | undefined) =>
  Object.fromEntries((list ?? []).map(({ key, value }) => [key, Object.values(value)[0]]))

const spansOf = (received: ReadonlyArray<Received>) =>
  received.filter((r) => r.path === "/v1/traces").flatMap((r) =>
    (r.body.resourceSpans as Array<any>).flatMap((rs) =>
      (rs.scopeSpans as Array<any>).flatMap((ss) =>
        (ss.spans as Array<any>).map((s) => ({
          name: s.name as string,
          traceId: s.traceId as string,
          spanId: s.spanId as string,
          parentSpanId: s.parentSpanId as string | undefined,
          attributes: attrs(s.attributes),
          service: attrs(rs.resource.attributes)["service.name"]
        }))
      )
    )
  )

const metricsOf = (received: ReadonlyArray<Received>) => {
  const out = new Map<string, Array<Record<string, unknown>>>()
  for (const r of received.filter((r) => r.path === "/v1/metrics")) {
    for (const rm of r.body.resourceMetrics as Array<any>) {
      for (const sm of rm.scopeMetrics as Array<any>) {
        for (const m of sm.metrics as Array<any>) {
          const points = (m.sum ?? m.histogram ?? m.gauge)?.dataPoints as Array<any> ?? []
          out.set(m.name, [...(out.get(m.name) ?? []), ...points.map((p) => attrs(p.attributes))])
        }
      }
    }
  }
  return out
}

describe("Telemetry", () => {
  it.scopedLive("with OTEL_EXPORTER_OTLP_ENDPOINT, a real run exports the run, company and step spans and the metrics", () =>
    Effect.gen(function*() {
      const { received, url } = yield* receiver
      const outDir = mkdtempSync(join(tmpdir(), "leadgraph-telemetry-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(outDir, { recursive: true, force: true })))
      const result = yield* Demo.run({ companiesPerTenant: 3, outDir, print: () => Effect.void }).pipe(
        Effect.scoped,
        // the telemetry layer's scope closes as the run ends: its last export goes then
        Effect.provide(Layer.merge(NodeContext.layer, Telemetry.layerConfig)),
        withEnv({
          OTEL_EXPORTER_OTLP_ENDPOINT: `${url}/`,
          OTEL_SERVICE_NAME: "leadgraph-test",
          OTEL_EXPORTER_OTLP_HEADERS: "x-collector-key=s3cr%3Dt,x-team=leads"
        })
      )
      expect(result.tenants.length).toBe(2)

      expect(received.length).toBeGreaterThan(0)
      expect(new Set(received.map((r) => r.path))).toEqual(new Set(["/v1/traces", "/v1/metrics"]))
      for (const r of received) {
        expect(r.headers["content-type"]).toContain("application/json")
        expect(r.headers["x-collector-key"]).toBe("s3cr=t")
        expect(r.headers["x-team"]).toBe("leads")
      }

      const spans = spansOf(received)
      expect(new Set(spans.map((s) => s.service))).toEqual(new Set(["leadgraph-test"]))
      const runs = spans.filter((s) => s.name === "run")
      expect(runs.map((s) => s.attributes.tenant).sort()).toEqual(result.tenants.map((t) => t.tenant.id).sort())
      expect(runs.map((s) => s.attributes["run.id"]).sort()).toEqual(
        result.tenants.flatMap((t) => t._tag === "Ran" ? [t.result.runId] : []).sort()
      )
      for (const run of runs) expect(run.attributes["run.day"]).toBe(result.runDay)
      const companies = spans.filter((s) => s.name === "company")
      expect(companies.length).toBe(6)
      for (const company of companies) {
        expect(company.attributes["company.id"]).toEqual(expect.any(String))
        expect(company.attributes["company.domain"]).toEqual(expect.any(String))
        expect(["succeeded", "partial", "failed"]).toContain(company.attributes.outcome)
        // each company is in the trace of its tenant's run
        expect(runs.some((r) => r.traceId === company.traceId)).toBe(true)
      }
      const steps = spans.filter((s) => s.name === "step")
      expect(new Set(steps.map((s) => s.attributes["step.name"]))).toEqual(
        new Set(["crawl", "search", "extract", "contacts", "verify", "score", "rationale", "persist", "export"])
      )
      for (const step of steps) {
        expect(["succeeded", "restored", "skipped", "failed"]).toContain(step.attributes["step.status"])
        if (step.attributes["step.status"] === "skipped") expect(step.attributes["step.reason"]).toEqual(expect.any(String))
        // a step's parent is its company's span
        expect(companies.some((c) => c.spanId === step.parentSpanId)).toBe(true)
      }
      const text = JSON.stringify(received.map((r) => r.body))
      expect(text).not.toContain("s3cr")

      const metrics = metricsOf(received)
      expect(metrics.get("leadgraph_companies_done")?.map((p) => p.outcome)).toEqual(
        expect.arrayContaining([expect.stringMatching(/^(succeeded|partial|failed)$/)])
      )
      expect(new Set(metrics.get("leadgraph_step_duration_ms")?.map((p) => p.step))).toEqual(
        new Set(steps.filter((s) => s.attributes["step.status"] === "succeeded" || s.attributes["step.status"] === "failed")
          .map((s) => s.attributes["step.name"]))
      )
      expect(new Set(metrics.get("leadgraph_vendor_calls")?.map((p) => p.vendor))).toEqual(
        new Set(["tavily", "openai", "lusha", "zerobounce"].filter((v) => metrics.get("leadgraph_budget_units_used")?.some((p) => String(p.budget).startsWith(`${v}.`))))
      )
      expect(metrics.get("leadgraph_vendor_calls")?.length).toBeGreaterThan(0)
      expect(metrics.get("leadgraph_budget_units_used")?.map((p) => p.budget)).toEqual(
        expect.arrayContaining(["lusha.lookups"])
      )
    }), { timeout: 120_000 })

  it.scopedLive("without OTEL_EXPORTER_OTLP_ENDPOINT nothing is sent and tracing is off", () =>
    Effect.gen(function*() {
      const { received, url } = yield* receiver
      const step = Step.forTarget<number>()
      const graph = Graph.unsafeMake(step("double", { output: Schema.Number, run: ({ target }) => Effect.succeed(target * 2) }))
      const sampled = yield* Effect.gen(function*() {
        yield* Engine.run(graph, Stream.range(1, 20))
        return yield* Effect.map(Effect.withSpan(Effect.currentSpan, "probe"), (span) => span.sampled)
      }).pipe(
        Effect.provide(Telemetry.layerConfig),
        // the signal-specific variables are not read: only OTEL_EXPORTER_OTLP_ENDPOINT turns export on
        withEnv({ OTEL_SERVICE_NAME: "leadgraph-test", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${url}/v1/traces` })
      )
      expect(sampled).toBe(false)
      expect(received).toEqual([])
      // and with it, the same program is traced
      const traced = yield* Effect.map(Effect.withSpan(Effect.currentSpan, "probe"), (span) => span.sampled).pipe(
        Effect.provide(Telemetry.layerConfig),
        withEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: url })
      )
      expect(traced).toBe(true)
      expect(received.map((r) => r.path)).toContain("/v1/traces")
    }))

  it.scopedLive("a collector that is down fails nothing; what is logged names no header value", () =>
    Effect.gen(function*() {
      // a port that was just free: nothing listens there
      const { url } = yield* Effect.scoped(receiver)
      const logs: Array<string> = []
      const capture = Logger.make(({ cause, message }) => {
        logs.push(`${JSON.stringify(message)} ${String(cause)}`)
      })
      const step = Step.forTarget<number>()
      const graph = Graph.unsafeMake(step("double", { output: Schema.Number, run: ({ target }) => Effect.succeed(target * 2) }))
      const exit = yield* Effect.gen(function*() {
        yield* Metric.increment(Metric.counter("leadgraph_test_down"))
        return yield* Engine.run(graph, Stream.range(1, 20))
      }).pipe(
        Effect.provide(Telemetry.layer({
          endpoint: url,
          headers: Redacted.make(Either.getOrThrow(
            Telemetry.parseHeaders("authorization=Bearer%20top-secret,x-collector-key=top-secret")
          ))
        }).pipe(Layer.provide(Logger.replace(Logger.defaultLogger, capture)))),
        Logger.withMinimumLogLevel(LogLevel.Debug),
        Effect.exit
      )
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(logs.join("\n")).not.toContain("top-secret")
      expect(logs.filter((l) => l.includes("Disabling OtlpTracer")).length).toBeLessThanOrEqual(1)
    }))

  it.effect("a malformed endpoint or header list fails naming its variable, never quoting a header value", () =>
    Effect.gen(function*() {
      for (const endpoint of ["not a url", "ftp://collector:4318", "http://user:pw@collector:4318"]) {
        const error = yield* Effect.flip(Effect.provide(Effect.void, Telemetry.layerConfig).pipe(
          withEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint })
        ))
        expect(String(error)).toContain("OTEL_EXPORTER_OTLP_ENDPOINT")
        expect(String(error)).not.toContain("pw")
      }
      const error = yield* Effect.flip(Effect.provide(Effect.void, Telemetry.layerConfig).pipe(
        withEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318", OTEL_EXPORTER_OTLP_HEADERS: "x-key=hunter2,oops" })
      ))
      expect(String(error)).toContain("OTEL_EXPORTER_OTLP_HEADERS")
      expect(String(error)).not.toContain("hunter2")
      expect(Telemetry.parseHeaders("a=1, B = x%20y ,,c=")).toEqual(Either.right({ a: "1", b: "x y", c: "" }))
      expect(Either.isLeft(Telemetry.parseHeaders("=v"))).toBe(true)
      expect(Either.isLeft(Telemetry.parseHeaders("k=%E0%A4%A"))).toBe(true)
      // nothing set: no telemetry
      expect(Either.getOrThrow(yield* Effect.either(Effect.provide(Effect.void, Telemetry.layerConfig).pipe(withEnv({}))))).toBe(undefined)
    }))
})
