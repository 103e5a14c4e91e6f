/**
 * The runner's settings, read from the environment once, at start-up, under
 * the names the system leadgraph replaces used. Each value is validated; a bad
 * one fails start-up with a `ConfigError` that names the variable. Vendor
 * keys are read by the adapters' own `layerConfig`s; the crawler's
 * `CRAWLER_*` options by `CrawlerLive.config`, and `SCHED_CRON` and
 * `SCHED_TZ` by `Scheduler.config`, here.
 *
 * @since 0.1.0
 */
import { CrawlerLive, Resolver, Scheduler, Vendors } from "@leadgraph/adapters"
import { type EnrichmentRun, Llm, Lusha, type Nightly, Tavily, Tenant, ZeroBounce } from "@leadgraph/core"
import { Config, type ConfigError, Effect, Option } from "effect"

/**
 * Budget caps per tenant per day, in each vendor's units.
 *
 * @since 0.1.0
 * @category models
 */
export interface Caps {
  /** `TAVILY_MAX_QUERIES`: Tavily searches and extracts. */
  readonly tavilyQueries: number
  /** `LUSHA_MAX_CONTACT_LOOKUPS`: Lusha contact lookups. */
  readonly lushaLookups: number
  /** `ZEROBOUNCE_MAX_VERIFICATIONS`: paid ZeroBounce verifications. */
  readonly zeroBounceVerifications: number
  /** `OPENAI_DAILY_TOKENS_CAP`: LLM tokens. */
  readonly openAiTokens: number
}

/**
 * When and how widely the nightly run goes.
 *
 * @since 0.1.0
 * @category models
 */
export interface Schedule {
  /** `SCHED_CRON`: a five- or six-field cron pattern. */
  readonly cron: string
  /** `SCHED_TZ`: an IANA time zone. */
  readonly timeZone: string
  /** `SCHED_TENANT_CONCURRENCY`: tenants run at once. */
  readonly tenantConcurrency: number
  /** `SCHED_COMPANY_CONCURRENCY`: companies in flight per tenant. */
  readonly companyConcurrency: number
  /** `SCHED_DAILY_CAP_PER_TENANT`: companies per tenant per day (a tenant's row may override it). */
  readonly dailyCapPerTenant: number
  /** `SCHED_TENANT_INCLUDE`: only these tenant ids, when non-empty (comma-separated). */
  readonly include: ReadonlyArray<string>
  /** `SCHED_TENANT_EXCLUDE`: never these tenant ids (comma-separated). */
  readonly exclude: ReadonlyArray<string>
}

/**
 * Where the export threshold came from: `SCORE_MIN_EXPORT` wins over its
 * older alias `LEAD_THRESHOLD` when both are set.
 *
 * @since 0.1.0
 * @category models
 */
export type ThresholdSource = "SCORE_MIN_EXPORT" | "LEAD_THRESHOLD" | "default"

/**
 * All runner settings.
 *
 * @since 0.1.0
 * @category models
 */
export interface Settings {
  /** `DEFAULT_TENANT_ID`: the tenant `run` uses when none is given. */
  readonly defaultTenantId: Option.Option<string>
  readonly schedule: Schedule
  readonly caps: Caps
  /**
   * Caps of each run, by budget name, besides the daily `caps`; only those
   * set: `TAVILY_MAX_QUERIES_PER_RUN`, `LUSHA_MAX_CONTACT_LOOKUPS_PER_RUN`,
   * `ZEROBOUNCE_MAX_VERIFICATIONS_PER_RUN`, `OPENAI_MAX_TOKENS_PER_RUN`.
   * A call is made only when it fits both caps, so whichever has less left
   * binds; a resumed run counts what its earlier attempts used.
   */
  readonly runCaps: Readonly<Record<string, number>>
  /** `SCORE_MIN_EXPORT` (or `LEAD_THRESHOLD`): the lowest score exported, 0 to 100. */
  readonly scoreMinExport: number
  readonly scoreMinExportSource: ThresholdSource
  /** Set when both threshold variables were given: the ignored `LEAD_THRESHOLD` value. */
  readonly ignoredLeadThreshold: Option.Option<number>
  /** `PERSIST_CRAWL_CORPUS`: store crawl corpora, not just their signals. */
  readonly persistCrawlCorpus: boolean
  /** `EXTRACT_CORPUS_CHAR_LIMIT`: characters of crawled and searched text kept for extraction. */
  readonly corpusCharLimit: number
  /** `CRAWLER_*`: the crawler options set in the environment (user agent, pages, delays, parse threads and deadline, allowed private addresses). */
  readonly crawler: Partial<CrawlerLive.Options>
  /** `CRAWLER_HOSTS`: host names pinned to addresses for the crawler (empty: the system's resolver only). */
  readonly crawlerHosts: Readonly<Record<string, ReadonlyArray<string>>>
  /**
   * `LEADGRAPH_BUDGET_LEASE_SECONDS`: how long a run's hold on its budget
   * ledgers lasts without renewal (renewed every third of it, at most every
   * 30 s); when its process dies, its open reservations are settled as
   * spent this long after its last renewal.
   */
  readonly budgetLeaseSeconds: number
}

