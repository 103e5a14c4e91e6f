/**
 * http-service: leadgraph embedded in an HTTP service of its own, an
 * `HttpApi` from `@effect/platform` served by Node on 127.0.0.1.
 *
 * - `POST /tenants/:tenant/runs[?rerun=true]` starts a run of the tenant in
 *   the background (core's `Kickoffs`: a fiber in the server's scope, one run
 *   per tenant, 409 while one goes) and answers `{ runId }` with 202.
 * - `GET /runs/:runId/events` streams the run's progress as Server-Sent
 *   Events: `event: target` per finished company, then `event: finished`
 *   with the summary counts (or `event: error`), then the stream ends.
 *
 * A run is core's `EnrichmentRun.run` over `Environment.layer` from
 * `@leadgraph/adapters`. An events sink feeds the run's `PubSub`, which
 * replays every event, so a client that connects late misses none. The
 * world is fake (`fakeWorld()`: fixture sites, fake vendors on 127.0.0.1,
 * an in-memory database with a seeded tenant); a real service passes
 * `vendors: yield* Vendors.config` and `database: Database.layer()`.
 *
 * `npx tsx --tsconfig tsconfig.json examples/http-service.ts [--port N]`
 * (or `PORT`; default a free port). With `--self-test` it runs the seeded
 * tenant, reads the events with `fetch`, prints a summary and exits
 * (non-zero on any failure or after 60 seconds).
 */
import {
  HttpApi, HttpApiBuilder, HttpApiEndpoint, HttpApiError, HttpApiGroup, HttpApiSchema, HttpServer, HttpServerResponse
} from "@effect/platform"
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { Database, Environment, StoreLive } from "@leadgraph/adapters"
import { FakeVendors, FixtureWeb } from "@leadgraph/adapters/testing"
import { Company, EnrichmentRun, IcpRule, Kickoffs, Llm, Lusha, Store, Tavily, Tenant, ZeroBounce } from "@leadgraph/core"
import { Cause, Console, Context, Effect, Exit, Layer, Option, PubSub, Schema, Stream, SynchronizedRef } from "effect"
import { createServer } from "node:http"

// ---- the API ---------------------------------------------------------------
class NotFound extends Schema.TaggedError<NotFound>()("NotFound", {
  message: Schema.String
}, HttpApiSchema.annotations({ status: 404 })) {}
class Conflict extends Schema.TaggedError<Conflict>()("Conflict", {
  message: Schema.String
}, HttpApiSchema.annotations({ status: 409 })) {}

class RunsGroup extends HttpApiGroup.make("runs")
  .add(HttpApiEndpoint.post("start", "/tenants/:tenant/runs")
    .setPath(Schema.Struct({ tenant: Tenant.TenantId }))
    .setUrlParams(Schema.Struct({ rerun: Schema.optional(Schema.BooleanFromString) }))
    .addSuccess(Schema.Struct({ runId: Schema.String }), { status: 202 })
    .addError(NotFound)
    .addError(Conflict))
  .add(HttpApiEndpoint.get("events", "/runs/:runId/events")
    .setPath(Schema.Struct({ runId: Schema.String }))
    .addSuccess(Schema.String.pipe(HttpApiSchema.withEncoding({ kind: "Text", contentType: "text/event-stream" })))
    .addError(NotFound))
  .addError(HttpApiError.InternalServerError)
{}

class Api extends HttpApi.make("http-service").add(RunsGroup) {}

// ---- the handlers ----------------------------------------------------------
interface Message {
  readonly event: "target" | "finished" | "error"
  readonly data: unknown
}

const sse = (m: Message) => `event: ${m.event}\ndata: ${JSON.stringify(m.data)}\n\n`

/** The last event of a run: its status and counts, or why it stopped. */
const ended = (exit: Exit.Exit<EnrichmentRun.Result, unknown>): Message => {
  if (Exit.isFailure(exit)) {
    const message = Cause.isInterruptedOnly(exit.cause) ? "interrupted" : EnrichmentRun.errorText(Cause.squash(exit.cause))
    return { event: "error", data: { message } }
  }
  return exit.value._tag === "Finished"
    ? { event: "finished", data: { status: exit.value.status, targets: exit.value.summary.targets } }
    : { event: "error", data: { message: "planned only" } }
}

