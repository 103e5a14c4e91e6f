/**
 * Run history: the recorded runs of every tenant (or of one), newest first,
 * a page at a time, and one run found by its id. Runs are tenant data: the
 * only cross-tenant read is the list of tenants that have runs
 * (`Store.tenantsWithRuns`); each tenant's runs are read through its own
 * tenant store, and the pages of all tenants are merged.
 *
 * A page ends with an opaque cursor (the position of its last run) when
 * more runs follow; hand it back to get the next page.
 *
 * @since 0.1.0
 */
import { Effect, Either, Encoding, Option, Schema } from "effect"
import type * as Run from "../enrichment/Run.js"
import type * as Store from "../enrichment/Store.js"
import * as Tenant from "../enrichment/Tenant.js"

/**
 * One run in the history: its id, tenant, day and status, its companies by
 * outcome, what it spent by budget (`null` when not recorded: a run still
 * going, or one recorded before spend was) against its caps, and its times.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Entry = Schema.Struct({
  id: Schema.String,
  tenantId: Schema.String,
  runDay: Schema.String,
  status: Schema.Literal("running", "succeeded", "partial", "failed", "cancelled"),
  companies: Schema.NonNegativeInt,
  counts: Schema.Record({ key: Schema.String, value: Schema.NonNegativeInt }),
  spend: Schema.NullOr(Schema.Record({ key: Schema.String, value: Schema.Number })),
  caps: Schema.Record({ key: Schema.String, value: Schema.Number }),
  startedAt: Schema.String,
  finishedAt: Schema.NullOr(Schema.String),
  wallMillis: Schema.NullOr(Schema.NonNegative)
})

/**
 * @since 0.1.0
 * @category models
 */
export type Entry = typeof Entry.Type

/**
 * A page of the history and the cursor of the next one (`null` at the end).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Page = Schema.Struct({
  runs: Schema.Array(Entry),
  next: Schema.NullOr(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export type Page = typeof Page.Type

/**
 * A cursor that is not one this module made.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidCursor extends Schema.TaggedError<InvalidCursor>()("InvalidCursor", {}) {
  override get message(): string {
    return "cursor must be the `next` of an earlier page"
  }
}

/**
 * The largest page.
 *
 * @since 0.1.0
 * @category constants
 */
export const maxLimit = 200

/**
 * The page size when none is given.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultLimit = 20

/**
 * What to list: at most `limit` runs (1 to {@link maxLimit}), of one tenant
 * or of all, after `cursor`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly tenantId?: Tenant.TenantId | undefined
  readonly limit?: number | undefined
  readonly cursor?: string | undefined
}

interface Position {
  readonly startedAt: number
  readonly runId: string
  readonly tenantId: string
}

const CursorJson = Schema.parseJson(Schema.Tuple(Schema.Int, Schema.String, Schema.String))

const encodeCursor = (p: Position): string =>
  Encoding.encodeBase64Url(JSON.stringify([p.startedAt, p.runId, p.tenantId]))

const decodeCursor = (cursor: string): Effect.Effect<Position, InvalidCursor> =>
  Effect.flatMap(
    Either.match(Encoding.decodeBase64UrlString(cursor), {
      onLeft: () => Effect.fail(new InvalidCursor()),
      onRight: Effect.succeed
    }),
    (json) => Schema.decodeUnknown(CursorJson)(json)
  ).pipe(
    Effect.map(([startedAt, runId, tenantId]) => ({ startedAt, runId, tenantId })),
    Effect.mapError(() => new InvalidCursor())
  )

/** The history's order: newest first, then run id descending, then tenant id ascending. */
const order = (a: Position, b: Position): number =>
  b.startedAt - a.startedAt || (a.runId < b.runId ? 1 : a.runId > b.runId ? -1 : 0) ||
  (a.tenantId < b.tenantId ? -1 : a.tenantId > b.tenantId ? 1 : 0)

