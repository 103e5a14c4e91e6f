/**
 * What runs a run's companies through the pipeline: the tenant's
 * checkpoints, ICP rules, Odoo connection and run context, its services for
 * the run (ledger, caches) and the vendors built over them. One
 * implementation for both the in-process run (every company of the run
 * through one environment) and a cluster worker (one environment per run it
 * has companies of, each company a stream of one).
 *
 * @internal
 */
import * as Checkpoint from "../../engine/Checkpoint.js"
import * as Engine from "../../engine/Engine.js"
import type * as EngineError from "../../engine/Errors.js"
import * as Events from "../../engine/Events.js"
import type * as Company from "../../enrichment/Company.js"
import * as Pipeline from "../../enrichment/Pipeline.js"
import type * as RunDay from "../../enrichment/RunDay.js"
import * as RunContext from "../../enrichment/steps/RunContext.js"
import type * as Store from "../../enrichment/Store.js"
import type * as Tenant from "../../enrichment/Tenant.js"
import type { Crawler } from "../../enrichment/Crawler.js"
import type { ConfigError, Scope } from "effect"
import { Context, Effect, Layer, Option, Stream } from "effect"
import * as OdooConnector from "../OdooConnector.js"
import type * as RunOutcome from "../RunOutcome.js"
import * as TenantServices from "../TenantServices.js"
import * as VendorConnector from "../VendorConnector.js"
import * as CrawlCheckpoints from "./crawlCheckpoints.js"

/** What a run's environment is built from. */
export interface Options {
  readonly tenantId: Tenant.TenantId
  readonly runId: string
  readonly runDay: RunDay.RunDay
  readonly concurrency: number
  readonly skip?: ReadonlyArray<string> | undefined
  readonly only?: ReadonlyArray<string> | undefined
  readonly runCaps?: Readonly<Record<string, number>> | undefined
  readonly knobs?: Partial<Omit<RunContext.Service, "tenantId" | "runId" | "rules">> | undefined
  readonly persistCrawlCorpus?: boolean | undefined
  /** False for a run just created: it has no checkpoints yet, so none are looked for. */
  readonly mayHaveCheckpoints: boolean
  readonly sinks?: ReadonlyArray<Events.Sink> | undefined
}

/** A run's environment. */
export interface RunEnvironment {
  /** The pipeline over these companies, one result per company as each finishes. */
  readonly enrich: (
    companies: Stream.Stream<Company.Company>
  ) => Stream.Stream<RunOutcome.RecordedResult, EngineError.GraphError>
  /** The run's tenant services (its ledger's budget, for the budgets' use at the end). */
  readonly services: Context.Context<Effect.Effect.Success<ReturnType<typeof TenantServices.forRun>> extends Context.Context<infer S> ? S : never>
}

/** The step filter of a run: a tenant without an active Odoo connection runs as with `skip: ["export"]`. */
export const stepFilter = (
  options: Pick<Options, "skip" | "only">,
  odooConnected: boolean
): { readonly skip?: ReadonlyArray<string>; readonly only?: ReadonlyArray<string> } => ({
  ...(options.only === undefined ? {} : { only: options.only }),
  ...(odooConnected
    ? options.skip === undefined ? {} : { skip: options.skip }
    : { skip: [...new Set([...(options.skip ?? []), "export"])] })
})

/** Whether a tenant's Odoo connection is there and active. */
export const isConnected = (connection: Option.Option<Tenant.OdooConnection>): boolean =>
  Option.isSome(connection) && connection.value.active

/**
 * The tenant's Odoo for this run (or none), and what the run context says
 * about exporting. Without an active connection the `export` step is left
 * out, as with `skip: ["export"]`.
 */
const odooOf = (connection: Option.Option<Tenant.OdooConnection>, options: Options) =>
  Effect.gen(function*() {
    const exportToOdoo = (options.knobs?.exportToOdoo ?? true) && isConnected(connection)
    if (!exportToOdoo || Option.isNone(connection)) {
      return { layer: OdooConnector.disconnected, knobs: { exportToOdoo: false } }
    }
    const connector = yield* OdooConnector.OdooConnector
    return {
      layer: connector.connect(options.tenantId, connection.value),
      knobs: { exportToOdoo: true, createLeads: connection.value.createLeads }
    }
  })

/** The engine's options for a run. */
export const engineOptions = (runId: string, concurrency: number, filter: ReturnType<typeof stepFilter>) => ({
  runId,
  concurrency,
  targetId: (c: Company.Company) => c.id,
  span: { name: "company", attributes: (c: Company.Company) => ({ "company.id": c.id, "company.domain": c.domain }) },
  ...filter
})

/**
 * Builds a run's environment for the life of the scope (the run's ledger
 * is held, as its owner, until the scope closes).
 */
export const make = (
  tenant: Store.TenantStore,
  options: Options
): Effect.Effect<
  RunEnvironment,
  Store.StoreError | ConfigError.ConfigError,
  | Scope.Scope
  | Store.Store
  | TenantServices.TenantServices
  | VendorConnector.VendorConnector
  | OdooConnector.OdooConnector
  | Crawler
> =>
  Effect.gen(function*() {
    const connection = yield* tenant.tenants.odooConnection
    const filter = stepFilter(options, isConnected(connection))
    const stored = yield* Effect.flatMap(TenantServices.TenantServices, (s) => s.checkpoint(options.tenantId))
    const kept = options.persistCrawlCorpus === true ? stored : CrawlCheckpoints.withoutCorpora(stored)
    // a run's manifest is written before its first checkpoint, so a run id
    // without a manifest has no checkpoints: do not look for them
    const checkpoint: Checkpoint.Service = options.mayHaveCheckpoints
      ? kept
      : { ...kept, load: () => Effect.succeedNone }
    const rules = yield* tenant.icpRules.listActive
    const odoo = yield* odooOf(connection, options)
    const context = RunContext.layer({
      ...options.knobs,
      ...odoo.knobs,
      tenantId: options.tenantId,
      runId: options.runId,
      rules
    })
    // the tenant's services for this run (its ledger counts the run's day and
    // is held by this run until it ends), and the vendors built over them
    const services = yield* TenantServices.forRun(options.tenantId, {
      runId: options.runId,
      day: options.runDay,
      caps: options.runCaps
    })
    const connector = yield* VendorConnector.VendorConnector
    const vendors = yield* Layer.build(connector.connect).pipe(Effect.provide(services))
    const crawler = yield* Effect.context<Crawler | Store.Store>()
    const provided = yield* Layer.build(Layer.mergeAll(odoo.layer, context, Events.layer(...(options.sinks ?? [])))).pipe(
      Effect.map((built) => Context.merge(Context.merge(Context.merge(services, vendors), built), crawler))
    )
    const engine = engineOptions(options.runId, options.concurrency, filter)
    return {
      services,
      enrich: (companies: Stream.Stream<Company.Company>) =>
        Engine.stream(Pipeline.graph, companies, engine).pipe(
          Stream.provideSomeContext(Context.add(provided, Checkpoint.Checkpoint, checkpoint))
        )
    } satisfies RunEnvironment
  })