/**
 * The defaults, used for every variable that is not set.
 *
 * @since 0.1.0
 * @category defaults
 */
export const defaults = {
  schedule: {
    cron: Scheduler.defaults.cron,
    timeZone: Scheduler.defaults.timeZone,
    tenantConcurrency: 2,
    companyConcurrency: 20,
    dailyCapPerTenant: 1000,
    include: [],
    exclude: []
  },
  runCaps: {},
  caps: { tavilyQueries: 1000, lushaLookups: 500, zeroBounceVerifications: 2000, openAiTokens: 2_000_000 },
  scoreMinExport: 60,
  persistCrawlCorpus: false,
  corpusCharLimit: 12_000,
  crawler: {},
  crawlerHosts: {},
  budgetLeaseSeconds: 120
} as const satisfies Omit<Settings, "defaultTenantId" | "scoreMinExportSource" | "ignoredLeadThreshold">

const count = (name: string, description: string, min: number, fallback: number) =>
  Config.integer(name).pipe(
    Config.validate({ message: `must be a whole number of at least ${min}`, validation: (n) => n >= min }),
    Config.withDescription(description),
    Config.withDefault(fallback)
  )

const perRun = (name: string, description: string) =>
  Config.option(
    Config.integer(name).pipe(
      Config.validate({ message: "must be a whole number of at least 0", validation: (n) => n >= 0 }),
      Config.withDescription(`${description} (besides the daily cap; unset: none)`)
    )
  )

const ids = (name: string, description: string) =>
  Config.array(Config.string(), name).pipe(
    Config.map((xs) => xs.map((x) => x.trim()).filter((x) => x.length > 0)),
    Config.withDescription(description),
    Config.withDefault<ReadonlyArray<string>>([])
  )

const score = (name: string, description: string) =>
  Config.option(
    Config.number(name).pipe(
      Config.validate({ message: "must be a score from 0 to 100", validation: (n) => n >= 0 && n <= 100 }),
      Config.withDescription(description)
    )
  )

/**
 * The settings as a `Config`: provide another `ConfigProvider` to read them
 * from somewhere other than the environment (tests use a map).
 *
 * @since 0.1.0
 * @category config
 */