const positionOf = (run: Run.Run): Position => ({
  startedAt: run.startedAt.getTime(),
  runId: run.id,
  tenantId: run.tenantId
})

/**
 * A stored run as a history entry.
 *
 * @since 0.1.0
 * @category rendering
 */
export const entry = (run: Run.Run): Entry => ({
  id: run.id,
  tenantId: run.tenantId,
  runDay: run.manifest.runDay,
  status: run.status,
  companies: run.manifest.companyIds.length,
  counts: run.counts,
  spend: run.spend ?? null,
  caps: run.manifest.caps,
  startedAt: run.startedAt.toISOString(),
  finishedAt: run.finishedAt === null ? null : run.finishedAt.toISOString(),
  wallMillis: run.finishedAt === null ? null : Math.max(0, run.finishedAt.getTime() - run.startedAt.getTime())
})

/**
 * A page of the recorded runs, newest first: of `tenantId`, or of every
 * tenant with runs. Fails with {@link InvalidCursor} for a cursor it did
 * not make.
 *
 * @since 0.1.0
 * @category queries
 */
export const list = (
  store: Store.Service,
  options: Options = {}
): Effect.Effect<Page, Store.StoreError | InvalidCursor> =>
  Effect.gen(function*() {
    const limit = Math.min(maxLimit, Math.max(1, Math.floor(options.limit ?? defaultLimit)))
    const after = options.cursor === undefined ? undefined : yield* decodeCursor(options.cursor)
    const tenants = options.tenantId !== undefined ? [options.tenantId] : yield* store.tenantsWithRuns
    const from = after === undefined ? undefined : { startedAt: new Date(after.startedAt), runId: after.runId as Run.RunId }
    // each tenant's runs from the cursor on (its own position included, hence one more), merged
    const pages = yield* Effect.forEach(
      tenants,
      (tenantId) => store.forTenant(tenantId).runs.list({ limit: limit + 1, from }),
      { concurrency: 4 }
    )
    const merged = pages.flat()
      .filter((run) => after === undefined || order(after, positionOf(run)) < 0)
      .sort((a, b) => order(positionOf(a), positionOf(b)))
    const runs = merged.slice(0, limit)
    const last = runs[runs.length - 1]
    return {
      runs: runs.map(entry),
      next: merged.length > limit && last !== undefined ? encodeCursor(positionOf(last)) : null
    }
  }).pipe(Effect.withSpan("RunHistory.list"))

const decodeTenantId = Schema.decodeUnknownOption(Tenant.TenantId)

/**
 * The tenant a run id names, when it is shaped as runs name themselves
 * (`<tenant>-<YYYY-MM-DD>-<suffix>`).
 *
 * @since 0.1.0
 * @category queries
 */
export const tenantOf = (runId: string): Option.Option<Tenant.TenantId> =>
  Option.flatMap(Option.fromNullable(/^(.+)-\d{4}-\d{2}-\d{2}-[0-9a-z]+$/.exec(runId)?.[1]), decodeTenantId)

/**
 * A recorded run by its id: looked up in `tenantId` when given, else in the
 * tenant its id names, else in every tenant with runs (the first found).
 *
 * @since 0.1.0
 * @category queries
 */
export const find = (
  store: Store.Service,
  runId: string,
  tenantId?: Tenant.TenantId
): Effect.Effect<Option.Option<Run.Run>, Store.StoreError> =>
  Effect.gen(function*() {
    const id = runId as Run.RunId
    if (tenantId !== undefined) return yield* store.forTenant(tenantId).runs.get(id)
    const named = tenantOf(runId)
    if (Option.isSome(named)) {
      const found = yield* store.forTenant(named.value).runs.get(id)
      if (Option.isSome(found)) return found
    }
    for (const t of yield* store.tenantsWithRuns) {
      const found = yield* store.forTenant(t).runs.get(id)
      if (Option.isSome(found)) return found
    }
    return Option.none()
  }).pipe(Effect.withSpan("RunHistory.find"))
