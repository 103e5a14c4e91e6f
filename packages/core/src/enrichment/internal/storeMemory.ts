/**
 * The in-memory store: the same contract as the Postgres store (keys,
 * idempotent upserts, target order, run records, tenant isolation,
 * all-or-nothing `withTenant`), for unit tests and examples.
 *
 * @internal
 */
import { Clock, Effect, FiberRef, Option, Stream } from "effect"
import type { Company, CompanyId, Domain } from "../Company.js"
import type { Contact, ContactId, Email } from "../Contact.js"
import type { LeadFeatures } from "../Features.js"
import type { IcpRule, RulesVersion } from "../IcpRule.js"
import type { LeadEmail } from "../LeadEmail.js"
import type { CompanyOutcome, Run, RunId, RunManifest, RunSummary, StepStats } from "../Run.js"
import type { LeadScore, ScoredLead } from "../Score.js"
import type { Service, StoreError, TenantStore } from "../Store.js"
import { leftOutBy, type OdooConnection, type Tenant, type TenantId } from "../Tenant.js"
import { canonical, cmp, companies, later, same } from "./storeMemoryCompanies.js"

interface RunRecord {
  readonly startedAt: Date
  status: Run["status"]
  finishedAt: Date | null
  manifest: RunManifest
  steps: Record<string, StepStats>
  errorSummary: string | null
  spend: Record<string, number> | null
  readonly outcomes: Map<CompanyId, CompanyOutcome>
}

/** One tenant's data. @internal */
export interface State {
  name: string | undefined
  dailyCap: number | null
  timeZone: string | null
  disabled: boolean
  odoo: OdooConnection | undefined
  readonly ruleVersions: Array<RulesVersion>
  readonly companies: Map<CompanyId, { row: Company; hasFeatures: boolean; hasContacts: boolean }>
  readonly domains: Map<Domain, CompanyId>
  readonly attributes: Map<CompanyId, Readonly<Record<string, string>>>
  readonly contacts: Map<Email, Contact>
  readonly emails: Map<Email, LeadEmail>
  readonly features: Map<CompanyId, string>
  readonly scores: Map<CompanyId, LeadScore>
  readonly rules: Map<string, IcpRule>
  readonly runs: Map<RunId, RunRecord>
}

const runOf = (tenantId: TenantId, id: RunId, r: RunRecord): Run => {
  const counts: Record<string, number> = {}
  for (const o of r.outcomes.values()) counts[o.status] = (counts[o.status] ?? 0) + 1
  return {
    id,
    tenantId,
    status: r.status,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    manifest: r.manifest,
    steps: r.steps,
    counts: r.finishedAt === null ? {} : counts,
    errorSummary: r.errorSummary,
    spend: r.spend
  }
}

/** A resumed run's spend: what its earlier attempts spent plus this one's. */
const addSpend = (old: Record<string, number> | null, more: Readonly<Record<string, number>>) => {
  const sum: Record<string, number> = { ...old }
  for (const [k, v] of Object.entries(more)) sum[k] = (sum[k] ?? 0) + v
  return sum
}

const empty = (): State => ({
  name: undefined,
  dailyCap: null,
  timeZone: null,
  disabled: false,
  odoo: undefined,
  ruleVersions: [],
  companies: new Map(), domains: new Map(), attributes: new Map(), contacts: new Map(), emails: new Map(),
  features: new Map(), scores: new Map(), rules: new Map(), runs: new Map()
})



const rowOf = (id: TenantId, s: State): Tenant => ({
  id,
  name: s.name!,
  dailyCap: s.dailyCap,
  timeZone: s.timeZone,
  disabled: s.disabled
})

/**
 * Builds the memory store; `fail` makes the store's error (passed in, so
 * this module does not import `Store.ts` back).
 *
 * @internal
 */
