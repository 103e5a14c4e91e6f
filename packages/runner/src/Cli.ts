/**
 * The `leadgraph` command line: `demo`, `run`, `nightly`, `schedule`,
 * `migrate`, `graph`, `serve`, `worker`, `fakes`, `tokens create`, `tenants`, `icp`,
 * `odoo` and `companies import`. Each command is a thin layer over the library's
 * public functions; configuration comes from the environment (see
 * {@link Settings}), and a bad value stops the command before anything
 * runs, naming the variable.
 *
 * Output: the result of a command (a run's summary table, with its failed
 * steps grouped by failure code such as `lusha.Unauthorized(401)`; a
 * token; an environment) on stdout; logs on stderr (JSON lines, or pretty
 * text on a terminal; `LOG_LEVEL=debug` adds one line per step), and a
 * progress bar on stderr when it is a terminal (instead of a log line per
 * company). `nightly` and `run` exit with code 1 when a tenant failed: its
 * run could not start, stopped with an error, or every one of its companies
 * had a failed step.
 *
 * @since 0.1.0
 */
import { Command, HelpDoc, Options } from "@effect/cli"
import type { FileSystem } from "@effect/platform"
import { ApiTokens, Database, Migrations, Scheduler, SchedulerSql, StoreLive, Vendors } from "@leadgraph/adapters"
import type { Cluster, CompanyFile, IcpFile } from "@leadgraph/adapters"
import { FakeWorld } from "@leadgraph/adapters/testing"
import { EventLog, Graph, Nightly, Pipeline, Progress, Report, Store, Tenant } from "@leadgraph/core"
import type { CompanyEnrichment, EngineError, EnrichmentRun, Events, Invalid, OdooSetup } from "@leadgraph/core"
import { NodeHttpClient } from "@effect/platform-node"
import { Config, Console, Context, Deferred, Duration, Effect, Layer, Option, Redacted, Schema } from "effect"
import * as Data from "./Data.js"
import * as Demo from "./Demo.js"
import * as Environment from "./Environment.js"
import * as Fakes from "./Fakes.js"
import * as HttpLaunch from "./http/HttpLaunch.js"
import * as HttpServer from "./http/HttpServer.js"
import * as Runs from "./Runs.js"
import * as Settings from "./Settings.js"
import * as Setup from "./Setup.js"
import * as VendorKeys from "./VendorKeys.js"
import * as Worker from "./Worker.js"

/**
 * How the process was asked to stop: `requested` completes on the first
 * SIGINT or SIGTERM (no new company starts; those in flight finish and
 * checkpoint).
 *
 * @since 0.1.0
 * @category tags
 */
export class Shutdown extends Context.Tag("@leadgraph/runner/Shutdown")<Shutdown, {
  readonly requested: Deferred.Deferred<void>
  /** stderr is a terminal: progress bars are drawn there, instead of a log line per company. */
  readonly isTTY: boolean
}>() {}

/**
 * A command was given input it cannot use (an unknown tenant, a bad flag
 * value); its message says what to give instead. The process exits with
 * code 2.
 *
 * @since 0.1.0
 * @category errors
 */
export class UsageError extends Schema.TaggedError<UsageError>()("UsageError", { message: Schema.String }) {}

/**
 * The process exit code a command asks for (0 unless a tenant failed).
 *
 * @since 0.1.0
 * @category tags
 */
export class ExitCode extends Context.Tag("@leadgraph/runner/ExitCode")<ExitCode, {
  readonly set: (code: number) => Effect.Effect<void>
}>() {}

/** A command's description followed by the environment variables it reads. */
const described = (text: string, ...concerns: ReadonlyArray<keyof typeof Settings.variables>) =>
  HelpDoc.blocks([HelpDoc.p(text), HelpDoc.p(Settings.environmentHelp(...concerns, "output", "telemetry"))])

/** What a run reads: `run`, `nightly`, `schedule` and the kickoffs of `serve`. */
const runVariables = ["database", "schedule", "vendorKeys", "vendors", "caps", "run", "crawler", "cluster"] as const

const names = (name: string, description: string) =>
  Options.text(name).pipe(
    Options.withDescription(description),
    Options.optional,
    Options.map(Option.match({
      onNone: () => undefined,
      onSome: (text) => text.split(",").map((s) => s.trim()).filter((s) => s !== "")
    }))
  )

