/**
 * The engine's ports in SQL: the budget ledger (the cap holds under any
 * concurrency, per tenant, budget and day), the checkpoint store and the
 * email verification cache, each tenant-scoped under row-level security.
 */
import { describe, expect, it } from "@effect/vitest"
import { BudgetLedgerLive, CheckpointLive, StoreLive, VerificationCacheLive } from "@leadgraph/adapters"
import type { Checkpoint } from "@leadgraph/core"
import { Budget, BudgetLedger, RunDay, Store, Tenant, ZeroBounce } from "@leadgraph/core"
import { Effect, Exit, FastCheck as fc, Layer, Option, Scope, TestClock } from "effect"
import { targets } from "./harness.js"

const A = Tenant.TenantId.make("ports-a")
const B = Tenant.TenantId.make("ports-b")
let budgets = 0
// the day each ledger counts (a run's day), never the day of the clock
const day = Option.getOrThrow(RunDay.make("2026-03-02", "Asia/Singapore"))
const nextDay = Option.getOrThrow(RunDay.make("2026-03-03", "Asia/Singapore"))

const seedTenants = Effect.flatMap(Store.Store, (store) =>
  Effect.forEach([A, B], (id) => store.forTenant(id).tenants.save({ name: id }), { discard: true }))

const verdict = (email: string, status: ZeroBounce.Verdict["status"]) =>
  new ZeroBounce.Verdict({
    email,
    status,
    subStatus: "",
    freeEmail: false,
    didYouMean: null,
    mxFound: true,
    processedAt: "2026-03-02 01:00:00.000"
  })