export const make = (
  fail: (reason: StoreError["reason"], operation: string, detail: string) => StoreError
): Effect.Effect<Service> => Effect.gen(function*() {
  const isError = (u: unknown): u is StoreError => typeof u === "object" && u !== null && "_tag" in u && u._tag === "StoreError"
  const tenants = new Map<TenantId, State>()
  const lock = yield* Effect.makeSemaphore(1)
  // tenants whose run lock is held
  const running = new Set<TenantId>()
  const current = FiberRef.unsafeMake<Option.Option<TenantId>>(Option.none())
  let ids = 0
  const nextId = <A extends string>() => `00000000-0000-4000-8000-${(++ids).toString(16).padStart(12, "0")}` as A
  const stateOf = (id: TenantId) => {
    let s = tenants.get(id)
    if (s === undefined) tenants.set(id, s = empty())
    return s
  }

  const withTenant = <A, E>(id: TenantId, effect: Effect.Effect<A, E>): Effect.Effect<A, E | StoreError> =>
    Effect.flatMap(FiberRef.get(current), (scope): Effect.Effect<A, E | StoreError> => {
      if (Option.isSome(scope)) {
        return scope.value === id ? effect : Effect.fail(fail("Forbidden", "withTenant", "nested scope of another tenant"))
      }
      // a transaction: a copy to restore when the effect fails
      return lock.withPermits(1)(Effect.suspend(() => {
        const before = structuredClone(stateOf(id))
        return Effect.locally(effect, current, Option.some(id)).pipe(
          Effect.onExit((exit) => Effect.sync(() => exit._tag === "Failure" && tenants.set(id, before)))
        )
      }))
    })

  const forTenant = (tenantId: TenantId): TenantStore => {
    const op = <A>(operation: string, f: (s: State) => A | StoreError) =>
      withTenant(
        tenantId,
        Effect.suspend(() => {
          const out = f(stateOf(tenantId))
          return isError(out) ? Effect.fail(out) : Effect.succeed(out)
        })
      ).pipe(Effect.withSpan(`MemoryStore.${operation}`))
    const needTenant = (s: State, operation: string) =>
      s.name === undefined ? fail("Constraint", operation, "unknown tenant") : undefined
    const needCompanies = (s: State, operation: string, companies: ReadonlyArray<CompanyId>) =>
      companies.every((c) => s.companies.has(c)) ? undefined : fail("Constraint", operation, "unknown company")
    const dedupe = <A>(rows: ReadonlyArray<A>, key: (a: A) => string) =>
      Array.from(new Map(rows.map((r) => [key(r), r] as const)).values())

    return {
      tenantId,
      tenants: {
        save: (tenant) =>
          op("tenants.save", (s) => {
            const cap = tenant.dailyCap
            if (cap !== undefined && cap !== null && !(Number.isSafeInteger(cap) && cap >= 0)) {
              return fail("Invalid", "tenants.save", "dailyCap must be a non-negative integer or null")
            }
            s.name = tenant.name
            if (cap !== undefined) s.dailyCap = cap
            if (tenant.timeZone !== undefined) s.timeZone = tenant.timeZone
            if (tenant.disabled !== undefined) s.disabled = tenant.disabled
          }),
        get: op("tenants.get", (s) => s.name === undefined ? Option.none() : Option.some(rowOf(tenantId, s))),
        saveOdooConnection: (c) =>
          op("tenants.saveOdooConnection", (s) =>
            needTenant(s, "odoo") ??
              void (s.odoo = { ...c, createLeads: c.createLeads ?? s.odoo?.createLeads ?? true })),
        odooConnection: op("tenants.odooConnection", (s) => Option.fromNullable(s.odoo))
      },
      companies: companies({ tenantId, op, fail, needTenant, dedupe, nextId: () => nextId<CompanyId>() }),
      leads: {
        upsertContacts: (inputs) =>
          op("leads.upsertContacts", (s) => {
            const error = needCompanies(s, "leads.upsertContacts", inputs.map((c) => c.companyId))
            if (error) return error
            let written = 0
            for (const c of dedupe(inputs, (c) => c.email)) {
              const old = s.contacts.get(c.email)
              const row: Contact = { ...c, id: old?.id ?? nextId<ContactId>(), tenantId }
              if (old !== undefined && same(old, row)) continue
              written++
              s.contacts.set(c.email, row)
              s.companies.get(c.companyId)!.hasContacts = true
            }
            return { written }
          }),
        upsertEmails: (inputs) =>
          op("leads.upsertEmails", (s) => {
            const error = needCompanies(s, "leads.upsertEmails", inputs.map((e) => e.companyId))
            if (error) return error
            let written = 0
            for (const e of dedupe(inputs, (e) => e.email)) {
              const old = s.emails.get(e.email)
              const row: LeadEmail = old === undefined ? e : {
                ...e,
                contactId: e.contactId ?? old.contactId,
                status: e.status ?? old.status,
                subStatus: e.status === null ? old.subStatus : e.subStatus,
                verifiedAt: e.verifiedAt ?? old.verifiedAt
              }
              if (old !== undefined && same(old, row)) continue
              written++
              s.emails.set(e.email, row)
            }
            return { written }
          }),
        upsertFeatures: (inputs) =>
          op("leads.upsertFeatures", (s) => {
            const error = needCompanies(s, "leads.upsertFeatures", inputs.map((f) => f.companyId))
            if (error) return error
            let written = 0
            for (const f of dedupe(inputs, (f) => f.companyId)) {
              const value = canonical(f.features)
              if (s.features.get(f.companyId) === value) continue
              written++
              s.features.set(f.companyId, value)
              s.companies.get(f.companyId)!.hasFeatures = true
            }
            return { written }
          }),
        upsertScores: (inputs) =>
          op("leads.upsertScores", (s) => {
            const error = needCompanies(s, "leads.upsertScores", inputs.map((x) => x.companyId))
            if (error) return error
            let written = 0
            for (const x of dedupe(inputs, (x) => x.companyId)) {
              const old = s.scores.get(x.companyId)
              if (old !== undefined && (x.scoredAt < old.scoredAt || same(old, x))) continue
              written++
              s.scores.set(x.companyId, x)
            }
            return { written }
          }),
        contactsOf: (companyId) =>
          op("leads.contactsOf", (s) =>
            [...s.contacts.values()].filter((c) => c.companyId === companyId).sort((a, b) => cmp(a.email, b.email))),
        scoreOf: (companyId) => op("leads.scoreOf", (s) => Option.fromNullable(s.scores.get(companyId))),
        scoresOf: (companyIds) =>
          op("leads.scoresOf", (s) => companyIds.flatMap((id) => s.scores.get(id) ?? [])),
        emailsOf: (companyIds) =>
          op("leads.emailsOf", (s) => {
            const wanted = new Set(companyIds)
            return [...s.emails.values()].filter((e) => wanted.has(e.companyId))
              .sort((a, b) => cmp(a.companyId, b.companyId) || cmp(a.email, b.email))
          }),
        featuresOf: (companyIds) =>
          op("leads.featuresOf", (s) =>
            [...new Set(companyIds)].sort(cmp).flatMap((companyId) => {
              const stored = s.features.get(companyId)
              return stored === undefined ? [] : [{ companyId, features: JSON.parse(stored) as LeadFeatures["features"] }]
            }))
      },
      icpRules: {
        save: (rules) =>
          op("icpRules.save", (s) => {
            const error = needTenant(s, "icpRules.save")
            if (error) return error
            let written = 0
            for (const r of dedupe(rules, (r) => r.name)) {
              if (same(s.rules.get(r.name), r)) continue
              written++
              s.rules.set(r.name, r)
            }
            return { written }
          }),
        listActive: op("icpRules.listActive", (s) =>
          [...s.rules.values()].filter((r) => r.active).sort((a, b) => cmp(a.name, b.name))),
        replace: (rules) =>
          Effect.flatMap(Clock.currentTimeMillis, (now) =>
            op("icpRules.replace", (s) => {
              const error = needTenant(s, "icpRules.replace")
              if (error) return error
              const sorted = dedupe(rules, (r) => r.name).sort((a, b) => cmp(a.name, b.name))
              const latest = s.ruleVersions[s.ruleVersions.length - 1]
              if (latest !== undefined && same(latest.rules, sorted)) return { version: latest.version, changed: false }
              const version = (latest?.version ?? 0) + 1
              s.ruleVersions.push({ version, setAt: new Date(now), rules: sorted })
              s.rules.clear()
              for (const r of sorted) s.rules.set(r.name, r)
              return { version, changed: true }
            })),
        version: (version) =>
          op("icpRules.version", (s) =>
            Option.fromNullable(
              version === undefined
                ? s.ruleVersions[s.ruleVersions.length - 1]
                : s.ruleVersions.find((v) => v.version === version)
            ))
      },
      runs: {
        create: (manifest, startedAt) =>
          op("runs.create", (s) => {
            const error = needTenant(s, "runs.create")
            if (error) return error
            const old = s.runs.get(manifest.runId)
            s.runs.set(manifest.runId, {
              startedAt: old?.startedAt ?? startedAt,
              status: "running",
              finishedAt: null,
              manifest,
              steps: old?.steps ?? {},
              errorSummary: old?.errorSummary ?? null,
              spend: old?.spend ?? null,
              outcomes: old?.outcomes ?? new Map()
            })
          }),
        recordOutcomes: (runId, outcomes) =>
          op("runs.recordOutcomes", (s) => {
            const run = s.runs.get(runId)
            if (run === undefined) return fail("Constraint", "runs.recordOutcomes", "unknown run")
            const error = needCompanies(s, "runs.recordOutcomes", outcomes.map((o) => o.companyId))
            if (error) return error
            for (const o of outcomes) {
              run.outcomes.set(o.companyId, o)
              if (o.status === "succeeded" || o.status === "partial") {
                const c = s.companies.get(o.companyId)!
                c.row = { ...c.row, lastEnrichedAt: later(c.row.lastEnrichedAt, o.finishedAt) }
              }
            }
          }),
        finish: (runId, summary: RunSummary) =>
          op("runs.finish", (s) => {
            const run = s.runs.get(runId)
            if (run === undefined) return fail("Invalid", "runs.finish", "unknown run")
            run.status = summary.status
            run.finishedAt = summary.finishedAt
            run.steps = summary.steps
            run.errorSummary = summary.errorSummary
            run.spend = addSpend(run.spend, summary.spend ?? {})
          }),
        get: (runId) =>
          op("runs.get", (s) => Option.map(Option.fromNullable(s.runs.get(runId)), (r) => runOf(tenantId, runId, r))),
        list: ({ from, limit }) =>
          op("runs.list", (s) =>
            [...s.runs.entries()]
              .filter(([id, r]) =>
                from === undefined || r.startedAt.getTime() < from.startedAt.getTime() ||
                (r.startedAt.getTime() === from.startedAt.getTime() && id <= from.runId)
              )
              .sort(([a, x], [b, y]) => cmp(y.startedAt.getTime(), x.startedAt.getTime()) || cmp(b, a))
              .slice(0, Math.max(0, limit))
              .map(([id, r]) => runOf(tenantId, id, r))),
        outcomes: (runId) =>
          op("runs.outcomes", (s) =>
            [...(s.runs.get(runId)?.outcomes.values() ?? [])]
              .sort((a, b) => cmp(a.finishedAt.getTime(), b.finishedAt.getTime()) || cmp(a.companyId, b.companyId)))
      },
      exportScores: (minScore) =>
        Stream.unwrap(op("exportScores", (s) =>
          Stream.fromIterable(
            [...s.scores.values()]
              .filter((x) => x.score >= minScore)
              .sort((a, b) => cmp(b.score, a.score) || cmp(b.companyId, a.companyId))
              .map((x): ScoredLead => {
                const c = s.companies.get(x.companyId)!.row
                return { ...x, name: c.name, domain: c.domain, website: c.website, rationale: x.rationale }
              })
          )))
    }
  }

  const registry = (operation: string) =>
    Effect.flatMap(FiberRef.get(current), (scope) =>
      Option.isSome(scope)
        ? Effect.fail(fail("Forbidden", operation, "the registry scope inside a tenant scope"))
        : Effect.void)
  const known = () =>
    [...tenants.entries()].filter(([, s]) => s.name !== undefined).sort(([a], [b]) => cmp(a, b))

  return {
    listActiveTenants: (filter) =>
      registry("listActiveTenants").pipe(Effect.map(() =>
        known()
          .filter(([id, s]) => !s.disabled && leftOutBy(filter, id) === undefined)
          .map(([id, s]) => rowOf(id, s))
      )),
    listTenants: registry("listTenants").pipe(Effect.map(() =>
      known().map(([id, s]) => ({
        ...rowOf(id, s),
        odooConnected: s.odoo?.active === true,
        companies: s.companies.size
      }))
    )),
    tenantsWithRuns: registry("tenantsWithRuns").pipe(Effect.map(() =>
      [...tenants.entries()].filter(([, s]) => s.runs.size > 0).map(([id]) => id).sort(cmp)
    )),
    forTenant,
    // @effect-diagnostics-next-line missingEffectError:off -- a false positive: the generic E of `f` is in the result type
    withTenant: (tenantId, f) => withTenant(tenantId, Effect.suspend(() => f(forTenant(tenantId)))),
    tryLockRun: (tenantId) =>
      Effect.acquireRelease(
        Effect.sync(() => !running.has(tenantId) && running.add(tenantId) !== undefined),
        (taken) => taken ? Effect.sync(() => running.delete(tenantId)) : Effect.void
      ).pipe(Effect.withSpan("MemoryStore.tryLockRun", { attributes: { tenant: tenantId } })),
    // a lock in memory cannot be lost
    runLockLost: () => Effect.never
  } satisfies Service
})