const runFlags = {
  dryRun: Options.boolean("dry-run").pipe(
    Options.withDescription("print the targets and the forecast spend per vendor; call no vendor, write nothing")
  ),
  skip: names("skip", `steps to skip, comma-separated (${Pipeline.stepNames.join(", ")})`),
  only: names("only", "run only these steps (and restore or skip the rest), comma-separated"),
  rerun: Options.boolean("rerun").pipe(Options.withDescription("also take companies already enriched today (run day in SCHED_TZ)")),
  limit: Options.integer("limit").pipe(
    Options.withDescription("at most this many companies per tenant (default: the daily cap, SCHED_DAILY_CAP_PER_TENANT or the tenant's own)"),
    Options.optional
  ),
  cluster: Options.boolean("cluster").pipe(
    Options.withDescription("hand each company to the `leadgraph worker` processes (as LEADGRAPH_CLUSTER=1; needs DATABASE_URL)")
  )
}

type RunFlags = {
  readonly dryRun: boolean
  readonly skip: ReadonlyArray<string> | undefined
  readonly only: ReadonlyArray<string> | undefined
  readonly rerun: boolean
  readonly limit: Option.Option<number>
  readonly cluster: boolean
}

/** The sinks of a run: a progress bar on stderr when it is a terminal, log lines otherwise. */
const outputFor = (isTTY: boolean) =>
  isTTY
    ? Effect.map(Progress.make({ total: 0, label: "companies", write: (chunk) => void process.stderr.write(chunk) }), (p) => ({
      sinks: (_tenant: string): ReadonlyArray<Events.Sink> => [p.sink],
      onTargets: p.addTotal,
      finish: p.finish
    }))
    : Effect.succeed({
      sinks: (tenant: string): ReadonlyArray<Events.Sink> => [EventLog.sink({ tenant })],
      onTargets: (_n: number) => Effect.void,
      finish: Effect.void
    })

const tenantOptions = (
  flags: RunFlags,
  stop: Deferred.Deferred<void>,
  dispatch?: CompanyEnrichment.Dispatcher
): Partial<EnrichmentRun.Options> => ({
  dispatch,
  dryRun: flags.dryRun,
  rerun: flags.rerun,
  limit: Option.getOrUndefined(flags.limit),
  skip: flags.skip,
  only: flags.only,
  stop
})

const live = <E>(
  f: (settings: Settings.Settings) => Effect.Effect<void, E, Environment.Services | Shutdown | ExitCode | FileSystem.FileSystem>,
  options?: { readonly dryRun?: boolean; readonly cluster?: boolean }
) =>
  Effect.gen(function*() {
    const settings = yield* Settings.load
    // in cluster mode (a worker, or a run that hands out its companies) the
    // vendors' rate limits and the crawler's politeness are the database's,
    // shared by every process: their sum stays under each limit
    const clustered = options?.dryRun !== true && (options?.cluster === true || (yield* Settings.clusterConfig).enabled)
    // a dry run calls no vendor: their keys are not needed (but a key that is set must be valid)
    if (options?.dryRun !== true) yield* VendorKeys.required
    const vendors = options?.dryRun === true
      ? Option.getOrUndefined(yield* Config.option(Vendors.config))
      : yield* Vendors.config
    const odoo = yield* Vendors.odooConfig
    yield* f(settings).pipe(Effect.provide(Environment.layer({ settings, vendors, odoo, coordination: clustered ? "database" : "process" })))
  })

const nightlyOnce = (settings: Settings.Settings, flags: RunFlags) =>
  Effect.gen(function*() {
    const shutdown = yield* Shutdown
    const output = yield* outputFor(shutdown.isTTY && !flags.dryRun)
    const dispatch = flags.dryRun ? undefined : yield* Worker.dispatcher(yield* Settings.clusterConfig, flags.cluster)
    const result = yield* Nightly.run({
      ...Settings.nightly(settings, { ...tenantOptions(flags, shutdown.requested, dispatch), onTargets: output.onTargets }),
      sinksFor: (tenant) => output.sinks(tenant.id)
    })
    yield* output.finish
    for (const t of result.tenants) if (t._tag === "Ran" && t.result._tag === "Planned") yield* Console.log(Report.forecast(t.result))
    yield* Console.log(Report.nightly(result))
    return result
  }).pipe(Effect.scoped)

