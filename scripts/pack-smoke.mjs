#!/usr/bin/env node
// The packages as a user gets them: packs @leadgraph/core, adapters and
// runner (built first: `npm run build`), installs the tarballs with their
// peers into a new project outside the workspace, imports them from ESM
// and from CommonJS, type-checks a consumer with `skipLibCheck: false`, and
// runs the installed `leadgraph` binary (`--help`, `graph`, `tenants list`
// on the embedded database), the plain
// `node` examples (`examples/promise-graph.mjs`) and the HttpApi example
// (`examples/http-service.ts`, compiled with tsc, run with `--self-test`).
// `node scripts/pack-smoke.mjs [--keep]`
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))
const keep = process.argv.includes("--keep")
const work = mkdtempSync(join(tmpdir(), "leadgraph-pack-"))
const started = Date.now()

/** Says what failed, removes the work folder (unless --keep) and exits with 1. */
const fail = (message) => {
  process.stderr.write(`${message}\n`)
  if (!keep) rmSync(work, { recursive: true, force: true })
  process.exit(1)
}
const run = (cmd, args, cwd, options = {}) => {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], ...options })
  if (r.status !== 0) fail(`${cmd} ${args.join(" ")} (in ${cwd}) failed with ${r.status ?? r.signal}\n${r.stdout}\n${r.stderr}`)
  return r.stdout
}
const step = (text) => console.log(`pack: ${text} (${((Date.now() - started) / 1000).toFixed(1)} s)`)

// 1. pack
const tarballs = ["core", "adapters", "runner"].map((pkg) => {
  const out = run("npm", ["pack", "--silent", "--pack-destination", work], join(root, "packages", pkg)).trim().split("\n").at(-1)
  return join(work, out)
})
step(`packed ${tarballs.map((t) => t.split("/").at(-1)).join(", ")}`)

// 2. install into a project of its own, with the peers at the versions the workspace uses
const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8"))
const version = (name) => lock.packages[`node_modules/${name}`]?.version
const peers = ["effect", "@effect/platform", "@effect/platform-node", "@effect/experimental", "@effect/sql", "@effect/sql-pg", "@effect/cli", "@effect/opentelemetry"]
  .map((name) => `${name}@${version(name)}`)
const app = join(work, "app")
run("mkdir", ["-p", app], work)
writeFileSync(join(app, "package.json"), JSON.stringify({ name: "leadgraph-consumer", private: true, type: "module" }, null, 2))
run("npm", [
  "install", "--no-audit", "--no-fund", "--loglevel=error",
  ...tarballs, ...peers, `typescript@${version("typescript")}`, `@types/node@${version("@types/node")}`
], app)
step("installed the tarballs and their peers")

// 3. ESM and CommonJS
const esm = `
import { Engine, EnrichmentRun, Graph, Pipeline, Store } from "@leadgraph/core"
import { StoreLive, CrawlerLive } from "@leadgraph/adapters"
import { FakeVendors } from "@leadgraph/adapters/testing"
import { Cli, Fakes, Settings } from "@leadgraph/runner"
for (const [name, value] of Object.entries({ Engine, Graph, Pipeline, Store, StoreLive, CrawlerLive, FakeVendors, Cli, Fakes, Settings })) {
  if (value === undefined || Object.keys(value).length === 0) throw new Error(name + " is empty")
}
console.log(Graph.toMermaid(Pipeline.graph).split("\\n")[0])
`
writeFileSync(join(app, "esm.mjs"), esm)
run(process.execPath, ["esm.mjs"], app)
const cjs = `
const core = require("@leadgraph/core")
const adapters = require("@leadgraph/adapters")
const testing = require("@leadgraph/adapters/testing")
const runner = require("@leadgraph/runner")
if (adapters.FakeVendors || adapters.TavilyFake) throw new Error("the main entry of @leadgraph/adapters carries fakes")
if (!core.Graph || !adapters.CrawlerLive || !testing.FakeVendors || !testing.TavilyFake || !runner.Cli) throw new Error("a CommonJS entry is missing exports")
console.log(core.Pipeline.stepNames.join(","))
`
writeFileSync(join(app, "cjs.cjs"), cjs)
run(process.execPath, ["cjs.cjs"], app)
step("imported from ESM and from CommonJS")