/** Each tenant's daily budget caps, by budget name. */
const caps = { [Tavily.budget]: 1000, [Lusha.budget]: 500, [ZeroBounce.budget]: 2000, [Llm.tokenBudget]: 2_000_000 }

const RunsLive = HttpApiBuilder.group(Api, "runs", (handlers) =>
  Effect.gen(function*() {
    const library = yield* Effect.context<EnrichmentRun.Requirements>()
    const channels = yield* SynchronizedRef.make(new Map<string, PubSub.PubSub<Message>>())
    const channel = (runId: string) =>
      SynchronizedRef.modifyEffect(channels, (m) =>
        m.has(runId)
          ? Effect.succeed([m.get(runId)!, m] as const)
          : Effect.map(PubSub.unbounded<Message>({ replay: Number.MAX_SAFE_INTEGER }), (p) => [p, new Map(m).set(runId, p)] as const))

    // what Kickoffs runs in its fiber: the library's use case, events to the channel
    const launch: Kickoffs.Launch = (input) =>
      Effect.gen(function*() {
        const events = yield* channel(input.runId)
        const publish = (m: Message) => Effect.asVoid(PubSub.publish(events, m))
        const { sink, ...run } = input // tenantId, runId, runDay, timeZone, limit, rerun, lock, onTargets
        return yield* EnrichmentRun.run({
          ...run,
          cap: 100,
          concurrency: 4,
          caps,
          knobs: { exportToOdoo: false },
          sinks: [sink, (e) =>
            e._tag === "TargetFinished"
              ? publish({ event: "target", data: { companyId: e.targetId, state: e.state, millis: e.durationMillis } })
              : Effect.void]
        }).pipe(Effect.onExit((exit) => publish(ended(exit))), Effect.provide(library))
      })
    const kickoffs = yield* Kickoffs.make({ launch, timeZone: "UTC" })
    const store = yield* Store.Store

    return handlers
      .handle("start", ({ path, urlParams }) =>
        Effect.gen(function*() {
          const tenant = yield* store.forTenant(path.tenant).tenants.get
          if (Option.isNone(tenant)) return yield* new NotFound({ message: `no tenant "${path.tenant}"` })
          return { runId: yield* kickoffs.start(path.tenant, { rerun: urlParams.rerun }) }
        }).pipe(Effect.catchTags({
          AlreadyRunning: () => new Conflict({ message: `a run of "${path.tenant}" is already going` }),
          StoreError: () => new HttpApiError.InternalServerError()
        })))
      .handle("events", ({ path }) =>
        Effect.gen(function*() {
          if (Option.isNone(yield* kickoffs.get(path.runId))) return yield* new NotFound({ message: `no run "${path.runId}"` })
          const body = Stream.fromPubSub(yield* channel(path.runId)).pipe(
            Stream.takeUntil((m) => m.event !== "target"),
            Stream.map(sse),
            Stream.encodeText
          )
          return HttpServerResponse.stream(body, { contentType: "text/event-stream", headers: { "cache-control": "no-cache" } })
        }))
  }))

/** The service over the library's environment, listening on 127.0.0.1. */
const service = (world: Omit<Environment.Options, "caps">, port: number) =>
  HttpApiBuilder.serve().pipe(
    Layer.provide(HttpApiBuilder.api(Api).pipe(Layer.provide(RunsLive))),
    Layer.provide(Environment.layer({ ...world, caps })),
    Layer.provideMerge(NodeHttpServer.layer(createServer, { port, host: "127.0.0.1" }))
  )

// ---- the fake world: fixture sites, fake vendors, a seeded in-memory database
const rule = Schema.decodeUnknownSync(IcpRule.IcpRule)
const company = Schema.decodeUnknownSync(Company.CompanyInput)

const fakeWorld = () =>
  Effect.gen(function*() {
    const web = yield* FixtureWeb.make({ seed: 42, count: 6 })
    const vendors = yield* FakeVendors.make({ seed: 42 })
    const tenantId = Tenant.TenantId.make("acme")
    const seed = Effect.flatMap(Store.Store, (store) =>
      store.withTenant(tenantId, (t) =>
        Effect.gen(function*() {
          yield* t.tenants.save({ name: "Acme (fixture companies)" })
          yield* t.icpRules.save([
            rule({ name: "Software", criteria: { industry: ["software", "analytics"] }, weight: 60 }),
            rule({ name: "Reachable", criteria: { verified_emails_min: 1 }, weight: 40 })
          ])
          yield* t.companies.upsert(web.companies.map((c) => company({ name: c.name, domain: c.host, website: web.url(c.host) })))
        })))
    const world: Omit<Environment.Options, "caps"> = {
      vendors: FakeVendors.vendorOptions(vendors),
      resolver: web.resolver,
      crawler: { allowAddresses: ["127.0.0.1/32"], minDelay: "20 millis", requestTimeout: "5 seconds" },
      // seeded once open, through a store of its own over the same database
      database: Layer.tap(Database.layerEmbedded({ dataDir: "memory://" }), (db) =>
        Effect.provide(seed, StoreLive.layer().pipe(Layer.provide(Layer.succeedContext(db)))))
    }
    return { tenantId, world }
  })

