/**
 * `@leadgraph/adapters`: the live implementations of the leadgraph
 * ports: vendor clients, the crawler and the Postgres store. Fakes and
 * test databases are in `@leadgraph/adapters/testing`.
 *
 * @since 0.1.0
 */

/** The live crawler: robots.txt, politeness, limits, no SSRF. @since 0.1.0 */
export * as CrawlerLive from "./crawler/CrawlerLive.js"
/** robots.txt rules per RFC 9309. @since 0.1.0 */
export * as Robots from "./crawler/Robots.js"
/** Host name resolution for the crawler (system DNS or a static table). @since 0.1.0 */
export * as Resolver from "./crawler/Resolver.js"
/** Per-host politeness shared by all fibers: one request at a time, delays kept. @since 0.1.0 */
export * as Politeness from "./crawler/Politeness.js"
/** Per-host politeness shared by every process on one database: a lease row per host. @since 0.1.0 */
export * as SharedPoliteness from "./crawler/SharedPoliteness.js"
/** Vendor rate limits shared by every process: the vendor clients take their turns from one RateLimiter. @since 0.1.0 */
export * as SharedRateLimits from "./SharedRateLimits.js"
/** A Postgres store for `@effect/experimental`'s RateLimiter, shared by every process on the database. @since 0.1.0 */
export * as RateLimiterStoreSql from "./store/RateLimiterStoreSql.js"
/** Where the store's Postgres comes from: a URL or embedded PGlite. @since 0.1.0 */
export * as Database from "./store/Database.js"
/** The store's ordered migrations, applied with PgMigrator. @since 0.1.0 */
export * as Migrations from "./store/Migrations.js"
/** Tenant scope: transactions as the application role under row-level security. @since 0.1.0 */
export * as Tenancy from "./store/Tenancy.js"
/** The Postgres store: core's Store port. @since 0.1.0 */
export * as StoreLive from "./store/StoreLive.js"
/** An operator's company file (CSV or JSON Lines), streamed row by row for `CompanyImport`. @since 0.1.0 */
export * as CompanyFile from "./files/CompanyFile.js"
/** An operator's ICP rules file (JSON or YAML) read into plain data. @since 0.1.0 */
export * as IcpFile from "./files/IcpFile.js"
/** Tenant API tokens, stored as hashes. @since 0.1.0 */
export * as ApiTokens from "./store/ApiTokens.js"
/** The SQL budget ledger: core's BudgetLedger port in Postgres. @since 0.1.0 */
export * as BudgetLedgerLive from "./store/BudgetLedgerLive.js"
/** The SQL checkpoint store: core's Checkpoint port in Postgres. @since 0.1.0 */
export * as CheckpointLive from "./store/CheckpointLive.js"
/** The SQL email verification cache: core's VerificationCache port in Postgres. @since 0.1.0 */
export * as VerificationCacheLive from "./store/VerificationCacheLive.js"
/** The leadgraph cluster: `@effect/cluster` sharding over the store's Postgres (`leadgraph worker`). @since 0.1.0 */
export * as Cluster from "./cluster/Cluster.js"
/** The cluster entity that enriches one company of one run, and the dispatcher that sends it work. @since 0.1.0 */
export * as CompanyEnrichmentEntity from "./cluster/CompanyEnrichmentEntity.js"
/** The live vendor adapters as one set (config, layer), and the live connector to each tenant's Odoo. @since 0.1.0 */
export * as Vendors from "./Vendors.js"
/** Each tenant's ledger, verification cache, paid results and checkpoints in Postgres: core's TenantServices port. @since 0.1.0 */
export * as TenantServicesLive from "./store/TenantServicesLive.js"
/** The SQL paid results store: core's PaidResults port in Postgres. @since 0.1.0 */
export * as PaidResultsLive from "./store/PaidResultsLive.js"
/** The Odoo CRM over JSON-RPC: core's Odoo port, idempotent upserts. @since 0.1.0 */
export * as OdooLive from "./odoo/OdooLive.js"
/** The LLM over OpenAI chat completions (openai SDK): core's Llm port. @since 0.1.0 */
export * as LlmLive from "./llm/LlmLive.js"
/** Tavily search and extract over HTTP: core's Tavily port. @since 0.1.0 */
export * as TavilyLive from "./tavily/TavilyLive.js"
/** Lusha contacts over HTTP: core's Lusha port. @since 0.1.0 */
export * as LushaLive from "./lusha/LushaLive.js"
/** ZeroBounce email verification over HTTP, cached and batched: core's ZeroBounce port. @since 0.1.0 */
export * as ZeroBounceLive from "./zerobounce/ZeroBounceLive.js"
/** Everything a tenant's run needs, live, as one layer: database, store, tenant services, vendors, crawler, Odoo. @since 0.1.0 */
export * as Environment from "./Environment.js"
/** Cron scheduling (croner) in a time zone, with catch-up and no overlapping runs. @since 0.1.0 */
export * as Scheduler from "./scheduler/Scheduler.js"
/** The scheduler's state in the database: each tick run by the one process that takes it. @since 0.1.0 */
export * as SchedulerSql from "./scheduler/SchedulerSql.js"
/** Core's kickoffs carried out for real: `EnrichmentRun.run` in the live environment, built at the first kickoff. @since 0.1.0 */
export * as KickoffsLive from "./KickoffsLive.js"
/** The HTTP API of `leadgraph serve` as an `HttpApi`: endpoints, errors and security, for servers and clients. @since 0.1.0 */
export * as HttpApiDefinition from "./http/HttpApiDefinition.js"
/** The admin API's tenant set-up group (tenants, ICP rules, Odoo, companies) and its schemas. @since 0.1.0 */
export * as AdminTenantsApi from "./http/AdminTenantsApi.js"
