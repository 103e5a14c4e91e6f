/**
 * The contract suite of core's `Store` port, run against every
 * implementation (the adapters' tests run it on PGlite and on Postgres):
 * `suite(label, layer)` registers the tests with `@effect/vitest`.
 * Every test works in tenants of its own, so tests do not depend on each
 * other or on what else the database holds.
 */
import { describe, expect, it } from "@effect/vitest"
import type { Company, Contact, IcpRule, LeadEmail, Run, RunDay, Score } from "@leadgraph/core"
import { Store, Tenant } from "@leadgraph/core"
import { Chunk, Effect, Exit, Layer, Option, Stream } from "effect"

const tenant = (id: string) => Tenant.TenantId.make(id)
const domain = (d: string) => d as Company.Domain
const email = (e: string) => e as Contact.Email
const runId = (r: string) => r as Run.RunId
const score = (s: number) => s as Score.ScoreValue
const at = (iso: string) => new Date(iso)
/** A date in Singapore (`SCHED_TZ`'s default): it starts at 16:00 UTC the day before. */
const sg = (date: string): RunDay.RunDay => ({ date, timeZone: "Asia/Singapore" })

const company = (name: string, d: string): Company.CompanyInput => ({
  name,
  domain: domain(d),
  website: `https://${d}`,
  industry: "software",
  ssicCode: "62011",
  country: "SG",
  employeeRange: "11-50",
  lastSeen: at("2026-01-01T00:00:00Z")
})

const setup = (store: Store.Service, id: string, active = true) =>
  Effect.gen(function*() {
    const t = store.forTenant(tenant(id))
    yield* t.tenants.save({ name: `Tenant ${id}` })
    yield* t.tenants.saveOdooConnection({
      active,
      url: "https://odoo.example",
      database: "db",
      login: "bot",
      secretRef: `env:ODOO_KEY_${id}`
    })
    return t
  })

const companiesOf = (t: Store.TenantStore, ...names: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    yield* t.companies.upsert(names.map((n) => company(n, `${n}.example`)))
    const found = yield* t.companies.findByDomains(names.map((n) => domain(`${n}.example`)))
    return Object.fromEntries(found.map((c) => [c.name, c])) as Record<string, Company.Company>
  })

const manifest = (id: string, companyIds: ReadonlyArray<Company.CompanyId> = []): Run.RunManifest => ({
  runId: runId(id),
  runDay: "2026-03-02",
  rerun: false,
  cap: 10,
  companyIds,
  caps: { "tavily.queries": 100 }
})

const outcome = (c: Company.Company, status: Run.CompanyOutcome["status"], finishedAt: Date): Run.CompanyOutcome => ({
  companyId: c.id,
  status,
  steps: { crawl: { status: "succeeded", millis: 12, reason: null } },
  finishedAt
})

/**
 * Registers the store contract tests for one implementation.
 */