const demo = Command.make("demo", {
  companies: Options.integer("companies").pipe(Options.withDescription("companies per tenant (default 50)"), Options.withDefault(50)),
  out: Options.directory("out", { exists: "either" }).pipe(
    Options.withDescription("where the exports are written (default .leadgraph/demo)"),
    Options.withDefault(".leadgraph/demo")
  ),
  fresh: Options.boolean("fresh").pipe(
    Options.withDescription(`remove the demo's database (${Database.defaultDataDir}) first and start afresh; without it a second demo reuses it`)
  )
}, ({ companies, fresh, out }) =>
  Effect.flatMap(Shutdown, (shutdown) =>
    Demo.run({
      companiesPerTenant: companies,
      outDir: out,
      fresh,
      print: Console.log,
      stop: shutdown.requested,
      progress: shutdown.isTTY ? (chunk) => void process.stderr.write(chunk) : undefined
    }).pipe(
      Effect.scoped,
      Effect.asVoid
    ))).pipe(
    Command.withDescription(described(
      `the whole nightly job on embedded PGlite (kept in ${Database.defaultDataDir}, the default database of every command without DATABASE_URL), fixture sites and fake vendors`,
      "output"
    ))
  )

const run = Command.make("run", {
  tenant: Options.text("tenant").pipe(Options.withDescription("tenant id (default DEFAULT_TENANT_ID)"), Options.optional),
  runId: Options.text("run-id").pipe(Options.withDescription("resume this run from its checkpoints"), Options.optional),
  ...runFlags
}, (flags) =>
  Effect.zipRight(Worker.precheck(flags.cluster && !flags.dryRun), live((settings) =>
    Effect.gen(function*() {
      const shutdown = yield* Shutdown
      const exit = yield* ExitCode
      const given = Option.orElse(flags.tenant, () => settings.defaultTenantId)
      if (Option.isNone(given)) return yield* new UsageError({ message: "no tenant: give --tenant or set DEFAULT_TENANT_ID" })
      const tenantId = Tenant.TenantId.make(given.value)
      const output = yield* outputFor(shutdown.isTTY && !flags.dryRun)
      const dispatch = flags.dryRun ? undefined : yield* Worker.dispatcher(yield* Settings.clusterConfig, flags.cluster)
      const result = yield* Nightly.runTenant({
        ...Settings.nightly(settings, {
          ...tenantOptions(flags, shutdown.requested, dispatch),
          sinks: output.sinks(tenantId),
          onTargets: output.onTargets
        }),
        tenantId,
        runId: Option.getOrUndefined(flags.runId)
      }).pipe(Effect.catchTag("UnknownTenant", (e) => new UsageError({ message: e.message })))
      yield* output.finish
      const [outcome] = result.tenants
      if (outcome?._tag === "Ran" && outcome.result._tag === "Planned") return yield* Console.log(Report.forecast(outcome.result))
      yield* Console.log(Report.nightly(result))
      yield* exit.set(Nightly.exitCode(result))
    }).pipe(Effect.scoped), { dryRun: flags.dryRun, cluster: flags.cluster }))).pipe(
    Command.withDescription(described("enrich one tenant now (or resume a run with --run-id)", ...runVariables))
  )

const nightly = Command.make("nightly", runFlags, (flags) =>
  Effect.zipRight(
    Worker.precheck(flags.cluster && !flags.dryRun),
    live((settings) =>
      Effect.flatMap(nightlyOnce(settings, flags), (result) =>
        Effect.flatMap(ExitCode, (exit) => exit.set(Nightly.exitCode(result)))), { dryRun: flags.dryRun, cluster: flags.cluster })
  )).pipe(
    Command.withDescription(described("enrich every active tenant now (every tenant not disabled; one without an Odoo connection is not exported)", ...runVariables))
  )