export const config: Config.Config<Settings> = Config.all({
  defaultTenantId: Config.option(Config.string("DEFAULT_TENANT_ID").pipe(Config.withDescription("tenant for `leadgraph run` without --tenant"))),
  schedule: Config.zipWith(Scheduler.config, Config.all({
    tenantConcurrency: count("SCHED_TENANT_CONCURRENCY", "tenants run at once", 1, defaults.schedule.tenantConcurrency),
    companyConcurrency: count("SCHED_COMPANY_CONCURRENCY", "companies in flight per tenant", 1, defaults.schedule.companyConcurrency),
    dailyCapPerTenant: count("SCHED_DAILY_CAP_PER_TENANT", "companies per tenant per day", 0, defaults.schedule.dailyCapPerTenant),
    include: ids("SCHED_TENANT_INCLUDE", "only these tenant ids (comma-separated)"),
    exclude: ids("SCHED_TENANT_EXCLUDE", "never these tenant ids (comma-separated)")
  }), (when, rest) => ({ ...when, ...rest })),
  caps: Config.all({
    tavilyQueries: count("TAVILY_MAX_QUERIES", "Tavily queries per tenant per day", 0, defaults.caps.tavilyQueries),
    lushaLookups: count("LUSHA_MAX_CONTACT_LOOKUPS", "Lusha lookups per tenant per day", 0, defaults.caps.lushaLookups),
    zeroBounceVerifications: count("ZEROBOUNCE_MAX_VERIFICATIONS", "ZeroBounce verifications per tenant per day", 0, defaults.caps.zeroBounceVerifications),
    openAiTokens: count("OPENAI_DAILY_TOKENS_CAP", "LLM tokens per tenant per day", 0, defaults.caps.openAiTokens)
  }),
  runCaps: Config.all({
    [Tavily.budget]: perRun("TAVILY_MAX_QUERIES_PER_RUN", "Tavily queries per run"),
    [Lusha.budget]: perRun("LUSHA_MAX_CONTACT_LOOKUPS_PER_RUN", "Lusha lookups per run"),
    [ZeroBounce.budget]: perRun("ZEROBOUNCE_MAX_VERIFICATIONS_PER_RUN", "ZeroBounce verifications per run"),
    [Llm.tokenBudget]: perRun("OPENAI_MAX_TOKENS_PER_RUN", "LLM tokens per run")
  }).pipe(Config.map((caps) =>
    Object.fromEntries(Object.entries(caps).flatMap(([name, cap]) => Option.isSome(cap) ? [[name, cap.value]] : []))
  )),
  scoreMinExport: score("SCORE_MIN_EXPORT", "lowest score exported to Odoo (0-100)"),
  leadThreshold: score("LEAD_THRESHOLD", "older alias of SCORE_MIN_EXPORT; SCORE_MIN_EXPORT wins when both are set"),
  persistCrawlCorpus: Config.boolean("PERSIST_CRAWL_CORPUS").pipe(
    Config.withDescription("store crawl corpora, not only their signals"),
    Config.withDefault(defaults.persistCrawlCorpus)
  ),
  corpusCharLimit: count("EXTRACT_CORPUS_CHAR_LIMIT", "characters of text kept for extraction", 1, defaults.corpusCharLimit),
  crawler: CrawlerLive.config,
  crawlerHosts: Resolver.config,
  budgetLeaseSeconds: count(
    "LEADGRAPH_BUDGET_LEASE_SECONDS",
    "seconds after which a dead process's budget reservations are settled as spent",
    1,
    defaults.budgetLeaseSeconds
  )
}).pipe(Config.map(({ leadThreshold, scoreMinExport, ...rest }): Settings => ({
  ...rest,
  scoreMinExport: Option.getOrElse(Option.orElse(scoreMinExport, () => leadThreshold), () => defaults.scoreMinExport),
  scoreMinExportSource: Option.isSome(scoreMinExport) ? "SCORE_MIN_EXPORT" : Option.isSome(leadThreshold) ? "LEAD_THRESHOLD" : "default",
  ignoredLeadThreshold: Option.isSome(scoreMinExport) ? leadThreshold : Option.none()
})))

/**
 * Reads the settings and logs where the export threshold came from (a
 * warning when `LEAD_THRESHOLD` was set but `SCORE_MIN_EXPORT` won).
 *
 * @since 0.1.0
 * @category config
 */
export const load: Effect.Effect<Settings, ConfigError.ConfigError> = Effect.gen(function*() {
  const settings = yield* config
  if (Option.isSome(settings.ignoredLeadThreshold)) {
    yield* Effect.logWarning(
      `SCORE_MIN_EXPORT=${settings.scoreMinExport} wins over LEAD_THRESHOLD=${settings.ignoredLeadThreshold.value}; LEAD_THRESHOLD is ignored`
    )
  } else {
    yield* Effect.logInfo(`export threshold ${settings.scoreMinExport} (from ${settings.scoreMinExportSource})`)
  }
  return settings
}).pipe(Effect.withSpan("Settings.load"))

/**
 * The caps as the budgets the adapters draw from, by budget name.
 *
 * @since 0.1.0
 * @category helpers
 */
export const budgetCaps = (caps: Caps): Readonly<Record<string, number>> => ({
  [Tavily.budget]: caps.tavilyQueries,
  [Lusha.budget]: caps.lushaLookups,
  [ZeroBounce.budget]: caps.zeroBounceVerifications,
  [Llm.tokenBudget]: caps.openAiTokens
})

/**
 * The tenants the nightly run and an HTTP kickoff of every tenant take
 * (`SCHED_TENANT_INCLUDE`, `SCHED_TENANT_EXCLUDE`), as core's filter.
 *
 * @since 0.1.0
 * @category helpers
 */
export const tenantFilter = (settings: Pick<Settings, "schedule">): Tenant.TenantFilter => ({
  include: settings.schedule.include.map((id) => Tenant.TenantId.make(id)),
  exclude: settings.schedule.exclude.map((id) => Tenant.TenantId.make(id))
})