// ---- the self-test: a client with `fetch` ---------------------------------
class SelfTestFailed extends Schema.TaggedError<SelfTestFailed>()("SelfTestFailed", {
  message: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {}

const attempt = <A>(what: string, f: () => Promise<A>) =>
  Effect.tryPromise({ try: f, catch: (cause) => new SelfTestFailed({ message: `${what} failed`, cause }) })

type Frame = { readonly event: string; readonly data: string }

/** A Server-Sent Events body as frames, read as it arrives: a blank line ends a frame. */
const frames = (body: ReadableStream<Uint8Array>): Stream.Stream<Frame, SelfTestFailed> =>
  Stream.fromReadableStream({ evaluate: () => body, onError: (cause) => new SelfTestFailed({ message: "reading", cause }) })
    .pipe(
      Stream.decodeText(),
      Stream.splitLines,
      Stream.mapAccum<Frame, string, Option.Option<Frame>>({ event: "", data: "" }, (f, line) =>
        line === "" ? [{ event: "", data: "" }, Option.some(f)]
        : line.startsWith("event: ") ? [{ ...f, event: line.slice(7) }, Option.none()]
        : line.startsWith("data: ") ? [{ ...f, data: line.slice(6) }, Option.none()]
        : [f, Option.none()]),
      Stream.filterMap((f) => f)
    )

const selfTest = (base: string, tenantId: string) =>
  Effect.gen(function*() {
    const started = yield* attempt("POST", () => fetch(`${base}/tenants/${tenantId}/runs`, { method: "POST" }))
    const text = yield* attempt("reading the answer", () => started.text())
    if (started.status !== 202) return yield* new SelfTestFailed({ message: `POST answered ${started.status}: ${text}` })
    const { runId } = JSON.parse(text) as { runId: string }
    const answer = yield* attempt("GET events", () => fetch(`${base}/runs/${runId}/events`))
    if (answer.headers.get("content-type") !== "text/event-stream" || answer.body === null) {
      return yield* new SelfTestFailed({ message: `GET events answered ${answer.status}` })
    }
    const events = yield* frames(answer.body).pipe(Stream.takeUntil((f) => f.event === "finished"), Stream.runCollect)
    const targets = [...events].filter((f) => f.event === "target").length
    const last = [...events].at(-1)
    if (last?.event !== "finished") return yield* new SelfTestFailed({ message: `no finished event: ${last?.data}` })
    const summary = JSON.parse(last.data) as { status: string; targets: Record<string, number> }
    const { succeeded, total } = summary.targets
    if (targets !== total) return yield* new SelfTestFailed({ message: `${targets} target events for ${total} targets` })
    yield* Console.log(`run ${runId}: ${summary.status}`)
    yield* Console.log(`events: ${targets} target, 1 finished; succeeded ${succeeded} of ${total}`)
  }).pipe(Effect.timeoutFail({ duration: "60 seconds", onTimeout: () => new SelfTestFailed({ message: "timed out" }) }))

// ---- the edge --------------------------------------------------------------
const argv = process.argv.slice(2)
const port = Number(argv.includes("--port") ? argv[argv.indexOf("--port") + 1] : process.env.PORT ?? 0)

Effect.gen(function*() {
  const { tenantId, world } = yield* fakeWorld()
  const server = Context.get(yield* Layer.build(service(world, port)), HttpServer.HttpServer)
  const base = HttpServer.formatAddress(server.address)
  yield* Console.log(`listening on ${base}; try: curl -X POST ${base}/tenants/${tenantId}/runs`)
  if (argv.includes("--self-test")) return yield* selfTest(base, tenantId)
  return yield* Effect.never
}).pipe(Effect.scoped, NodeRuntime.runMain)
