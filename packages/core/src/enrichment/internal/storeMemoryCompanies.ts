/**
 * The memory store's companies (see `storeMemory.ts`): upserts and imports
 * keyed by domain, lookups and target selection, over one tenant's state.
 *
 * @internal
 */
import type { Effect } from "effect"
import { Option } from "effect"
import { type Company, type CompanyId, overlay } from "../Company.js"
import * as RunDay from "../RunDay.js"
import type { Companies, StoreError } from "../Store.js"
import type { TenantId } from "../Tenant.js"
import type { State } from "./storeMemory.js"

/** JSON with sorted keys: equality of `jsonb` values. @internal */
export const canonical = (u: unknown): string =>
  JSON.stringify(u, (_, v) =>
    v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Date)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v)

/** @internal */
export const same = (a: unknown, b: unknown) => canonical(a) === canonical(b)
/** @internal */
export const invalidDay = "runDay must be a YYYY-MM-DD date in an IANA time zone"
/** @internal */
export const time = (d: Date | null) => (d === null ? null : d.getTime())
/** @internal */
export const later = (a: Date | null, b: Date | null) => (a === null ? b : b === null ? a : a >= b ? a : b)
/** @internal */
export const cmp = <A>(a: A, b: A) => (a < b ? -1 : a > b ? 1 : 0)

/** What the companies need of the store around them. @internal */
export interface Ops {
  readonly tenantId: TenantId
  readonly op: <A>(operation: string, f: (s: State) => A | StoreError) => Effect.Effect<A, StoreError>
  readonly fail: (reason: StoreError["reason"], operation: string, detail: string) => StoreError
  readonly needTenant: (s: State, operation: string) => StoreError | undefined
  readonly dedupe: <A>(rows: ReadonlyArray<A>, key: (a: A) => string) => Array<A>
  readonly nextId: () => CompanyId
}

/** The companies of one tenant's memory store. @internal */
export const companies = ({ dedupe, fail, needTenant, nextId, op, tenantId }: Ops): Companies => ({
  upsert: (inputs) =>
    op("companies.upsert", (s) => {
      const error = needTenant(s, "companies.upsert")
      if (error) return error
      let written = 0
      for (const c of dedupe(inputs, (c) => c.domain)) {
        const id = s.domains.get(c.domain)
        const old = id === undefined ? undefined : s.companies.get(id)
        const row: Company = {
          id: id ?? nextId(),
          tenantId,
          name: c.name,
          domain: c.domain,
          website: c.website,
          industry: c.industry,
          ssicCode: c.ssicCode,
          country: c.country,
          employeeRange: c.employeeRange,
          lastSeen: later(old?.row.lastSeen ?? null, c.lastSeen),
          lastEnrichedAt: old?.row.lastEnrichedAt ?? null
        }
        if (old !== undefined && same({ ...old.row, lastSeen: time(old.row.lastSeen) }, { ...row, lastSeen: time(row.lastSeen) })) continue
        written++
        s.domains.set(c.domain, row.id)
        s.companies.set(row.id, { row, hasFeatures: old?.hasFeatures ?? false, hasContacts: old?.hasContacts ?? false })
      }
      return { written }
    }),
  importMany: (rows) =>
    op("companies.importMany", (s) => {
      const error = needTenant(s, "companies.importMany")
      if (error) return error
      const counts = { added: 0, updated: 0, unchanged: 0 }
      for (const { attributes, company: c } of dedupe(rows, (r) => r.company.domain)) {
        const id = s.domains.get(c.domain)
        const old = id === undefined ? undefined : s.companies.get(id)
        if (id === undefined || old === undefined) {
          const row: Company = { ...c, id: nextId(), tenantId, lastEnrichedAt: null }
          s.domains.set(c.domain, row.id)
          s.companies.set(row.id, { row, hasFeatures: false, hasContacts: false })
          s.attributes.set(row.id, attributes)
          counts.added++
          continue
        }
        const row = overlay(old.row, c)
        const merged = { ...s.attributes.get(id), ...attributes }
        if (same(old.row, row) && same(s.attributes.get(id) ?? {}, merged)) {
          counts.unchanged++
          continue
        }
        s.companies.set(id, { ...old, row })
        s.attributes.set(id, merged)
        counts.updated++
      }
      return counts
    }),
  findByDomains: (domains) =>
    op("companies.findByDomains", (s) =>
      [...new Set(domains)].sort(cmp).flatMap((d) => {
        const id = s.domains.get(d)
        return id === undefined ? [] : [s.companies.get(id)!.row]
      })),
  findByIds: (wanted) =>
    op("companies.findByIds", (s) => wanted.flatMap((id) => s.companies.get(id)?.row ?? [])),
  enrichedOn: (runDay) =>
    op("companies.enrichedOn", (s) => {
      const day = Option.getOrUndefined(RunDay.bounds(runDay))
      if (day === undefined) return fail("Invalid", "companies.enrichedOn", invalidDay)
      return [...s.companies.values()].filter(({ row }) => RunDay.contains(day, row.lastEnrichedAt)).length
    }),
  recentlyEnriched: (limit) =>
    op("companies.recentlyEnriched", (s) =>
      [...s.companies.values()].map((c) => c.row).filter((c) => c.lastEnrichedAt !== null)
        .sort((a, b) => cmp(time(b.lastEnrichedAt), time(a.lastEnrichedAt)) || cmp(a.id, b.id))
        .slice(0, Math.max(0, limit))),
  selectTargets: (options) =>
    op("companies.selectTargets", (s) => {
      const today = Option.getOrUndefined(RunDay.bounds(options.runDay))
      if (today === undefined || !Number.isInteger(options.cap) || options.cap < 0) {
        return fail("Invalid", "companies.selectTargets", `${invalidDay} and cap a non-negative integer`)
      }
      return [...s.companies.values()]
        .filter((c) => options.rerun === true || !RunDay.contains(today, c.row.lastEnrichedAt))
        .sort((a, b) =>
          cmp(a.hasFeatures, b.hasFeatures) || cmp(a.hasContacts, b.hasContacts) ||
          cmp(time(a.row.lastEnrichedAt) ?? -Infinity, time(b.row.lastEnrichedAt) ?? -Infinity) ||
          cmp(a.row.id, b.row.id)
        )
        .slice(0, options.cap)
        .map((c) => c.row)
    })
})
