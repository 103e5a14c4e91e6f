/**
 * `@leadgraph/adapters`: live and fake implementations of the leadgraph
 * ports: vendor clients, the crawler and the Postgres store.
 *
 * @since 0.1.0
 */

/** The live crawler: robots.txt, politeness, limits, no SSRF. @since 0.1.0 */
export * as WebCrawler from "./crawler/WebCrawler.js"
/** robots.txt rules per RFC 9309. @since 0.1.0 */
export * as Robots from "./crawler/Robots.js"
/** Host name resolution for the crawler (system DNS or a static table). @since 0.1.0 */
export * as Resolver from "./crawler/Resolver.js"
/** Per-host politeness shared by all fibers: one request at a time, delays kept. @since 0.1.0 */
export * as Politeness from "./crawler/Politeness.js"
/** A local fixture web server with company and hostile sites under `*.test`. @since 0.1.0 */
export * as FixtureWeb from "./crawler/testing/FixtureWeb.js"
/** Where the store's Postgres comes from: a URL or embedded PGlite. @since 0.1.0 */
export * as Database from "./store/Database.js"
/** The store's ordered migrations, applied with PgMigrator. @since 0.1.0 */
export * as Migrations from "./store/Migrations.js"
/** Tenant scope: transactions as the application role under row-level security. @since 0.1.0 */
export * as Tenancy from "./store/Tenancy.js"
/** The Postgres store: core's Store port. @since 0.1.0 */
export * as PgStore from "./store/PgStore.js"
/** Tenant API tokens, stored as hashes. @since 0.1.0 */
export * as ApiTokens from "./store/ApiTokens.js"
/** The SQL budget ledger: core's BudgetLedger port in Postgres. @since 0.1.0 */
export * as PgBudgetLedger from "./store/PgBudgetLedger.js"
/** The SQL checkpoint store: core's Checkpoint port in Postgres. @since 0.1.0 */
export * as PgCheckpoint from "./store/PgCheckpoint.js"
/** The SQL email verification cache: core's VerificationCache port in Postgres. @since 0.1.0 */
export * as PgVerificationCache from "./store/PgVerificationCache.js"
/** The SQL paid results store: core's PaidResults port in Postgres. @since 0.1.0 */
export * as PgPaidResults from "./store/PgPaidResults.js"
/** The Odoo CRM over JSON-RPC: core's Odoo port, idempotent upserts. @since 0.1.0 */
export * as OdooJsonRpc from "./odoo/OdooJsonRpc.js"
/** A fake Odoo JSON-RPC server on 127.0.0.1 that keeps its own records. @since 0.1.0 */
export * as FakeOdooServer from "./odoo/testing/FakeOdooServer.js"
/** The in-memory records behind the fake Odoo (res.partner, crm.lead). @since 0.1.0 */
export * as OdooDatabase from "./odoo/testing/OdooDatabase.js"
/** The LLM over OpenAI chat completions (openai SDK): core's Llm port. @since 0.1.0 */
export * as OpenAiLlm from "./llm/OpenAiLlm.js"
/** A fake OpenAI chat-completions server on 127.0.0.1 with strict-schema checks. @since 0.1.0 */
export * as FakeOpenAiServer from "./llm/testing/FakeOpenAiServer.js"
/** Tavily search and extract over HTTP: core's Tavily port, plus an in-memory fake. @since 0.1.0 */
export * as TavilyLive from "./tavily/TavilyLive.js"
/** A fake Tavily server on 127.0.0.1 speaking Tavily's wire format. @since 0.1.0 */
export * as FakeTavilyServer from "./tavily/testing/FakeTavilyServer.js"
/** Lusha contacts over HTTP: core's Lusha port, plus an in-memory fake. @since 0.1.0 */
export * as LushaLive from "./lusha/LushaLive.js"
/** A fake Lusha server on 127.0.0.1 speaking Lusha's v2 wire format. @since 0.1.0 */
export * as FakeLushaServer from "./lusha/testing/FakeLushaServer.js"
/** ZeroBounce email verification over HTTP, cached and batched: core's ZeroBounce port, plus an in-memory fake. @since 0.1.0 */
export * as ZeroBounceLive from "./zerobounce/ZeroBounceLive.js"
/** A fake ZeroBounce server on 127.0.0.1 speaking ZeroBounce's v2 wire format. @since 0.1.0 */
export * as FakeZeroBounceServer from "./zerobounce/testing/FakeZeroBounceServer.js"
/** Fake vendor servers: the shared knobs and the handle tests read counters from. @since 0.1.0 */
export * as FakeVendor from "./testing/FakeVendor.js"
/** All five fake vendors started at once with one seed. @since 0.1.0 */
export * as FakeVendors from "./testing/FakeVendors.js"
/** Test databases: PGlite in memory, and scratch schemas on Postgres. @since 0.1.0 */
export * as TestDatabases from "./testing/TestDatabases.js"