const schedule = Command.make("schedule", {
  state: Options.file("state").pipe(
    Options.withDescription(
      "keep the last tick in this file instead of the database (default: the database, where every process on it shares the ticks and each tick runs in one of them)"
    ),
    Options.optional
  ),
  catchUp: Options.text("catch-up-window").pipe(
    Options.withDescription("run a tick missed while down when it is at most this old (default \"6 hours\")"),
    Options.withDefault("6 hours")
  )
}, ({ catchUp, state }) =>
  live((settings) =>
    Effect.gen(function*() {
      const window = Duration.decodeUnknown(catchUp)
      if (Option.isNone(window)) {
        return yield* new UsageError({ message: `--catch-up-window: not a duration: "${catchUp}" (e.g. "6 hours")` })
      }
      const schedule = { cron: settings.schedule.cron, timeZone: settings.schedule.timeZone }
      const store = yield* Option.match(state, { onNone: () => SchedulerSql.state(schedule), onSome: Scheduler.stateFile })
      const shutdown = yield* Shutdown
      const flags: RunFlags = {
        dryRun: false,
        skip: undefined,
        only: undefined,
        rerun: false,
        limit: Option.none(),
        cluster: false
      }
      // a night's run holds the lock: on a stop request it drains (it sees the
      // request too), then the scheduler stops before its next tick
      const running = yield* Effect.makeSemaphore(1)
      yield* Scheduler.run(
        () => running.withPermits(1)(Effect.asVoid(nightlyOnce(settings, flags))),
        { ...schedule, catchUpWindow: window.value },
        store
      ).pipe(Effect.raceFirst(Effect.zipRight(Deferred.await(shutdown.requested), running.withPermits(1)(Effect.void))))
    })
  )).pipe(Command.withDescription(described("run the nightly job on SCHED_CRON in SCHED_TZ until stopped", ...runVariables)))

const migrate = Command.make("migrate", {
  databaseUrl: Options.redacted("database-url").pipe(
    Options.withDescription(
      "Postgres URL of the role that owns the tables (default MIGRATION_DATABASE_URL, then DATABASE_URL; the embedded database when neither is set)"
    ),
    Options.optional
  )
}, ({ databaseUrl }) =>
  Effect.gen(function*() {
    const applied = yield* Migrations.run()
    yield* Console.log(applied.length === 0 ? "the database is up to date" : `applied ${applied.map(([id, name]) => `${id} ${name}`).join(", ")}`)
  }).pipe(Effect.provide(Database.layerOwner({ url: Option.getOrUndefined(databaseUrl) })))).pipe(
    Command.withDescription(described("apply the database migrations, as the role that owns the tables", "database", "output"))
  )

const graph = Command.make("graph", {}, () => Console.log(Graph.toMermaid(Pipeline.graph))).pipe(
  Command.withDescription(described("print the enrichment graph as Mermaid"))
)

const serve = Command.make("serve", {
  port: Options.integer("port").pipe(
    Options.withDescription(`port to listen on (default ${HttpServer.defaults.port})`),
    Options.withDefault(HttpServer.defaults.port)
  ),
  host: Options.text("host").pipe(
    Options.withDescription(`interface to listen on (default ${HttpServer.defaults.host}: keep loopback unless a proxy is in front)`),
    Options.withDefault(HttpServer.defaults.host)
  )
}, ({ host, port }) =>
  Effect.gen(function*() {
    const settings = yield* Settings.load
    const adminToken = yield* Config.option(
      Config.redacted("LEADGRAPH_ADMIN_TOKEN").pipe(Config.withDescription("bearer token of the /admin endpoints"))
    )
    if (Option.isNone(adminToken)) yield* Effect.logWarning("LEADGRAPH_ADMIN_TOKEN is not set: every /admin request gets 401")
    const database = Database.layer()
    const store = StoreLive.layer().pipe(Layer.provideMerge(database))
    const services = Layer.mergeAll(
      ApiTokens.layer(),
      HttpLaunch.layer(settings, yield* Settings.clusterConfig),
      Vendors.layerOdoo().pipe(Layer.provide(NodeHttpClient.layerUndici))
    ).pipe(Layer.provideMerge(store))
    const tenantFilter = Settings.tenantFilter(settings)
    const server = HttpServer.layer({ port, host, adminToken, scoreMinExport: settings.scoreMinExport, tenantFilter }).pipe(
      Layer.provide(services)
    )
    const shutdown = yield* Shutdown
    yield* Effect.scoped(Effect.gen(function*() {
      yield* Layer.build(server)
      yield* Console.log(`leadgraph serve: listening on http://${host}:${port} (docs at /docs)`)
      yield* shutdown.requested
    }))
  })).pipe(Command.withDescription(described("serve the HTTP API: exports, Odoo sync, admin kickoff, health", "serve", ...runVariables)))

