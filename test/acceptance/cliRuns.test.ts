/**
 * Acceptance: the `run` and `nightly` commands of the real binary, through
 * their success paths, with tenants' own daily caps. `leadgraph fakes`
 * serves the fake vendors and fixture sites and seeds tenant `alpha`; the
 * test gives `alpha` its own daily cap of 2 and adds `beta` (its own cap, 3)
 * and `gamma` (no cap of its own), each with the same 8 companies; then,
 * with `SCHED_DAILY_CAP_PER_TENANT=5`, as child processes:
 *
 * 1. `leadgraph run --tenant alpha`: exit 0; its report names the run day,
 *    one tenant, and `run alpha-<day>-<suffix>: 2 targets, ...`: alpha's
 *    cap of 2, not the global 5;
 * 2. `leadgraph nightly`: exit 0; three tenants; alpha takes 0 more (its 2
 *    for the day are spent), beta 3 (its own cap) and gamma 5 (the global
 *    cap): every tenant's run line, table row and stored manifest say so;
 * 3. `leadgraph run --rerun --limit 1` with `DEFAULT_TENANT_ID=gamma`:
 *    exit 0, gamma's run takes 1 company (without `--rerun` its spent cap
 *    would give 0, without `--limit` 5).
 *
 * On embedded PGlite (a data directory the processes take in turn) and,
 * with `DATABASE_URL`, on a scratch schema of Postgres.
 */
import { Database, StoreLive } from "@leadgraph/adapters"
import { DemoWorld } from "@leadgraph/adapters/testing"
import { Store, Tenant } from "@leadgraph/core"
import type { Company } from "@leadgraph/core"
import { Effect, Layer, Option, Redacted } from "effect"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { baseEnv, type Child, cleanUp, scratch, start, startFakes } from "./cli.js"

const companies = 8
const globalCap = 5
const caps = { alpha: 2, beta: 3, gamma: null } as const
const alpha = Tenant.TenantId.make("alpha")
const beta = Tenant.TenantId.make("beta")
const gamma = Tenant.TenantId.make("gamma")


const targets = [
  "pglite" as const,
  ...(process.env.DATABASE_URL === undefined || process.env.DATABASE_URL === "" ? [] : ["postgres" as const])
]

/** `run <id>: N targets, S succeeded, P partial, F failed in ...` lines, by the tenant the id begins with. */
const runLines = (lines: ReadonlyArray<string>, day: string) =>
  new Map(lines.flatMap((line) => {
    const m = /^run (\S+): (\d+) targets, (\d+) succeeded, (\d+) partial, (\d+) failed in \S+$/.exec(line)
    if (m === null) return []
    const tenant = m[1]!.slice(0, m[1]!.indexOf(`-${day}-`))
    return [[tenant, { runId: m[1]!, targets: Number(m[2]), succeeded: Number(m[3]), partial: Number(m[4]), failed: Number(m[5]) }]]
  }))

/** The report's header: `nightly run <day> (<zone>): N tenant(s) in ...`. */
const header = (lines: ReadonlyArray<string>) => {
  const m = lines.map((l) => /^nightly run (\d{4}-\d{2}-\d{2}) \(([^)]+)\): (\d+) tenant\(s\) in \S+$/.exec(l)).find((x) => x !== null)
  return m === undefined ? undefined : { day: m[1]!, zone: m[2]!, tenants: Number(m[3]) }
}

/** The report table's row of a tenant: status and targets. */
const row = (lines: ReadonlyArray<string>, tenant: string) => {
  const cells = lines.find((l) => l.startsWith(`${tenant} `) && !l.startsWith(`${tenant}: `))?.trim().split(/\s+/)
  return cells === undefined ? undefined : { status: cells[1]!, targets: Number(cells[2]), failed: Number(cells[5]) }
}