/**
 * What every tenant run takes from the settings: companies in flight, the
 * daily and per-run caps, the export threshold and corpus limit, and
 * whether crawl corpora are kept.
 *
 * @since 0.1.0
 * @category helpers
 */
export const runOptions = (settings: Settings) => ({
  concurrency: settings.schedule.companyConcurrency,
  caps: budgetCaps(settings.caps),
  runCaps: settings.runCaps,
  knobs: { scoreMinExport: settings.scoreMinExport, corpusCharLimit: settings.corpusCharLimit },
  persistCrawlCorpus: settings.persistCrawlCorpus
}) satisfies Partial<EnrichmentRun.Options>

/**
 * The nightly run's options from the settings (the tenant filter, tenants
 * at once, the daily cap, the zone, {@link runOptions}), with `tenant`'s
 * options over each tenant run's.
 *
 * @since 0.1.0
 * @category helpers
 */
export const nightly = (settings: Settings, tenant?: Partial<Nightly.Options["tenant"]>): Nightly.Options => ({
  filter: tenantFilter(settings),
  tenantConcurrency: settings.schedule.tenantConcurrency,
  dailyCap: settings.schedule.dailyCapPerTenant,
  timeZone: settings.schedule.timeZone,
  tenant: { ...runOptions(settings), ...tenant }
})

/**
 * The cluster: whether `run`, `nightly` and the kickoffs of `serve` hand
 * their companies to `leadgraph worker` processes, the address a worker
 * listens on and advertises, and the cluster's timings. Read only by the
 * commands that take part in a cluster.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClusterSettings {
  /** `LEADGRAPH_CLUSTER`: runs hand each company to the workers (needs `DATABASE_URL`). */
  readonly enabled: boolean
  /** `LEADGRAPH_WORKER_HOST`: the address other processes reach this worker at (`--host`). */
  readonly host: string
  /** `LEADGRAPH_WORKER_PORT`: the worker's port for runner-to-runner traffic (`--port`). */
  readonly port: number
  /** `LEADGRAPH_WORKER_LISTEN_HOST`: the interface to listen on, when not `host` (e.g. `0.0.0.0` behind NAT). */
  readonly listenHost: Option.Option<string>
  /**
   * `LEADGRAPH_CLUSTER_LEASE_SECONDS`: how long a worker that stopped
   * heartbeating keeps its shards, i.e. how long its companies wait before
   * the others take them over; heartbeats and health checks run at a third
   * of it. The same value on every process.
   */
  readonly leaseSeconds: number
  /** `LEADGRAPH_CLUSTER_POLL_SECONDS`: how often a worker reads its shards' pending messages from the database. */
  readonly pollSeconds: number
}

/**
 * The cluster settings' defaults.
 *
 * @since 0.1.0
 * @category defaults
 */
export const clusterDefaults = {
  enabled: false,
  host: "127.0.0.1",
  port: 34431,
  listenHost: Option.none(),
  leaseSeconds: 35,
  pollSeconds: 10
} as const satisfies ClusterSettings

/**
 * The cluster settings as a `Config`.
 *
 * @since 0.1.0
 * @category config
 */
export const clusterConfig: Config.Config<ClusterSettings> = Config.all({
  enabled: Config.boolean("LEADGRAPH_CLUSTER").pipe(
    Config.withDescription("hand each company of a run to the `leadgraph worker` processes"),
    Config.withDefault(clusterDefaults.enabled)
  ),
  host: Config.string("LEADGRAPH_WORKER_HOST").pipe(
    Config.withDescription("the address other processes reach this worker at"),
    Config.withDefault(clusterDefaults.host)
  ),
  port: Config.port("LEADGRAPH_WORKER_PORT").pipe(
    Config.withDescription("the worker's port for runner-to-runner traffic"),
    Config.withDefault(clusterDefaults.port)
  ),
  listenHost: Config.option(Config.string("LEADGRAPH_WORKER_LISTEN_HOST").pipe(
    Config.withDescription("the interface the worker listens on, when not LEADGRAPH_WORKER_HOST")
  )),
  leaseSeconds: count("LEADGRAPH_CLUSTER_LEASE_SECONDS", "seconds before a dead worker's shards are taken over", 1, clusterDefaults.leaseSeconds),
  pollSeconds: count("LEADGRAPH_CLUSTER_POLL_SECONDS", "seconds between a worker's reads of pending messages", 1, clusterDefaults.pollSeconds)
})

/**
 * The environment variables the runner reads, by concern: the one list
 * that `--help` ("Environment:") and the README draw from.
 *
 * @since 0.1.0
 * @category config
 */