const worker = Command.make("worker", {
  host: Options.text("host").pipe(
    Options.withDescription(`the address other processes reach this worker at (default LEADGRAPH_WORKER_HOST, else ${Settings.clusterDefaults.host})`),
    Options.optional
  ),
  port: Options.integer("port").pipe(
    Options.withDescription(`port for runner-to-runner traffic (default LEADGRAPH_WORKER_PORT, else ${Settings.clusterDefaults.port})`),
    Options.optional
  )
}, (flags) =>
  Effect.zipRight(
    Worker.precheck(true),
    live((settings) =>
      Effect.gen(function*() {
        const shutdown = yield* Shutdown
        yield* Worker.run(
          settings,
          yield* Settings.clusterConfig,
          flags,
          shutdown.requested
        )
      }), { cluster: true })
  )).pipe(
    Command.withDescription(described(
      "join the cluster on DATABASE_URL and enrich the companies that runs in cluster mode hand out, until SIGTERM or SIGINT",
      ...runVariables
    ))
  )

const fakes = Command.make("fakes", {
  seed: Options.integer("seed").pipe(Options.withDescription("seed of the fixture sites and the fakes' data (default 42)"), Options.withDefault(42)),
  sites: Options.integer("sites").pipe(Options.withDescription("fixture company sites served (default 100)"), Options.withDefault(100)),
  latency: Options.text("latency").pipe(
    Options.withDescription("latency of the paid fakes' answers in milliseconds, MIN-MAX (e.g. 50-400; default none)"),
    Options.optional
  ),
  tenant: Options.text("tenant").pipe(
    Options.withDescription("seed this tenant (DATABASE_URL, or the embedded database) with fixture companies and the fake Odoo"),
    Options.optional
  ),
  companies: Options.integer("companies").pipe(
    Options.withDescription("companies of the seeded tenant and of --companies-out (default 60)"),
    Options.withDefault(60)
  ),
  envFile: Options.file("env-out", { exists: "either" }).pipe(Options.withDescription("also write the environment to this file"), Options.optional),
  companiesFile: Options.file("companies-out", { exists: "either" }).pipe(
    Options.withDescription("write the first --companies fixture companies to this CSV file (name,website), for `companies import`"),
    Options.optional
  ),
  journal: Options.file("journal", { exists: "either" }).pipe(
    Options.withDescription("append what the fakes bill to this file, as JSON lines"),
    Options.optional
  ),
  webLog: Options.file("web-log", { exists: "either" }).pipe(
    Options.withDescription("write the fixture sites' access log to this file when the fakes stop, as JSON lines"),
    Options.optional
  ),
  crawlDelay: Options.float("crawl-delay").pipe(
    Options.withDescription("a Crawl-delay (seconds) in every fixture company's robots.txt (default none)"),
    Options.optional
  )
}, (flags) =>
  Effect.gen(function*() {
    if (flags.sites < 1 || flags.companies < 0 || flags.companies > flags.sites) {
      return yield* new UsageError({ message: "--sites must be at least 1 and --companies between 0 and --sites" })
    }
    if (Option.isSome(flags.crawlDelay) && !(flags.crawlDelay.value >= 0 && flags.crawlDelay.value <= 30)) {
      return yield* new UsageError({ message: "--crawl-delay must be between 0 and 30 seconds" })
    }
    const latency = Option.map(flags.latency, FakeWorld.parseLatency)
    if (Option.isSome(latency) && Option.isNone(latency.value)) {
      return yield* new UsageError({ message: "--latency must be MIN-MAX milliseconds, e.g. 50-400" })
    }
    const shutdown = yield* Shutdown
    yield* Fakes.serve({
      seed: flags.seed,
      sites: flags.sites,
      latency: Option.getOrUndefined(Option.flatten(latency)),
      crawlDelaySeconds: Option.getOrUndefined(flags.crawlDelay),
      tenant: Option.map(flags.tenant, Tenant.TenantId.make),
      companies: flags.companies,
      envFile: flags.envFile,
      companiesFile: flags.companiesFile,
      journal: flags.journal,
      webLog: flags.webLog
    }, shutdown.requested)
  })).pipe(Command.withDescription(
    described("serve the fake vendors and fixture sites on 127.0.0.1 and print the environment that uses them", "database", "output")
  ))