export const suite = <E>(label: string, layer: Layer.Layer<Store.Store, E>) =>
  describe(`Store contract (${label})`, () => {
    it.layer(layer, { timeout: "120 seconds" })((it) => {
      it.effect("lists the tenants not disabled, with or without an Odoo connection, filtered by id", () =>
        Effect.gen(function*() {
          const store = yield* Store.Store
          yield* setup(store, "lt-a")
          yield* setup(store, "lt-b", false)
          yield* store.forTenant(tenant("lt-c")).tenants.save({ name: "Tenant lt-c" })
          const d = yield* setup(store, "lt-d")
          yield* d.tenants.save({ name: "Tenant lt-d", disabled: true })
          const mine = (ts: ReadonlyArray<Tenant.Tenant>) => ts.map((t) => t.id).filter((id) => id.startsWith("lt-"))
          expect(mine(yield* store.listActiveTenants())).toEqual(["lt-a", "lt-b", "lt-c"])
          expect(mine(yield* store.listActiveTenants({ include: [tenant("lt-c"), tenant("lt-d")] }))).toEqual([
            "lt-c"
          ])
          expect(mine(yield* store.listActiveTenants({ exclude: [tenant("lt-a")] }))).toEqual(["lt-b", "lt-c"])
          const [a] = yield* store.listActiveTenants({ include: [tenant("lt-a")] })
          expect(a).toEqual({ id: "lt-a", name: "Tenant lt-a", dailyCap: null, timeZone: null, disabled: false })
          // enabled again, it is listed again; a save without `disabled` keeps the status
          yield* d.tenants.save({ name: "Tenant lt-d" })
          expect(mine(yield* store.listActiveTenants({ include: [tenant("lt-d")] }))).toEqual([])
          yield* d.tenants.save({ name: "Tenant lt-d", disabled: false })
          expect(mine(yield* store.listActiveTenants({ include: [tenant("lt-d")] }))).toEqual(["lt-d"])
        }))

      it.effect("lists every tenant with its status, time zone, Odoo connection and companies", () =>
        Effect.gen(function*() {
          const store = yield* Store.Store
          const a = yield* setup(store, "ls-a")
          yield* companiesOf(a, "one", "two")
          const b = store.forTenant(tenant("ls-b"))
          yield* b.tenants.save({ name: "B", dailyCap: 5, timeZone: "Europe/Berlin", disabled: true })
          const mine = (yield* store.listTenants).filter((t) => t.id.startsWith("ls-"))
          expect(mine).toEqual([
            { id: "ls-a", name: "Tenant ls-a", dailyCap: null, timeZone: null, disabled: false, odooConnected: true, companies: 2 },
            { id: "ls-b", name: "B", dailyCap: 5, timeZone: "Europe/Berlin", disabled: true, odooConnected: false, companies: 0 }
          ])
          expect(Option.getOrThrow(yield* b.tenants.get)).toEqual({
            id: "ls-b", name: "B", dailyCap: 5, timeZone: "Europe/Berlin", disabled: true
          })
          // a save without a zone keeps it; null clears it
          yield* b.tenants.save({ name: "B" })
          expect(Option.getOrThrow(yield* b.tenants.get).timeZone).toBe("Europe/Berlin")
          yield* b.tenants.save({ name: "B", timeZone: null })
          expect(Option.getOrThrow(yield* b.tenants.get).timeZone).toBe(null)
          // not inside a tenant's scope
          const nested = yield* Effect.flip(store.withTenant(tenant("ls-a"), () => store.listTenants))
          expect(nested.reason).toBe("Forbidden")
        }))

      it.effect("replaces a tenant's ICP rules as numbered versions, only when they change, never another tenant's", () =>
        Effect.gen(function*() {
          const store = yield* Store.Store
          const a = yield* setup(store, "icpv-a")
          const b = yield* setup(store, "icpv-b")
          const rule = (name: string, weight: number, country: string): IcpRule.IcpRule => ({
            name,
            criteria: { country },
            weight,
            active: true
          })
          yield* b.icpRules.save([rule("B only", 10, "Spain")])
          expect(yield* a.icpRules.version()).toEqual(Option.none())
          expect(yield* a.icpRules.replace([rule("Z", 20, "Germany"), rule("A", 30, "Austria")])).toEqual({
            version: 1,
            changed: true
          })
          // the same rules, in another order: no new version
          expect(yield* a.icpRules.replace([rule("A", 30, "Austria"), rule("Z", 20, "Germany")])).toEqual({
            version: 1,
            changed: false
          })
          expect((yield* a.icpRules.listActive).map((r) => r.name)).toEqual(["A", "Z"])
          expect(yield* a.icpRules.replace([rule("A", 35, "Austria")])).toEqual({ version: 2, changed: true })
          // the whole set is replaced: Z is gone
          expect(yield* a.icpRules.listActive).toEqual([rule("A", 35, "Austria")])
          const latest = Option.getOrThrow(yield* a.icpRules.version())
          expect([latest.version, latest.rules, latest.setAt instanceof Date]).toEqual([2, [rule("A", 35, "Austria")], true])
          const first = Option.getOrThrow(yield* a.icpRules.version(1))
          expect(first.rules.map((r) => r.name)).toEqual(["A", "Z"])
          expect(yield* a.icpRules.version(3)).toEqual(Option.none())
          // tenant b's rules and versions are untouched
          expect(yield* b.icpRules.listActive).toEqual([rule("B only", 10, "Spain")])
          expect(yield* b.icpRules.version()).toEqual(Option.none())
          expect(yield* b.icpRules.replace([rule("B only", 10, "Spain")])).toEqual({ version: 1, changed: true })
          expect(Option.getOrThrow(yield* a.icpRules.version()).version).toBe(2)
        }))

      it.effect("keeps a tenant's daily cap override until it is changed or cleared", () =>
        Effect.gen(function*() {
          const store = yield* Store.Store
          const t = yield* setup(store, "cap")
          const listed = Effect.map(
            store.listActiveTenants({ include: [tenant("cap")] }),
            (ts) => ts.map((x) => x.dailyCap)
          )
          expect(yield* listed).toEqual([null])
          yield* t.tenants.save({ name: "Capped", dailyCap: 250 })
          expect(yield* store.listActiveTenants({ include: [tenant("cap")] })).toEqual([
            { id: "cap", name: "Capped", dailyCap: 250, timeZone: null, disabled: false }
          ])
          // a save without a cap (what most callers do) leaves it alone
          yield* t.tenants.save({ name: "Renamed" })
          expect(yield* listed).toEqual([250])
          yield* t.tenants.save({ name: "Renamed", dailyCap: 0 })
          expect(yield* listed).toEqual([0])
          yield* t.tenants.save({ name: "Renamed", dailyCap: null })
          expect(yield* listed).toEqual([null])
          for (const bad of [-1, 2.5, Number.POSITIVE_INFINITY]) {
            const error = yield* Effect.flip(t.tenants.save({ name: "Renamed", dailyCap: bad }))
            expect(error.reason).toBe("Invalid")
          }
          expect(yield* listed).toEqual([null])
          // a new tenant saved with a cap starts with it
          const u = store.forTenant(tenant("cap-new"))
          yield* u.tenants.save({ name: "New", dailyCap: 7 })
          yield* u.tenants.saveOdooConnection({
            active: true,
            url: "https://odoo.example",
            database: "db",
            login: "bot",
            secretRef: "env:ODOO_KEY_NEW"
          })
          expect(yield* store.listActiveTenants({ include: [tenant("cap-new")] })).toEqual([
            { id: "cap-new", name: "New", dailyCap: 7, timeZone: null, disabled: false }
          ])
        }))

      it.effect("upserts companies in batches, idempotently", () =>
        Effect.gen(function*() {
          const store = yield* Store.Store
          const t = yield* setup(store, "co")
          const rows = Array.from({ length: 1500 }, (_, i) => company(`Co ${i}`, `co${i}.example`))
          expect(yield* t.companies.upsert(rows)).toEqual({ written: 1500 })
          expect(yield* t.companies.upsert(rows)).toEqual({ written: 0 })
          expect(yield* t.companies.upsert([{ ...rows[7]!, industry: "retail" }])).toEqual({ written: 1 })
          const [c7] = yield* t.companies.findByDomains([domain("co7.example")])
          expect(c7).toMatchObject({
            tenantId: "co",
            name: "Co 7",
            domain: "co7.example",
            industry: "retail",
            country: "SG",
            lastEnrichedAt: null
          })
          expect(c7!.lastSeen?.toISOString()).toBe("2026-01-01T00:00:00.000Z")
        }))

      it.effect("selects the companies that most need work first, skipping today's", () =>
        Effect.gen(function*() {
          const store = yield* Store.Store
          const t = yield* setup(store, "sel")
          const c = yield* companiesOf(t, "bare", "featured", "full-old", "full-never", "full-today")
          const withFeatures = ["featured", "full-old", "full-never", "full-today"]
          yield* t.leads.upsertFeatures(withFeatures.map((n) => ({ companyId: c[n]!.id, features: { n } })))
          yield* t.leads.upsertContacts(["full-old", "full-never", "full-today"].map((n) => ({
            companyId: c[n]!.id,
            email: email(`ceo@${n}.example`),
            fullName: `CEO of ${n}`,
            title: "CEO",
            phone: null,
            linkedinUrl: null,
            source: "lusha"
          })))
          yield* t.runs.create(manifest("sel-run"), at("2026-01-01T00:00:00Z"))
          yield* t.runs.recordOutcomes(runId("sel-run"), [
            outcome(c["full-old"]!, "succeeded", at("2026-02-01T10:00:00Z")),
            outcome(c["full-today"]!, "partial", at("2026-03-02T10:00:00Z"))
          ])
          const names = (cs: ReadonlyArray<Company.Company>) => cs.map((x) => x.name)
          const day = { runDay: sg("2026-03-02"), cap: 10 }
          expect(names(yield* t.companies.selectTargets(day))).toEqual(["bare", "featured", "full-never", "full-old"])
          expect(names(yield* t.companies.selectTargets({ ...day, rerun: true }))).toEqual([
            "bare",
            "featured",
            "full-never",
            "full-old",
            "full-today"
          ])
          expect(names(yield* t.companies.selectTargets({ ...day, cap: 2 }))).toEqual(["bare", "featured"])
          expect(names(yield* t.companies.selectTargets({ runDay: sg("2026-03-03"), cap: 10 }))).toHaveLength(5)
          const bad = yield* Effect.flip(t.companies.selectTargets({ runDay: sg("March 2"), cap: 1 }))
          expect(bad.reason).toBe("Invalid")
        }))

      it.effect("upserts contacts, emails, features and scores idempotently", () =>
        Effect.gen(function*() {
          const store = yield* Store.Store
          const t = yield* setup(store, "leads")
          const { acme, beta } = yield* companiesOf(t, "acme", "beta")
          const contacts: ReadonlyArray<Contact.ContactInput> = [1, 2, 3].map((i) => ({
            companyId: acme!.id,
            email: email(`p${i}@acme.example`),
            fullName: `Person ${i}`,
            title: i === 1 ? "CTO" : null,
            phone: null,
            linkedinUrl: null,
            source: "lusha"
          }))
          expect(yield* t.leads.upsertContacts(contacts)).toEqual({ written: 3 })
          expect(yield* t.leads.upsertContacts(contacts)).toEqual({ written: 0 })
          const stored = yield* t.leads.contactsOf(acme!.id)
          expect(stored.map((x) => [x.email, x.title])).toEqual([
            ["p1@acme.example", "CTO"],
            ["p2@acme.example", null],
            ["p3@acme.example", null]
          ])
          const emails: ReadonlyArray<LeadEmail.LeadEmail> = stored.map((x) => ({
            email: x.email,
            companyId: acme!.id,
            contactId: x.id,
            source: "lusha",
            status: "valid",
            subStatus: null,
            verifiedAt: at("2026-03-01T00:00:00Z")
          }))
          expect(yield* t.leads.upsertEmails(emails)).toEqual({ written: 3 })
          expect(yield* t.leads.upsertEmails(emails)).toEqual({ written: 0 })
          const features = [{ companyId: acme!.id, features: { employees: 40, tags: ["saas"] } }]
          expect(yield* t.leads.upsertFeatures(features)).toEqual({ written: 1 })
          expect(yield* t.leads.upsertFeatures(features)).toEqual({ written: 0 })
          // bulk reads: only the companies asked for, and nothing for one never scored
          expect(yield* t.leads.featuresOf([acme!.id, beta!.id])).toEqual(features)
          expect(yield* t.leads.featuresOf([])).toEqual([])
          expect((yield* t.leads.emailsOf([acme!.id, beta!.id])).map((e) => [e.companyId, e.email])).toEqual(
            stored.map((x) => [acme!.id, x.email])
          )
          expect(yield* t.leads.emailsOf([beta!.id])).toEqual([])
          const s: Score.LeadScore = {
            companyId: acme!.id,
            score: score(72.5),
            bucket: "high",
            rationale: "fits",
            runId: "r1",
            scoredAt: at("2026-03-02T00:00:00Z")
          }
          expect(yield* t.leads.upsertScores([s])).toEqual({ written: 1 })
          expect(yield* t.leads.upsertScores([s])).toEqual({ written: 0 })
          // an older score never replaces a newer one
          const older = { ...s, score: score(10), scoredAt: at("2026-01-01T00:00:00Z") }
          expect(yield* t.leads.upsertScores([older])).toEqual({ written: 0 })
          expect(Option.map(yield* t.leads.scoreOf(acme!.id), (x) => x.score)).toEqual(Option.some(72.5))
        }))

      it.effect("rejects a contact of an unknown company with a Constraint error", () =>
        Effect.gen(function*() {
          const store = yield* Store.Store
          const t = yield* setup(store, "fk")
          const error = yield* Effect.flip(t.leads.upsertContacts([{
            companyId: "00000000-0000-4000-8000-000000000000" as Company.CompanyId,
            email: email("x@nowhere.example"),
            fullName: "X",
            title: null,
            phone: null,
            linkedinUrl: null,
            source: "lusha"
          }]))
          expect(error).toBeInstanceOf(Store.StoreError)
          expect(error.reason).toBe("Constraint")
        }))

      it.effect("keeps ICP rules by name", () =>
        Effect.gen(function*() {
          const store = yield* Store.Store
          const t = yield* setup(store, "icp")
          const rules: ReadonlyArray<IcpRule.IcpRule> = [
            { name: "size", criteria: { employees_min: 50 }, weight: 2, active: true },
            { name: "old", criteria: { industry: ["mining"] }, weight: 1, active: false }
          ]
          expect(yield* t.icpRules.save(rules)).toEqual({ written: 2 })
          expect(yield* t.icpRules.save(rules)).toEqual({ written: 0 })
          expect(yield* t.icpRules.listActive).toEqual([rules[0]])
        }))

      it.effect("records a run: manifest, outcomes, step stats and summary", () =>
        Effect.gen(function*() {
          const store = yield* Store.Store
          const t = yield* setup(store, "runs")
          const c = yield* companiesOf(t, "r1", "r2", "r3")
          const m = manifest("run-1", [c.r1!.id, c.r2!.id])
          yield* t.runs.create(m, at("2026-03-02T01:00:00Z"))
          yield* t.runs.recordOutcomes(runId("run-1"), [
            outcome(c.r1!, "succeeded", at("2026-03-02T01:05:00Z")),
            outcome(c.r2!, "failed", at("2026-03-02T01:06:00Z"))
          ])
          const steps = { crawl: { succeeded: 1, skipped: 0, failed: 1, totalMillis: 30, maxMillis: 20 } }
          yield* t.runs.finish(runId("run-1"), {
            status: "partial",
            finishedAt: at("2026-03-02T01:10:00Z"),
            steps,
            errorSummary: "crawl: 1 failed"
          })
          const run = Option.getOrThrow(yield* t.runs.get(runId("run-1")))
          expect(run).toMatchObject({
            id: "run-1",
            tenantId: "runs",
            status: "partial",
            steps,
            counts: { succeeded: 1, failed: 1 },
            errorSummary: "crawl: 1 failed",
            manifest: m
          })
          expect(run.finishedAt?.toISOString()).toBe("2026-03-02T01:10:00.000Z")
          const [r1] = yield* t.companies.findByDomains([domain("r1.example")])
          expect(r1!.lastEnrichedAt?.toISOString()).toBe("2026-03-02T01:05:00.000Z")
          // a failed company is not enriched; one enriched the day before counts on its own day
          expect(yield* t.companies.enrichedOn(sg("2026-03-02"))).toBe(1)
          // 23:30 in Singapore on March 1
          yield* t.runs.recordOutcomes(runId("run-1"), [outcome(c.r3!, "partial", at("2026-03-01T15:30:00Z"))])
          expect(yield* t.companies.enrichedOn(sg("2026-03-02"))).toBe(1)
          expect(yield* t.companies.enrichedOn(sg("2026-03-01"))).toBe(1)
          expect((yield* t.companies.recentlyEnriched(5)).map((x) => x.name)).toEqual(["r1", "r3"])
          expect((yield* t.companies.recentlyEnriched(1)).map((x) => x.name)).toEqual(["r1"])
          expect((yield* Effect.flip(t.companies.enrichedOn(sg("March 2")))).reason).toBe("Invalid")
          expect(yield* t.runs.get(runId("nope"))).toEqual(Option.none())
          const missing = yield* Effect.flip(t.runs.finish(runId("nope"), {
            status: "failed",
            finishedAt: at("2026-03-02T01:10:00Z"),
            steps: {},
            errorSummary: null
          }))
          expect(missing.reason).toBe("Invalid")
        }))

      it.effect("lists a tenant's runs newest first from a position, with spend, outcomes and scores", () =>
        Effect.gen(function*() {
          const store = yield* Store.Store
          const a = yield* setup(store, "hist-a")
          const b = yield* setup(store, "hist-b")
          const c = yield* companiesOf(a, "h1", "h2")
          const d = yield* companiesOf(b, "h3")
          // three runs of a (two started at the same time), one of b
          yield* a.runs.create(manifest("a-1", [c.h1!.id]), at("2026-03-01T01:00:00Z"))
          yield* a.runs.create(manifest("a-2", [c.h1!.id, c.h2!.id]), at("2026-03-02T01:00:00Z"))
          yield* a.runs.create(manifest("a-3", []), at("2026-03-02T01:00:00Z"))
          yield* b.runs.create(manifest("b-1", [d.h3!.id]), at("2026-03-03T01:00:00Z"))
          yield* a.runs.recordOutcomes(runId("a-2"), [
            outcome(c.h2!, "failed", at("2026-03-02T01:07:00Z")),
            {
              ...outcome(c.h1!, "succeeded", at("2026-03-02T01:05:00Z")),
              steps: { crawl: { status: "succeeded", millis: 12, reason: null }, contacts: { status: "failed", millis: 3, reason: "lusha.Server(500)", calls: 2 } },
              score: 72.5
            }
          ])
          const finish = (spend: Record<string, number>) => ({
            status: "partial" as const,
            finishedAt: at("2026-03-02T01:10:00Z"),
            steps: {},
            errorSummary: null,
            spend
          })
          yield* a.runs.finish(runId("a-2"), finish({ "tavily.queries": 3, "lusha.contacts": 2 }))
          // a resumed run's spend adds up over its attempts
          yield* a.runs.create(manifest("a-2", [c.h1!.id, c.h2!.id]), at("2026-03-02T01:00:00Z"))
          yield* a.runs.finish(runId("a-2"), finish({ "tavily.queries": 1 }))

          const ids = (runs: ReadonlyArray<Run.Run>) => runs.map((r) => r.id)
          expect(ids(yield* a.runs.list({ limit: 10 }))).toEqual(["a-3", "a-2", "a-1"])
          expect(ids(yield* a.runs.list({ limit: 2 }))).toEqual(["a-3", "a-2"])
          const from = { startedAt: at("2026-03-02T01:00:00Z"), runId: runId("a-2") }
          expect(ids(yield* a.runs.list({ limit: 10, from }))).toEqual(["a-2", "a-1"])
          expect(ids(yield* b.runs.list({ limit: 10 }))).toEqual(["b-1"])
          const listed = (yield* a.runs.list({ limit: 10 })).find((r) => r.id === "a-2")!
          expect(listed.spend).toEqual({ "tavily.queries": 4, "lusha.contacts": 2 })
          expect(listed.counts).toEqual({ succeeded: 1, failed: 1 })
          expect(listed.manifest.companyIds).toHaveLength(2)
          expect((yield* a.runs.list({ limit: 10 })).find((r) => r.id === "a-1")!.spend ?? null).toBeNull()
          // outcomes in the order they finished; another tenant's run id shows nothing
          const outcomes = yield* a.runs.outcomes(runId("a-2"))
          expect(outcomes.map((o) => [o.companyId, o.status])).toEqual([[c.h1!.id, "succeeded"], [c.h2!.id, "failed"]])
          // a step's paid calls and the score the run gave are kept; no score when it gave none
          expect(outcomes[0]!.steps).toEqual({
            crawl: { status: "succeeded", millis: 12, reason: null },
            contacts: { status: "failed", millis: 3, reason: "lusha.Server(500)", calls: 2 }
          })
          expect(outcomes[0]!.score).toBe(72.5)
          expect(outcomes[1]).not.toHaveProperty("score")
          expect(yield* b.runs.outcomes(runId("a-2"))).toEqual([])
          expect(yield* a.runs.outcomes(runId("nope"))).toEqual([])
          // the tenants with runs: ids only
          const tenants = yield* store.tenantsWithRuns
          expect(tenants).toContain("hist-a")
          expect(tenants).toContain("hist-b")
          expect(tenants).not.toContain("runs-none")
          // scores of several companies at once
          yield* a.leads.upsertScores([{
            companyId: c.h1!.id,
            score: score(72),
            bucket: "high",
            rationale: null,
            runId: "a-2",
            scoredAt: at("2026-03-02T01:05:00Z")
          }])
          const scores = yield* a.leads.scoresOf([c.h1!.id, c.h2!.id])
          expect(scores.map((x) => [x.companyId, x.score])).toEqual([[c.h1!.id, 72]])
          expect(yield* b.leads.scoresOf([c.h1!.id])).toEqual([])
        }))

      it.effect("streams the latest scores at or above a threshold, best first", () =>
        Effect.gen(function*() {
          const store = yield* Store.Store
          const t = yield* setup(store, "export")
          const names = Array.from({ length: 1200 }, (_, i) => `e${i}`)
          const c = yield* companiesOf(t, ...names)
          yield* t.leads.upsertScores(names.map((n, i) => ({
            companyId: c[n]!.id,
            score: score(i % 101),
            bucket: "medium" as const,
            rationale: null,
            runId: null,
            scoredAt: at("2026-03-02T00:00:00Z")
          })))
          const rows = Chunk.toReadonlyArray(yield* Stream.runCollect(t.exportScores(60)))
          const expected = names.filter((_, i) => i % 101 >= 60).length
          expect(rows).toHaveLength(expected)
          expect(rows.every((r) => r.score >= 60)).toBe(true)
          const scores = rows.map((r) => r.score)
          expect(scores).toEqual([...scores].sort((a, b) => b - a))
          expect(rows[0]).toMatchObject({ score: 100, bucket: "medium", name: c[rows[0]!.name]!.name })
          expect(rows.filter((r) => r.score === 100).map((r) => r.domain).sort()).toEqual(
            names.filter((_, i) => i % 101 === 100).map((n) => `${n}.example`).sort()
          )
        }))

      it.effect("lets the export's consumer use the store while it streams", () =>
        Effect.gen(function*() {
          const store = yield* Store.Store
          const t = yield* setup(store, "export-busy")
          const names = Array.from({ length: 300 }, (_, i) => `b${i}`)
          const c = yield* companiesOf(t, ...names)
          yield* t.leads.upsertScores(names.map((n, i) => ({
            companyId: c[n]!.id,
            score: score(i % 50),
            bucket: "low" as const,
            rationale: null,
            runId: null,
            scoredAt: at("2026-03-02T00:00:00Z")
          })))
          // each row read back (another statement) while the export is open
          const found = yield* t.exportScores(0).pipe(
            Stream.mapEffect((row) => Effect.map(t.leads.scoreOf(row.companyId), (s) => Option.isSome(s))),
            Stream.runCollect
          )
          expect(Chunk.size(found)).toBe(300)
          expect(Chunk.every(found, (x) => x)).toBe(true)
          // and a consumer that stops early leaves the store usable
          const first = yield* Stream.runCollect(Stream.take(t.exportScores(0), 5))
          expect(Chunk.size(first)).toBe(5)
          expect(yield* t.companies.findByDomains([domain("b1.example")])).toHaveLength(1)
        }))

      it.effect("never shows one tenant's rows to another", () =>
        Effect.gen(function*() {
          const store = yield* Store.Store
          const a = yield* setup(store, "iso-a")
          const b = yield* setup(store, "iso-b")
          const { secret } = yield* companiesOf(a, "secret")
          expect(yield* b.companies.findByDomains([domain("secret.example")])).toEqual([])
          expect(yield* b.companies.selectTargets({ runDay: sg("2026-03-02"), cap: 100 })).toEqual([])
          expect(yield* b.leads.scoreOf(secret!.id)).toEqual(Option.none())
          const error = yield* Effect.flip(b.leads.upsertContacts([{
            companyId: secret!.id,
            email: email("spy@b.example"),
            fullName: "Spy",
            title: null,
            phone: null,
            linkedinUrl: null,
            source: "x"
          }]))
          expect(error.reason).toBe("Constraint")
          expect(yield* a.leads.contactsOf(secret!.id)).toEqual([])
        }))

      it.effect("withTenant commits together or rolls back together", () =>
        Effect.gen(function*() {
          const store = yield* Store.Store
          yield* setup(store, "tx")
          const id = tenant("tx")
          const exit = yield* Effect.exit(store.withTenant(id, (t) =>
            t.companies.upsert([company("Doomed", "doomed.example")]).pipe(
              Effect.zipRight(Effect.fail("boom" as const))
            )))
          expect(Exit.isFailure(exit)).toBe(true)
          expect(yield* store.forTenant(id).companies.findByDomains([domain("doomed.example")])).toEqual([])
          const n = yield* store.withTenant(id, (t) =>
            Effect.zipRight(
              t.companies.upsert([company("Kept", "kept.example")]),
              Effect.map(t.companies.findByDomains([domain("kept.example")]), (cs) => cs.length)
            ))
          expect(n).toBe(1)
          const nested = yield* Effect.flip(
            store.withTenant(id, () => store.forTenant(tenant("iso-a")).companies.findByDomains([]))
          )
          expect(nested).toMatchObject({ _tag: "StoreError", reason: "Forbidden" })
          // the tenant registry is never read from inside one tenant's transaction
          const registry = yield* Effect.flip(store.withTenant(id, () => store.listActiveTenants()))
          expect(registry).toMatchObject({ _tag: "StoreError", reason: "Forbidden" })
        }))
    })
  })