export const variables = {
  /** The store: the runtime role, and the owner that migrates (`Database.layer`). */
  database: ["DATABASE_URL", "MIGRATION_DATABASE_URL"],
  /** When and how widely the nightly run goes ({@link config}'s `schedule`). */
  schedule: [
    "SCHED_CRON",
    "SCHED_TZ",
    "SCHED_TENANT_CONCURRENCY",
    "SCHED_COMPANY_CONCURRENCY",
    "SCHED_DAILY_CAP_PER_TENANT",
    "SCHED_TENANT_INCLUDE",
    "SCHED_TENANT_EXCLUDE"
  ],
  /** The paid vendors' keys (`Vendors.keyVariables`): a real run needs them all, a dry run none. */
  vendorKeys: Vendors.keyVariables,
  /** The vendors' endpoints and client-side rate limits (`Vendors.config`, `Vendors.odooConfig`). */
  vendors: [
    "TAVILY_BASE_URL",
    "LUSHA_BASE_URL",
    "ZEROBOUNCE_BASE_URL",
    "OPENAI_BASE_URL",
    "TAVILY_REQUESTS_PER_MINUTE",
    "LUSHA_REQUESTS_PER_MINUTE",
    "ZEROBOUNCE_VALIDATIONS_PER_MINUTE",
    "OPENAI_REQUESTS_PER_MINUTE",
    "ODOO_CALLS_PER_SECOND"
  ],
  /** Each tenant's daily caps and each run's caps ({@link config}'s `caps` and `runCaps`). */
  caps: [
    "TAVILY_MAX_QUERIES",
    "LUSHA_MAX_CONTACT_LOOKUPS",
    "ZEROBOUNCE_MAX_VERIFICATIONS",
    "OPENAI_DAILY_TOKENS_CAP",
    "TAVILY_MAX_QUERIES_PER_RUN",
    "LUSHA_MAX_CONTACT_LOOKUPS_PER_RUN",
    "ZEROBOUNCE_MAX_VERIFICATIONS_PER_RUN",
    "OPENAI_MAX_TOKENS_PER_RUN"
  ],
  /** What a run does besides: its tenant, export threshold, corpus, ledger lease. */
  run: [
    "DEFAULT_TENANT_ID",
    "SCORE_MIN_EXPORT",
    "LEAD_THRESHOLD",
    "EXTRACT_CORPUS_CHAR_LIMIT",
    "PERSIST_CRAWL_CORPUS",
    "LEADGRAPH_BUDGET_LEASE_SECONDS"
  ],
  /** The crawler (`CrawlerLive.config`, `Resolver.config`). */
  crawler: [
    "CRAWLER_USER_AGENT",
    "CRAWLER_MAX_PAGES",
    "CRAWLER_MIN_DELAY_MS",
    "CRAWLER_PARSE_WORKERS",
    "CRAWLER_PARSE_TIMEOUT_MS",
    "CRAWLER_ALLOW_ADDRESSES",
    "CRAWLER_HOSTS"
  ],
  /** The process: logs, colour, the grace period of a stop. */
  output: ["LOG_LEVEL", "NO_COLOR", "LEADGRAPH_STOP_GRACE_SECONDS"],
  /** OTLP export of spans and metrics (`Telemetry.config`), read by every command. */
  telemetry: ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_SERVICE_NAME", "OTEL_EXPORTER_OTLP_HEADERS"],
  /** The cluster: `leadgraph worker` and cluster mode ({@link clusterConfig}). */
  cluster: [
    "LEADGRAPH_CLUSTER",
    "LEADGRAPH_WORKER_HOST",
    "LEADGRAPH_WORKER_PORT",
    "LEADGRAPH_WORKER_LISTEN_HOST",
    "LEADGRAPH_CLUSTER_LEASE_SECONDS",
    "LEADGRAPH_CLUSTER_POLL_SECONDS"
  ],
  /** `leadgraph serve`'s admin token. */
  serve: ["LEADGRAPH_ADMIN_TOKEN"]
} as const satisfies Record<string, ReadonlyArray<string>>

/**
 * `Environment: A, B, C.`: the variables of the given concerns, for a
 * command's `--help`.
 *
 * @since 0.1.0
 * @category config
 */
export const environmentHelp = (...concerns: ReadonlyArray<keyof typeof variables>): string =>
  `Environment: ${[...new Set(concerns.flatMap((c) => variables[c]))].join(", ")}.`