const tokensCreate = Command.make("create", {
  tenant: Options.text("tenant").pipe(Options.withDescription("the tenant the token speaks for")),
  name: Options.text("name").pipe(Options.withDescription("what the token is for (default api)"), Options.withDefault("api")),
  createTenant: Options.boolean("create-tenant").pipe(
    Options.withDescription("store the tenant (named after its id) when it does not exist yet")
  )
}, ({ createTenant, name, tenant }) =>
  Effect.gen(function*() {
    const tokens = yield* ApiTokens.ApiTokens
    const tenantId = Tenant.TenantId.make(tenant)
    if (createTenant) {
      const repo = (yield* Store.Store).forTenant(tenantId).tenants
      if (Option.isNone(yield* repo.get)) yield* repo.save({ name: tenant })
    }
    const created = yield* tokens.create(tenantId, name).pipe(
      Effect.catchTag("StoreError", (e): Effect.Effect<never, UsageError | Store.StoreError> =>
        e.reason === "Constraint"
          ? Effect.fail(new UsageError({ message: `no tenant "${tenant}" (add --create-tenant to store it)` }))
          : Effect.fail(e))
    )
    yield* Console.log(Redacted.value(created.token))
    yield* Console.error(`token "${created.name}" for ${created.tenantId}: shown once, stored only as a hash`)
  }).pipe(Effect.provide(ApiTokens.layer().pipe(Layer.provideMerge(StoreLive.layer()), Layer.provide(Database.layer()))))).pipe(
    Command.withDescription(described("create an API token for a tenant (printed once on stdout)", "database", "output"))
  )

const tokens = Command.make("tokens").pipe(
  Command.withDescription("tenant API tokens for leadgraph serve"),
  Command.withSubcommands([tokensCreate])
)

/**
 * An invalid step graph, one of the errors a command can end with (named
 * here so the declarations of {@link command} and {@link cli} can refer to
 * it).
 *
 * @since 0.1.0
 * @category errors
 */
export type GraphError = EngineError.GraphError

/**
 * A company file that cannot be read, one of the errors `companies import`
 * can end with (named here for the same reason as {@link GraphError}).
 *
 * @since 0.1.0
 * @category errors
 */
export type CompanyFileError = CompanyFile.CompanyFileError

/**
 * A cluster that cannot be joined, one of the errors `worker` and cluster
 * mode can end with (named here for the same reason as {@link GraphError}).
 *
 * @since 0.1.0
 * @category errors
 */
export type ClusterError = Cluster.ClusterError

/**
 * What the set-up commands (`tenants`, `icp`, `odoo`) can end with (named
 * here for the same reason as {@link GraphError}).
 *
 * @since 0.1.0
 * @category errors
 */
export type SetupError =
  // the same union as Setup.SetupError, spelled out: the declaration build
  // names these types through this module's own imports
  | Store.StoreError
  | Invalid.InvalidInput
  | Nightly.UnknownTenant
  | OdooSetup.OdooTestFailed
  | IcpFile.IcpFileError

/**
 * The root command.
 *
 * @since 0.1.0
 * @category commands
 */
export const command = Command.make("leadgraph").pipe(
  Command.withDescription("multi-tenant nightly B2B lead enrichment"),
  Command.withSubcommands([
    demo,
    run,
    nightly,
    schedule,
    migrate,
    graph,
    serve,
    worker,
    fakes,
    tokens,
    Setup.tenants,
    Setup.icp,
    Setup.odoo,
    Data.companies,
    Runs.runs,
    Runs.report
  ])
)

/**
 * The CLI as a function of the process arguments.
 *
 * @since 0.1.0
 * @category commands
 */
export const cli = Command.run(command, { name: "leadgraph", version: "0.1.0" })