// 4. a consumer type-checked against the published declarations, libraries included
writeFileSync(join(app, "consumer.ts"), `
import { type EnrichmentRun, Engine, Pipeline, Store, Tenant } from "@leadgraph/core"
import { Database, StoreLive, CrawlerLive } from "@leadgraph/adapters"
import { Settings } from "@leadgraph/runner"
import { Effect, Layer } from "effect"

const store: Layer.Layer<Store.Store, Store.StoreError> = StoreLive.layer().pipe(Layer.provide(Database.layer()))
const tenant: Tenant.TenantId = Tenant.TenantId.make("acme")
const names: ReadonlyArray<string> = Pipeline.stepNames
const pages: number = CrawlerLive.defaults.maxPages
const caps: Readonly<Record<string, number>> = Settings.budgetCaps(Settings.defaults.caps)
export const program = Effect.gen(function*() {
  const s = yield* Store.Store
  return s.forTenant(tenant)
}).pipe(Effect.provide(store))
export type Options = EnrichmentRun.Options
export const plan = Engine.plan
export { caps, names, pages }
`)
const cjsConsumer = `
import core = require("@leadgraph/core")
import runner = require("@leadgraph/runner")
export const names: ReadonlyArray<string> = core.Pipeline.stepNames
export const cli = runner.Cli.command
`
writeFileSync(join(app, "consumer-cjs.cts"), cjsConsumer)
// what a strict consumer compiles with; the consumers add how they treat libraries and output
const strictNode = {
  target: "ES2022",
  module: "NodeNext",
  moduleResolution: "NodeNext",
  strict: true,
  exactOptionalPropertyTypes: true,
  types: ["node"]
}
writeFileSync(join(app, "tsconfig.json"), JSON.stringify({
  compilerOptions: { ...strictNode, skipLibCheck: false, noEmit: true },
  files: ["consumer.ts", "consumer-cjs.cts"]
}, null, 2))
run(process.execPath, [join(app, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], app)
step("type-checked a consumer (ESM and CommonJS) with skipLibCheck: false")

// 5. the binary
const help = run(join(app, "node_modules", ".bin", "leadgraph"), ["--help"], app)
if (!/fakes/.test(help) || !/nightly/.test(help)) throw new Error(`leadgraph --help lists no commands:\n${help}`)
const graph = run(join(app, "node_modules", ".bin", "leadgraph"), ["graph"], app)
if (!graph.includes("crawl")) throw new Error(`leadgraph graph printed no graph:\n${graph}`)
// the bundled binary imports PGlite from the install: the embedded database opens
const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(DATABASE_URL|MIGRATION_DATABASE_URL)$/.test(name)))
const tenants = run(join(app, "node_modules", ".bin", "leadgraph"), ["tenants", "list"], app, { env })
if (!/no tenants/.test(tenants)) fail(`leadgraph tenants list on the embedded database printed:\n${tenants}`)
step("ran the installed leadgraph binary (--help, graph, tenants list on the embedded database)")

// 6. examples that run with plain node against the installed packages
writeFileSync(join(app, "promise-graph.mjs"), readFileSync(join(root, "examples", "promise-graph.mjs")))
const example = run(process.execPath, ["promise-graph.mjs"], app)
for (const line of [
  "run 1: 3/3 targets succeeded, 0/12 steps restored",
  "run 2: 3/3 targets succeeded, 12/12 steps restored",
  "acme-analytics.example software  score 85",
  "store: 3 companies for tenant demo"
]) {
  if (!example.includes(line)) fail(`examples/promise-graph.mjs did not print "${line}":\n${example}`)
}
step("ran examples/promise-graph.mjs (3 targets, a resumed run restoring every step)")

// 7. the HttpApi example, compiled with the app's tsc against the installed declarations and run with node:
// its own server on 127.0.0.1 starts a run of a seeded tenant in a fake world and streams the run's events (SSE)
writeFileSync(join(app, "http-service.ts"), readFileSync(join(root, "examples", "http-service.ts")))
writeFileSync(join(app, "tsconfig.http-service.json"), JSON.stringify({
  compilerOptions: { ...strictNode, skipLibCheck: true, outDir: "http-service" },
  files: ["http-service.ts"]
}, null, 2))
run(process.execPath, [join(app, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.http-service.json"], app)
const service = run(process.execPath, [join("http-service", "http-service.js"), "--self-test", "--port", "0"], app, { timeout: 180_000, killSignal: "SIGKILL" })
const served = "events: 6 target, 1 finished; succeeded 6 of 6"
if (!/^listening on http:\/\/127\.0\.0\.1:\d+/m.test(service) || !service.includes(served)) {
  fail(`examples/http-service.ts --self-test did not print "${served}":\n${service}`)
}
step(`ran examples/http-service.ts --self-test (tsc, then node): ${served}`)

if (keep) console.log(`pack: kept ${work}`)
else rmSync(work, { recursive: true, force: true })