for (const target of targets("ports")) {
  describe(`SQL engine ports (${target.label})`, () => {
    it.layer(StoreLive.layer().pipe(Layer.provideMerge(target.database)), { timeout: "120 seconds" })((it) => {
      it.effect("the budget service over the SQL ledger reserves, commits and releases", () =>
        Effect.gen(function*() {
          const ledger = yield* BudgetLedgerLive.make({ tenantId: A, caps: { "lusha.credits": 10 }, day })
          const budget = yield* Budget.make.pipe(Effect.provideService(BudgetLedger.BudgetLedger, ledger))
          const first = yield* budget.reserve("lusha.credits", 4)
          const second = yield* budget.reserve("lusha.credits", 6)
          const refused = yield* Effect.flip(budget.reserve("lusha.credits", 1))
          expect(refused).toMatchObject({ _tag: "BudgetExhausted", reason: "exhausted", requested: 1 })
          expect(yield* budget.usage("lusha.credits")).toEqual({ budget: "lusha.credits", cap: 10, reserved: 10, committed: 0 })
          yield* budget.commit(first, 3)
          yield* budget.commit(first, 3) // settling twice changes nothing
          yield* budget.release(second)
          expect(yield* budget.usage("lusha.credits")).toEqual({ budget: "lusha.credits", cap: 10, reserved: 0, committed: 3 })
          expect(yield* Effect.flip(budget.reserve("lusha.credits", 8))).toMatchObject({ reason: "exhausted" })
          yield* budget.reserve("lusha.credits", 7)
          // an unlisted budget has a cap of 0 unless unlisted budgets are unlimited
          expect(yield* Effect.flip(budget.reserve("tavily.queries", 1))).toMatchObject({ reason: "exhausted" })
          const open = yield* BudgetLedgerLive.make({ tenantId: A, caps: {}, unlisted: "unlimited", day })
          expect(Option.isSome(yield* open.tryReserve("tavily.queries", 1e9))).toBe(true)
        }).pipe(Effect.scoped))

      it.effect("a reservation left open by a process that died is settled as spent once its lease lapses, never released", () =>
        Effect.gen(function*() {
          const budget = `crash.${++budgets}`
          const options = { tenantId: A, caps: { [budget]: 10 }, day, lease: { ttl: "2 minutes", renewEvery: "30 seconds" } } as const
          // a process reserves and dies without settling (its scope closes: no more renewals)
          const process = yield* Scope.make()
          const crashed = yield* Scope.extend(BudgetLedgerLive.make(options), process)
          expect(Option.isSome(yield* crashed.tryReserve(budget, 6))).toBe(true)
          yield* Scope.close(process, Exit.void)
          const ledger = yield* BudgetLedgerLive.make(options)
          expect(yield* ledger.tryReserve(budget, 5)).toEqual(Option.none())
          // within the lease the units stay reserved; after it they are spent, not given back
          yield* TestClock.adjust("3 minutes")
          expect(yield* ledger.tryReserve(budget, 5)).toEqual(Option.none())
          const live = Option.getOrThrow(yield* ledger.tryReserve(budget, 4))
          expect(yield* ledger.usage(budget)).toEqual({ budget, cap: 10, reserved: 4, committed: 6, inFlightAtCrash: 1 })
          yield* ledger.settle(live, 4)
          expect(yield* ledger.usage(budget)).toMatchObject({ reserved: 0, committed: 10, inFlightAtCrash: 1 })
        }).pipe(Effect.scoped))

      it.effect("keeps counts per tenant and per day: the ledger's day, whatever the clock says", () =>
        Effect.gen(function*() {
          const caps = { caps: { "openai.tokens": 100 } }
          const a = yield* BudgetLedgerLive.make({ tenantId: A, ...caps, day })
          const b = yield* BudgetLedgerLive.make({ tenantId: B, ...caps, day })
          expect(Option.isSome(yield* a.tryReserve("openai.tokens", 100))).toBe(true)
          expect(Option.isNone(yield* a.tryReserve("openai.tokens", 1))).toBe(true)
          expect(Option.isSome(yield* b.tryReserve("openai.tokens", 100))).toBe(true)
          // a day later by the clock, a ledger still counts its own day
          yield* TestClock.adjust("1 day")
          expect(Option.isNone(yield* a.tryReserve("openai.tokens", 1))).toBe(true)
          const next = yield* BudgetLedgerLive.make({ tenantId: A, ...caps, day: nextDay })
          expect((yield* next.usage("openai.tokens")).reserved).toBe(0)
          expect(Option.isSome(yield* next.tryReserve("openai.tokens", 100))).toBe(true)
          expect((yield* a.usage("openai.tokens")).reserved).toBe(100)
        }).pipe(Effect.scoped))

      it.effect.prop(
        "concurrent reservations from two processes never pass the cap",
        [fc.integer({ min: 0, max: 40 }), fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 40 })],
        ([cap, units]) =>
          Effect.gen(function*() {
            const name = `prop.${++budgets}`
            // two ledgers over one pool stand for two processes sharing the cap
            const one = yield* BudgetLedgerLive.make({ tenantId: A, caps: { [name]: cap }, day })
            const two = yield* BudgetLedgerLive.make({ tenantId: A, caps: { [name]: cap }, day })
            const granted = yield* Effect.forEach(
              units,
              (u, i) => (i % 2 === 0 ? one : two).tryReserve(name, u),
              { concurrency: "unbounded" }
            )
            const total = granted.reduce((n, r) => n + (Option.isSome(r) ? r.value.units : 0), 0)
            expect(total).toBeLessThanOrEqual(cap)
            expect((yield* one.usage(name)).reserved).toBe(total)
            // no grant was lost: each refused request would have passed the cap even
            // against what was reserved when it was tried (reservations only grow here)
            units.forEach((u, i) => {
              if (Option.isNone(granted[i]!)) expect(total + u).toBeGreaterThan(cap)
            })
          }).pipe(Effect.scoped),
        { fastCheck: { numRuns: 10 } }
      )

      it.effect("a hundred racing reservations of one unit fill a cap of 25 exactly", () =>
        Effect.gen(function*() {
          const ledger = yield* BudgetLedgerLive.make({ tenantId: B, caps: { race: 25 }, day })
          const granted = yield* Effect.forEach(Array.from({ length: 100 }), () => ledger.tryReserve("race", 1), {
            concurrency: "unbounded"
          })
          expect(granted.filter(Option.isSome)).toHaveLength(25)
          yield* Effect.forEach(granted.filter(Option.isSome), (r) => ledger.settle(r.value, 1), {
            concurrency: "unbounded"
          })
          expect(yield* ledger.usage("race")).toEqual({ budget: "race", cap: 25, reserved: 0, committed: 25 })
        }).pipe(Effect.scoped))

      it.effect("checkpoints per run, target and step, and a cache shared across runs", () =>
        Effect.gen(function*() {
          yield* seedTenants
          const a = yield* CheckpointLive.make(A)
          const b = yield* CheckpointLive.make(B)
          const key: Checkpoint.Key = { runId: "run-1", targetId: "c1", step: "crawl" }
          expect(yield* a.load(key)).toEqual(Option.none())
          yield* a.save(key, { pages: ["/", "/about"], bytes: 1234 })
          expect(yield* a.load(key)).toEqual(Option.some({ pages: ["/", "/about"], bytes: 1234 }))
          yield* a.save(key, { pages: [], bytes: 0 })
          expect(yield* a.load(key)).toEqual(Option.some({ pages: [], bytes: 0 }))
          expect(yield* a.load({ ...key, runId: "run-2" })).toEqual(Option.none())
          expect(yield* b.load(key)).toEqual(Option.none())
          yield* a.saveCached("crawl", "acme.example", "cached")
          expect(yield* a.loadCached("crawl", "acme.example")).toEqual(Option.some("cached"))
          expect(yield* b.loadCached("crawl", "acme.example")).toEqual(Option.none())
          // a checkpoint for a tenant that is not registered fails as a CheckpointError
          const ghost = yield* CheckpointLive.make(Tenant.TenantId.make("ghost"))
          expect(yield* Effect.flip(ghost.save(key, 1))).toMatchObject({ _tag: "CheckpointError", operation: "save" })
        }))

      it.effect("the verification cache returns fresh verdicts and forgets them after the TTL", () =>
        Effect.gen(function*() {
          yield* seedTenants
          const a = yield* VerificationCacheLive.make({ tenantId: A, ttl: "30 days" })
          const b = yield* VerificationCacheLive.make({ tenantId: B })
          yield* a.putMany([verdict("Jane@Acme.example", "valid"), verdict("bob@acme.example", "invalid")])
          const hit = yield* a.getMany(["jane@acme.example", "BOB@acme.example", "new@acme.example"])
          expect([...hit.keys()].sort()).toEqual(["bob@acme.example", "jane@acme.example"])
          expect(hit.get("jane@acme.example")).toEqual(verdict("Jane@Acme.example", "valid"))
          expect((yield* b.getMany(["jane@acme.example"])).size).toBe(0)
          yield* TestClock.adjust("29 days")
          yield* a.putMany([verdict("bob@acme.example", "catch-all")])
          yield* TestClock.adjust("2 days")
          const later = yield* a.getMany(["jane@acme.example", "bob@acme.example"])
          expect([...later.keys()]).toEqual(["bob@acme.example"])
          expect(later.get("bob@acme.example")!.status).toBe("catch-all")
          expect((yield* a.getMany([])).size).toBe(0)
        }))
    })
  })
}

