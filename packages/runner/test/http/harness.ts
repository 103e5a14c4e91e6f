/**
 * The HTTP server on 127.0.0.1 (a free port) over a real database: an
 * in-memory PGlite always, and a fresh schema of the Postgres at
 * `DATABASE_URL` when it is set. Two tenants, their tokens, an in-memory
 * Odoo per tenant and a stand-in for the run launcher that the test
 * releases by hand.
 */
import { HttpServer as PlatformServer } from "@effect/platform"
import { SqlClient } from "@effect/sql"
import type { PgClient } from "@effect/sql-pg"
import { ApiTokens, StoreLive } from "@leadgraph/adapters"
import { OdooDatabase, OdooFake, TestDatabases } from "@leadgraph/adapters/testing"
import { Kickoffs, OdooConnector, RunSummary, Store, Tenant } from "@leadgraph/core"
import type { Company, Score } from "@leadgraph/core"
import { HttpServer } from "@leadgraph/runner"
import { Clock, Context, Deferred, Effect, Layer, Option, Redacted, Ref } from "effect"

export interface Target {
  readonly label: string
  readonly database: Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, Store.StoreError>
}

/** PGlite always; Postgres too when `DATABASE_URL` is set. */
export const targets = (suite: string): ReadonlyArray<Target> =>
  TestDatabases.targets(suite, process.env.DATABASE_URL).map((t) => ({ label: t.label, database: t.database() }))

export const tenantA = Tenant.TenantId.make("acme-industrial")
export const tenantB = Tenant.TenantId.make("globex-software")
export const adminToken = "admin-secret-token-for-tests"

/** The launcher stand-in: each run reports 2 targets, finishes one, then waits for `release`. */
export class Launcher extends Context.Tag("test/Launcher")<Launcher, {
  readonly release: Effect.Effect<void>
  readonly launched: Effect.Effect<ReadonlyArray<Kickoffs.LaunchInput>>
}>() {}

const launcher = () => Layer.unwrapEffect(Effect.gen(function*() {
  const gate = yield* Deferred.make<void>()
  const launched = yield* Ref.make<ReadonlyArray<Kickoffs.LaunchInput>>([])
  const launch: Kickoffs.Launch = (input) =>
    Effect.gen(function*() {
      yield* Ref.update(launched, (xs) => [...xs, input])
      yield* input.onTargets(2)
      yield* input.sink({ _tag: "TargetFinished", runId: input.runId, targetId: "t1", state: "succeeded", durationMillis: 1 })
      yield* Deferred.await(gate)
      const now = yield* Clock.currentTimeMillis
      const summary = RunSummary.accumulator(input.runId, ["score"], now).finish(now)
      return {
        _tag: "Finished" as const,
        tenantId: input.tenantId,
        runId: input.runId,
        status: "succeeded" as const,
        resumed: false,
        summary,
        budgets: {}
      }
    })
  return Layer.merge(
    Kickoffs.layer({ launch, timeZone: "Asia/Singapore" }),
    Layer.succeed(Launcher, { release: Deferred.succeed(gate, undefined), launched: Ref.get(launched) })
  )
}))

/** Odoo databases per tenant, for assertions. */
export class OdooDbs extends Context.Tag("test/OdooDbs")<OdooDbs, Map<string, OdooDatabase.OdooDatabase>>() {}

const odoo = () => Layer.unwrapEffect(Effect.sync(() => {
  const dbs = new Map<string, OdooDatabase.OdooDatabase>()
  return Layer.merge(
    Layer.succeed(OdooConnector.OdooConnector, {
      connect: (tenantId) => {
        let db = dbs.get(tenantId)
        if (db === undefined) dbs.set(tenantId, db = OdooDatabase.make())
        return OdooFake.layer(db)
      }
    }),
    Layer.succeed(OdooDbs, dbs)
  )
}))

/** The base URL of the server under test. */
export class BaseUrl extends Context.Tag("test/BaseUrl")<BaseUrl, string>() {}

const baseUrl = () => Layer.effect(
  BaseUrl,
  Effect.map(PlatformServer.HttpServer, (server) =>
    server.address._tag === "TcpAddress" ? `http://127.0.0.1:${server.address.port}` : "")
)

