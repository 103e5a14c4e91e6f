/**
 * Setting up tenants: add one (or update the fields given of a known one),
 * list them, disable and enable them. A tenant is active (nightly runs take
 * it) unless disabled; one without an Odoo connection runs without its
 * `export` step. Input is checked before anything is stored: the id (a
 * `Tenant.TenantId`), the daily cap (a non-negative integer) and the time
 * zone (an IANA zone), each problem as one readable line.
 *
 * @since 0.1.0
 */
import { Effect, Either, Option, Schema } from "effect"
import * as RunDay from "../enrichment/RunDay.js"
import * as Store from "../enrichment/Store.js"
import * as Tenant from "../enrichment/Tenant.js"
import { InvalidInput } from "./Invalid.js"
import { UnknownTenant } from "./Nightly.js"

/**
 * What `tenants add` is given: the id, and the fields to set. A field left
 * out keeps the stored value (a new tenant's name defaults to its id).
 *
 * @since 0.1.0
 * @category models
 */
export interface AddInput {
  readonly id: string
  readonly name?: string | undefined
  readonly dailyCap?: number | null | undefined
  readonly timeZone?: string | null | undefined
}

/**
 * What {@link add} did: the tenant as stored, and whether it was new.
 *
 * @since 0.1.0
 * @category models
 */
export interface Added {
  readonly tenant: Tenant.Tenant
  readonly added: boolean
}

const decodeId = Schema.decodeUnknownEither(Tenant.TenantId)

/**
 * The tenant id, or the problem with it.
 *
 * @since 0.1.0
 * @category validation
 */
export const parseId = (id: string): Either.Either<Tenant.TenantId, InvalidInput> =>
  Either.mapLeft(decodeId(id), () =>
    new InvalidInput({
      problems: [`id: expected a tenant id of 1 to 64 characters without surrounding spaces, got ${JSON.stringify(id)}`]
    }))

/** The problems of an add's input, in field order. */
const check = (input: AddInput): ReadonlyArray<string> => [
  ...Either.match(parseId(input.id), { onLeft: (e) => e.problems, onRight: () => [] }),
  ...(input.name !== undefined && input.name.trim() === "" ? ["name: expected a non-empty name"] : []),
  ...(input.dailyCap !== undefined && input.dailyCap !== null &&
      !(Number.isSafeInteger(input.dailyCap) && input.dailyCap >= 0)
    ? [`daily cap: expected a non-negative integer, got ${input.dailyCap}`]
    : []),
  ...(typeof input.timeZone === "string" && !RunDay.isTimeZone(input.timeZone)
    ? [`time zone: expected an IANA time zone such as Asia/Singapore, got ${JSON.stringify(input.timeZone)}`]
    : [])
]

/**
 * Adds a tenant, or updates the fields given of a known one. Fails with
 * {@link InvalidInput} (nothing stored) when a field is bad.
 *
 * @since 0.1.0
 * @category use cases
 */
export const add = (input: AddInput): Effect.Effect<Added, InvalidInput | Store.StoreError, Store.Store> =>
  Effect.gen(function*() {
    const problems = check(input)
    if (problems.length > 0) return yield* new InvalidInput({ problems })
    const id = Tenant.TenantId.make(input.id)
    const store = yield* Store.Store
    return yield* store.withTenant(id, (tenant) =>
      Effect.gen(function*() {
        const before = yield* tenant.tenants.get
        yield* tenant.tenants.save({
          name: input.name?.trim() ?? Option.match(before, { onNone: () => id, onSome: (t) => t.name }),
          dailyCap: input.dailyCap,
          timeZone: input.timeZone
        })
        const after = yield* tenant.tenants.get
        return { tenant: Option.getOrThrow(after), added: Option.isNone(before) }
      }))
  }).pipe(Effect.withSpan("TenantSetup.add"))

/**
 * Disables a tenant (nightly runs leave it out) or enables it again; says
 * the tenant as stored. Fails with `UnknownTenant` for an unknown id.
 *
 * @since 0.1.0
 * @category use cases
 */
export const setDisabled = (
  id: string,
  disabled: boolean
): Effect.Effect<Tenant.Tenant, InvalidInput | UnknownTenant | Store.StoreError, Store.Store> =>
  Effect.gen(function*() {
    const tenantId = yield* parseId(id)
    const store = yield* Store.Store
    return yield* store.withTenant(tenantId, (tenant) =>
      Effect.gen(function*() {
        const before = yield* tenant.tenants.get
        if (Option.isNone(before)) return yield* new UnknownTenant({ tenantId: id })
        yield* tenant.tenants.save({ name: before.value.name, disabled })
        return { ...before.value, disabled }
      }))
  }).pipe(Effect.withSpan("TenantSetup.setDisabled"))

/**
 * The tenant, or `UnknownTenant`.
 *
 * @since 0.1.0
 * @category use cases
 */
export const existing = (
  id: string
): Effect.Effect<Tenant.Tenant, InvalidInput | UnknownTenant | Store.StoreError, Store.Store> =>
  Effect.gen(function*() {
    const tenantId = yield* parseId(id)
    const tenant = yield* Effect.flatMap(Store.Store, (store) => store.forTenant(tenantId).tenants.get)
    if (Option.isNone(tenant)) return yield* new UnknownTenant({ tenantId: id })
    return tenant.value
  })

/**
 * Every tenant, disabled ones too, by id.
 *
 * @since 0.1.0
 * @category use cases
 */
export const list: Effect.Effect<ReadonlyArray<Tenant.TenantSummary>, Store.StoreError, Store.Store> = Effect
  .flatMap(Store.Store, (store) => store.listTenants).pipe(Effect.withSpan("TenantSetup.list"))

/**
 * The defaults a tenant without its own settings runs with
 * (`SCHED_DAILY_CAP_PER_TENANT`, `SCHED_TZ`), for {@link listText}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Defaults {
  readonly dailyCap: number
  readonly timeZone: string
}

/**
 * One line for what {@link add} did: `added tenant acme` or `updated
 * tenant acme`, with its settings.
 *
 * @since 0.1.0
 * @category rendering
 */
export const addedText = ({ added, tenant }: Added): string =>
  `${added ? "added" : "updated"} tenant ${tenant.id} (name ${JSON.stringify(tenant.name)}, daily cap ${
    tenant.dailyCap ?? "default"
  }, time zone ${tenant.timeZone ?? "SCHED_TZ"})`

/**
 * The tenants as a table: id, name, status (active or disabled), daily cap
 * (or the default), time zone (or `SCHED_TZ`'s), Odoo (connected or not)
 * and companies.
 *
 * @since 0.1.0
 * @category rendering
 */
export const listText = (tenants: ReadonlyArray<Tenant.TenantSummary>, defaults: Defaults): string => {
  if (tenants.length === 0) return "no tenants (add one with `leadgraph tenants add ID`)"
  const header = ["id", "name", "status", "daily cap", "time zone", "odoo", "companies"]
  const rows = tenants.map((t) => [
    t.id,
    t.name,
    t.disabled === true ? "disabled" : "active",
    t.dailyCap === null || t.dailyCap === undefined ? `${defaults.dailyCap} (default)` : String(t.dailyCap),
    typeof t.timeZone === "string" ? t.timeZone : `${defaults.timeZone} (SCHED_TZ)`,
    t.odooConnected ? "connected" : "not connected",
    String(t.companies)
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: ReadonlyArray<string>) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()
  return [line(header), ...rows.map(line)].join("\n")
}