describe("acceptance: `leadgraph run` and `leadgraph nightly` through the CLI", () => {
  for (const label of targets) {
    it(`${label}: run takes the tenant's own cap, nightly each tenant's (own or SCHED_DAILY_CAP_PER_TENANT); exit 0 and the summary`, async () => {
      const work = mkdtempSync(join(tmpdir(), "lg-cli-runs-"))
      const database = label === "postgres" ? await scratch("cli_runs", process.env.DATABASE_URL!) : undefined
      const env = { ...baseEnv(), ...(database === undefined ? {} : { DATABASE_URL: database.url }) }
      const children: Array<Child> = []
      try {
        const started = startFakes(
          ["--seed", "5", "--sites", String(companies), "--tenant", alpha, "--companies", String(companies)],
          { cwd: work, env }
        )
        const { env: fakeEnv, fakes } = await started
        children.push(fakes)

        // the other tenants, and the caps, through the store (the fakes process let the database go after seeding)
        const db = database === undefined
          ? Database.layerEmbedded({ dataDir: join(work, Database.defaultDataDir) })
          : Database.layerUrl({ url: Redacted.make(database.url), maxConnections: 2 })
        await Effect.runPromise(Effect.gen(function*() {
          const store = yield* Store.Store
          const own = store.forTenant(alpha)
          const connection = Option.getOrThrow(yield* own.tenants.odooConnection)
          // every company of alpha's (none enriched yet)
          const seeded = yield* own.companies.selectTargets({
            cap: 1000,
            runDay: { date: "2000-01-01", timeZone: "UTC" },
            rerun: true
          })
          expect(seeded).toHaveLength(companies)
          yield* own.tenants.save({ name: "alpha (fixture companies)", dailyCap: caps.alpha })
          for (const [tenantId, dailyCap, i] of [[beta, caps.beta, 1], [gamma, caps.gamma, 0]] as const) {
            yield* store.withTenant(tenantId, (t) =>
              Effect.gen(function*() {
                yield* t.tenants.save({ name: `${tenantId} (fixture companies)`, dailyCap })
                yield* t.tenants.saveOdooConnection(connection)
                yield* t.icpRules.save(DemoWorld.tenants[i]!.rules)
                yield* t.companies.upsert(seeded.map((c): Company.CompanyInput => ({
                  name: c.name,
                  domain: c.domain,
                  website: c.website,
                  industry: null,
                  ssicCode: null,
                  country: null,
                  employeeRange: null,
                  lastSeen: null
                })))
              }))
          }
          const stored = yield* Effect.forEach([alpha, beta, gamma], (id) => store.forTenant(id).tenants.get)
          expect(stored.map((t) => Option.getOrThrow(t).dailyCap)).toEqual([caps.alpha, caps.beta, caps.gamma])
        }).pipe(Effect.provide(StoreLive.layer().pipe(Layer.provide(db)))))

        const runEnv = {
          ...env,
          ...fakeEnv,
          SCHED_DAILY_CAP_PER_TENANT: String(globalCap),
          SCHED_COMPANY_CONCURRENCY: "8",
          CRAWLER_MIN_DELAY_MS: "20"
        }

        // 1. run: alpha's own cap (2), not the global one (5)
        const run = start(["run", "--tenant", alpha], { cwd: work, env: runEnv })
        children.push(run)
        expect(await run.exited, run.stderr()).toBe(0)
        // stdout holds the report only; the log lines (JSON, not a terminal) are on stderr
        expect(run.lines.filter((l) => l.startsWith("{")), run.lines.join("\n")).toEqual([])
        expect(run.logs.some((l) => l.includes("\"message\":\"target finished\""))).toBe(true)
        const runHeader = header(run.lines)
        expect(runHeader, run.lines.join("\n")).toBeDefined()
        expect(runHeader!.zone).toBe("Asia/Singapore")
        expect(runHeader!.tenants).toBe(1)
        const ran = runLines(run.lines, runHeader!.day)
        expect([...ran.keys()]).toEqual([alpha])
        expect(ran.get(alpha)).toMatchObject({ targets: caps.alpha, failed: 0 })
        expect(ran.get(alpha)!.succeeded + ran.get(alpha)!.partial).toBe(caps.alpha)
        expect(row(run.lines, alpha)).toMatchObject({ targets: caps.alpha, failed: 0 })
        expect(run.lines.some((l) => l.startsWith("budgets today (used/cap): "))).toBe(true)

        // 2. nightly: every tenant with its own cap, or the global one
        const nightly = start(["nightly"], { cwd: work, env: runEnv })
        children.push(nightly)
        expect(await nightly.exited, nightly.stderr()).toBe(0)
        const nightlyHeader = header(nightly.lines)
        expect(nightlyHeader, nightly.lines.join("\n")).toBeDefined()
        expect(nightlyHeader!.day).toBe(runHeader!.day)
        expect(nightlyHeader!.tenants).toBe(3)
        const night = runLines(nightly.lines, nightlyHeader!.day)
        expect([...night.keys()].sort()).toEqual([alpha, beta, gamma])
        // alpha enriched its 2 for the day already; beta takes its own 3, gamma the global 5 (of 8)
        const expected = { [alpha]: 0, [beta]: caps.beta, [gamma]: globalCap }
        for (const [tenant, targets] of Object.entries(expected)) {
          expect(night.get(tenant), tenant).toMatchObject({ targets, failed: 0 })
          expect(night.get(tenant)!.succeeded + night.get(tenant)!.partial, tenant).toBe(targets)
          expect(row(nightly.lines, tenant), tenant).toMatchObject({ targets, failed: 0 })
          expect(night.get(tenant)!.runId).not.toBe(ran.get(alpha)!.runId)
        }

        // 3. flags: no --tenant (DEFAULT_TENANT_ID), --rerun (gamma's 5 of today count again: the cap alone would
        // give 0 more) and --limit 1 (below the cap of 5)
        const rerun = start(["run", "--rerun", "--limit", "1"], { cwd: work, env: { ...runEnv, DEFAULT_TENANT_ID: gamma } })
        children.push(rerun)
        expect(await rerun.exited, rerun.stderr()).toBe(0)
        const reran = runLines(rerun.lines, runHeader!.day)
        expect([...reran.keys()]).toEqual([gamma])
        expect(reran.get(gamma)).toMatchObject({ targets: 1, failed: 0 })
        expect(row(rerun.lines, gamma)).toMatchObject({ targets: 1, failed: 0 })

        // the runs as stored: each manifest records the cap it ran under
        const manifests = await Effect.runPromise(Effect.gen(function*() {
          const store = yield* Store.Store
          return yield* Effect.forEach([...night.values(), ran.get(alpha)!], ({ runId }) => {
            const tenant = Tenant.TenantId.make(runId.slice(0, runId.indexOf(`-${runHeader!.day}-`)))
            return Effect.map(store.forTenant(tenant).runs.get(runId as never), (r) => {
              const { manifest, status } = Option.getOrThrow(r)
              return [runId, { cap: manifest.cap, companies: manifest.companyIds.length, status }] as const
            })
          })
        }).pipe(Effect.provide(StoreLive.layer().pipe(Layer.provide(db)))))
        expect(Object.fromEntries(manifests)).toEqual({
          [ran.get(alpha)!.runId]: { cap: caps.alpha, companies: caps.alpha, status: expect.stringMatching(/^(succeeded|partial)$/) },
          [night.get(alpha)!.runId]: { cap: caps.alpha, companies: 0, status: "succeeded" },
          [night.get(beta)!.runId]: { cap: caps.beta, companies: caps.beta, status: expect.stringMatching(/^(succeeded|partial)$/) },
          [night.get(gamma)!.runId]: { cap: globalCap, companies: globalCap, status: expect.stringMatching(/^(succeeded|partial)$/) }
        })
      } finally {
        await cleanUp(children, "SIGTERM", database, work)
      }
    }, 300_000)
  }
})
