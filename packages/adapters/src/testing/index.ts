/**
 * `@leadgraph/adapters/testing`: fakes for tests, demos and benchmarks — fake
 * vendor servers that speak each vendor's wire format on 127.0.0.1, in-memory
 * layers of the vendor ports, the fixture web, and test databases. Kept out
 * of the main entry point so that production bundles do not carry them.
 *
 * @since 0.1.0
 */

/** A local fixture web server with company and hostile sites under `*.test`. @since 0.1.0 */
export * as FixtureWeb from "../crawler/testing/FixtureWeb.js"
/** A fake Odoo JSON-RPC server on 127.0.0.1 that keeps its own records. @since 0.1.0 */
export * as FakeOdooServer from "../odoo/testing/FakeOdooServer.js"
/** The in-memory records behind the fake Odoo (res.partner, crm.lead). @since 0.1.0 */
export * as OdooDatabase from "../odoo/testing/OdooDatabase.js"
/** A fake OpenAI chat-completions server on 127.0.0.1 with strict-schema checks. @since 0.1.0 */
export * as FakeOpenAiServer from "../llm/testing/FakeOpenAiServer.js"
/** A fake Tavily server on 127.0.0.1 speaking Tavily's wire format. @since 0.1.0 */
export * as FakeTavilyServer from "../tavily/testing/FakeTavilyServer.js"
/** A fake Lusha server on 127.0.0.1 speaking Lusha's v2 wire format. @since 0.1.0 */
export * as FakeLushaServer from "../lusha/testing/FakeLushaServer.js"
/** A fake ZeroBounce server on 127.0.0.1 speaking ZeroBounce's v2 wire format. @since 0.1.0 */
export * as FakeZeroBounceServer from "../zerobounce/testing/FakeZeroBounceServer.js"
/** Fake vendor servers: the shared knobs and the handle tests read counters from. @since 0.1.0 */
export * as FakeVendor from "./FakeVendor.js"
/** All five fake vendors started at once with one seed. @since 0.1.0 */
export * as FakeVendors from "./FakeVendors.js"
/** Test databases: PGlite in memory, and scratch schemas on Postgres. @since 0.1.0 */
export * as TestDatabases from "./TestDatabases.js"
/** An in-memory Tavily with the fake server's data. @since 0.1.0 */
export * as TavilyFake from "../tavily/testing/TavilyFake.js"
/** An in-memory Lusha with the fake server's contacts. @since 0.1.0 */
export * as LushaFake from "../lusha/testing/LushaFake.js"
/** An in-memory ZeroBounce with the fake server's verdicts. @since 0.1.0 */
export * as ZeroBounceFake from "../zerobounce/testing/ZeroBounceFake.js"
/** An in-memory LLM: the fake OpenAI's model without HTTP. @since 0.1.0 */
export * as LlmFake from "../llm/testing/LlmFake.js"
/** An in-memory Odoo: the fake server's database without HTTP. @since 0.1.0 */
export * as OdooFake from "../odoo/testing/OdooFake.js"
/** The demo's world: two seeded tenants, the fixture sites, the fakes and the live environment over them. @since 0.1.0 */
export * as DemoWorld from "./DemoWorld.js"
/** The fake world of `leadgraph fakes`: fixture sites, the five fakes, and the environment that uses them. @since 0.1.0 */
export * as FakeWorld from "./FakeWorld.js"