/** Everything, over a database (fresh layers: `it.layer` may share memoised layers between suites). */
export const layer = (
  database: Target["database"],
  options?: {
    readonly maxBodyBytes?: number
    /** The kickoff's tenant filter (default none); `"settings"`: the server reads it from `SCHED_TENANT_*` as it starts. */
    readonly tenantFilter?: Tenant.TenantFilter | "settings"
    /** The vendor key variables the server sees unset (default none). */
    readonly missingVendorKeys?: ReadonlyArray<string>
  }
) => {
  const store = StoreLive.layer().pipe(Layer.provideMerge(database))
  const services = Layer.mergeAll(ApiTokens.layer(), launcher(), odoo()).pipe(Layer.provideMerge(store))
  const server = HttpServer.layer({
    port: 0,
    host: "127.0.0.1",
    adminToken: Option.some(Redacted.make(adminToken)),
    scoreMinExport: 60,
    maxBodyBytes: options?.maxBodyBytes,
    // never the developer's own SCHED_TENANT_* unless a test asks for the settings
    tenantFilter: options?.tenantFilter === "settings" ? undefined : options?.tenantFilter ?? {},
    // the stand-in launcher calls no vendor: keys are "set" unless a test says which are not
    missingVendorKeys: Effect.succeed(options?.missingVendorKeys ?? [])
  })
  return baseUrl().pipe(Layer.provideMerge(server), Layer.provideMerge(services))
}

/** A company with a name and domain; its score. */
export interface Lead {
  readonly name: string
  readonly domain: string
  readonly score: number
}

/** Stores a tenant and its scored companies; returns the companies. */
export const seedTenant = (tenantId: Tenant.TenantId, leads: ReadonlyArray<Lead>, options?: { readonly odoo?: boolean }) =>
  Effect.gen(function*() {
    const store = yield* Store.Store
    return yield* store.withTenant(tenantId, (t) =>
      Effect.gen(function*() {
        yield* t.tenants.save({ name: `Tenant ${tenantId}` })
        if (options?.odoo === true) {
          yield* t.tenants.saveOdooConnection({
            active: true,
            url: "http://127.0.0.1:1",
            database: "leadgraph",
            login: "admin",
            secretRef: "env:UNUSED_IN_TESTS"
          })
        }
        yield* t.companies.upsert(leads.map((l) => ({
          name: l.name,
          domain: l.domain as Company.Domain,
          website: null,
          industry: null,
          ssicCode: null,
          country: null,
          employeeRange: null,
          lastSeen: null
        })))
        const companies = yield* t.companies.findByDomains(leads.map((l) => l.domain as Company.Domain))
        const byDomain = new Map(companies.map((c) => [c.domain as string, c]))
        yield* t.leads.upsertScores(leads.map((l) => ({
          companyId: byDomain.get(l.domain)!.id,
          score: l.score as Score.ScoreValue,
          bucket: l.score >= 70 ? "high" as const : l.score >= 40 ? "medium" as const : "low" as const,
          rationale: `why ${l.name}`,
          runId: null,
          scoredAt: new Date("2026-03-02T00:00:00Z")
        })))
        return companies
      }))
  })

/** A token for the tenant. */
export const tokenFor = (tenantId: Tenant.TenantId) =>
  Effect.flatMap(ApiTokens.ApiTokens, (tokens) => tokens.create(tenantId, "test")).pipe(
    Effect.map((c) => Redacted.value(c.token))
  )

export interface Answer {
  readonly status: number
  readonly type: string
  readonly text: string
}

/** One request over real HTTP. */
export const call = (
  path: string,
  init?: { readonly method?: string; readonly token?: string; readonly body?: string; readonly type?: string }
) =>
  Effect.flatMap(BaseUrl, (base) =>
    Effect.promise(async (): Promise<Answer> => {
      const headers: Record<string, string> = {}
      if (init?.token !== undefined) headers.authorization = `Bearer ${init.token}`
      if (init?.body !== undefined) headers["content-type"] = init.type ?? "application/json"
      const res = await fetch(`${base}${path}`, {
        method: init?.method ?? "GET",
        headers,
        ...(init?.body === undefined ? {} : { body: init.body })
      })
      return { status: res.status, type: res.headers.get("content-type") ?? "", text: await res.text() }
    }))

/** RFC 4180 CSV, parsed strictly (quoted fields, doubled quotes, CRLF or LF records). */
export const parseCsv = (text: string): Array<Array<string>> => {
  const rows: Array<Array<string>> = []
  let row: Array<string> = []
  let field = ""
  let quoted = false
  let i = 0
  while (i < text.length) {
    const c = text[i]!
    if (quoted) {
      if (c === "\"") {
        if (text[i + 1] === "\"") {
          field += "\""
          i += 2
          continue
        }
        quoted = false
        i++
        continue
      }
      field += c
      i++
      continue
    }
    if (c === "\"") {
      if (field !== "") throw new Error(`quote inside an unquoted field at ${i}`)
      quoted = true
    } else if (c === ",") {
      row.push(field)
      field = ""
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(field)
      rows.push(row)
      row = []
      field = ""
      i++
    } else if (c === "\n") {
      row.push(field)
      rows.push(row)
      row = []
      field = ""
    } else {
      field += c
    }
    i++
  }
  if (quoted) throw new Error("unterminated quoted field")
  if (field !== "" || row.length > 0) {
    row.push(field)
    rows.push(row)
  }
  return rows
}
