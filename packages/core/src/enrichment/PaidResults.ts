/**
 * The paid results port: the decoded answer of every paid vendor call, kept
 * under what was asked as soon as it arrives, so that a run interrupted
 * after paying (a kill, a crash, a checkpoint that could not be written) and
 * resumed does not pay for the same answer again.
 *
 * What an answer is, is declared once as a {@link Kind}: its name (e.g.
 * `"lusha.enrich/v1"`), its Schema, its lifetime and its scope. An entry is
 * the answer of one kind under a `key` (what was asked, usually a hash of
 * it), and belongs to one tenant.
 *
 * - Scope `"run"` (the default): the answer is kept for the run that paid
 *   for it, under the run id the engine runs the step with
 *   (`Checkpoint.currentRunId`), and found again only by that run, when it
 *   is resumed. Another run (the next night, a `--rerun`) asks the vendor
 *   again, as `Engine.plan` and the forecast assume; outside a run nothing
 *   is kept.
 * - Scope `"shared"`: the answer serves every run and process of the tenant
 *   (score rationales: their key already says everything they depend on).
 *
 * Lifetimes are measured on the `Clock`: by default ({@link defaults}.ttl)
 * 24 hours from the paid call, so a resume the same night, or the next
 * morning after a crash past midnight, finds it; after that it is paid for
 * again, and the store drops it.
 *
 * Adapters use it through {@link lookup}, {@link keep}, {@link remembered}
 * and {@link cached}: look first, and on a miss keep the answer in the same
 * uninterruptible region in which it arrives, before the step goes on (and
 * before its cost is counted, see `Budget.metered`).
 *
 * Implementations of the port must:
 * - scope entries to one tenant;
 * - return from `getMany` only entries whose lifetime has not ended by the
 *   `Clock` (so `TestClock` drives expiry);
 * - let `putMany` replace an entry of the same kind and key, restarting its
 *   lifetime.
 *
 * {@link layerMemory} is the in-memory implementation; the store provides a
 * SQL one over `paid_results`.
 *
 * @since 0.1.0
 */
import { Clock, Context, Duration, Effect, FiberRef, Layer, Option, Ref, Schedule, Schema } from "effect"
import { currentRunId } from "../engine/Checkpoint.js"

/**
 * The store of paid results could not be read or written. Readers treat it
 * as a miss (the call is paid for); writers retry, then log it.
 *
 * @since 0.1.0
 * @category errors
 */
export class PaidResultsError extends Schema.TaggedError<PaidResultsError>()("PaidResultsError", {
  reason: Schema.Literal("Unavailable"),
  operation: Schema.Literal("get", "put"),
  cause: Schema.optional(Schema.Defect)
}) {
  /** A store that is down may come back. */
  readonly retryable = true

  override get message(): string {
    return `the paid results store is unavailable (${this.operation})`
  }
}

/**
 * One entry to store: its key and its encoded (JSON-compatible) value.
 *
 * @since 0.1.0
 * @category models
 */
export type Entry = readonly [key: string, encoded: unknown]

/**
 * The paid results service (one tenant's).
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** The live entries of `kind` among `keys`, encoded, by key; absent and expired keys are missing. */
  readonly getMany: (kind: string, keys: ReadonlyArray<string>) => Effect.Effect<ReadonlyMap<string, unknown>, PaidResultsError>
  /** Stores entries of `kind`, each living `ttl` from now; an entry with the same key is replaced. */
  readonly putMany: (
    kind: string,
    entries: ReadonlyArray<Entry>,
    ttl: Duration.DurationInput
  ) => Effect.Effect<void, PaidResultsError>
}

/**
 * The paid results tag.
 *
 * @since 0.1.0
 * @category tags
 */
export class PaidResults extends Context.Tag("@leadgraph/core/PaidResults")<PaidResults, Service>() {}

/**
 * Defaults: a paid answer lives 24 hours; a write is retried 3 times, from
 * 100 ms apart, doubling.
 *
 * @since 0.1.0
 * @category defaults
 */
export const defaults: {
  readonly ttl: Duration.DurationInput
  readonly writeRetry: Schedule.Schedule<unknown, PaidResultsError>
} = {
  ttl: "24 hours",
  writeRetry: Schedule.intersect(Schedule.exponential("100 millis"), Schedule.recurs(3))
}

/**
 * An in-memory store with lifetimes measured on `Clock`. Expired entries are
 * dropped when the next entries are stored.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeMemory: Effect.Effect<Service> = Effect.map(
  Ref.make(new Map<string, { readonly encoded: unknown; readonly expiresAt: number }>()),
  (entries) => {
    const id = (kind: string, key: string) => JSON.stringify([kind, key])
    return {
      getMany: (kind, keys) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          const map = yield* Ref.get(entries)
          const out = new Map<string, unknown>()
          for (const key of keys) {
            const entry = map.get(id(kind, key))
            if (entry !== undefined && entry.expiresAt > now) out.set(key, entry.encoded)
          }
          return out
        }),
      putMany: (kind, stored, ttl) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Ref.update(entries, (map) => {
            const next = new Map<string, { readonly encoded: unknown; readonly expiresAt: number }>()
            for (const [k, v] of map) if (v.expiresAt > now) next.set(k, v)
            const expiresAt = now + Duration.toMillis(Duration.decode(ttl))
            for (const [key, encoded] of stored) next.set(id(kind, key), { encoded, expiresAt })
            return next
          }))
    } satisfies Service
  }
)

/**
 * The in-memory store as a Layer (one fresh store per build).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMemory: Layer.Layer<PaidResults> = Layer.effect(PaidResults, makeMemory)

/**
 * One kind of paid answer: its name (a new format gets a new name), the
 * Schema it is kept with, its lifetime (default {@link defaults}.ttl) and
 * its scope (default `"run"`: see the module's documentation).
 *
 * @since 0.1.0
 * @category models
 */
export interface Kind<A, I> {
  readonly name: string
  readonly schema: Schema.Schema<A, I>
  readonly ttl?: Duration.DurationInput | undefined
  readonly scope?: "run" | "shared" | undefined
}

/**
 * Declares a {@link Kind}.
 *
 * @since 0.1.0
 * @category constructors
 */
export const kind = <A, I>(
  name: string,
  schema: Schema.Schema<A, I>,
  options?: { readonly ttl?: Duration.DurationInput | undefined; readonly scope?: "run" | "shared" | undefined }
): Kind<A, I> => ({ name, schema, ttl: options?.ttl, scope: options?.scope })

/** How a kind's keys are stored from the current fiber; none: run-scoped outside a run. */
const storedKey = (kind: Kind<unknown, unknown>): Effect.Effect<Option.Option<(key: string) => string>> =>
  kind.scope === "shared"
    ? Effect.succeed(Option.some((key: string) => key))
    : Effect.map(FiberRef.get(currentRunId), Option.map((runId) => (key: string) => JSON.stringify([runId, key])))

/**
 * The answers of `kind` kept under `keys` (for the current run when the
 * kind is run-scoped), decoded. Never fails: a store that cannot be read is
 * a miss (logged), and an entry that no longer decodes is a miss.
 *
 * @since 0.1.0
 * @category combinators
 */
export const lookup = <A, I>(
  service: Service,
  kind: Kind<A, I>,
  keys: ReadonlyArray<string>
): Effect.Effect<ReadonlyMap<string, A>> =>
  Effect.flatMap(storedKey(kind as Kind<unknown, unknown>), (stored) => {
    if (keys.length === 0 || Option.isNone(stored)) return Effect.succeed(new Map<string, A>())
    const byStored = new Map(keys.map((key) => [stored.value(key), key] as const))
    return service.getMany(kind.name, [...byStored.keys()]).pipe(
      Effect.flatMap((found) =>
        Effect.forEach(found, ([key, encoded]) =>
          Effect.option(Schema.decodeUnknown(kind.schema)(encoded)).pipe(
            Effect.map((decoded) => {
              const asked = byStored.get(key)
              return decoded._tag === "Some" && asked !== undefined ? [[asked, decoded.value] as const] : []
            })
          )).pipe(Effect.map((pairs) => new Map(pairs.flat())))
      ),
      Effect.catchAll((error) =>
        Effect.as(
          Effect.logWarning(`paid results of "${kind.name}" could not be read; paying again`, error),
          new Map<string, A>()
        )
      ),
      Effect.withSpan("PaidResults.lookup", { attributes: { kind: kind.name, keys: keys.length } })
    )
  })

/**
 * Keeps answers of `kind` (for the current run when the kind is
 * run-scoped; outside a run, nothing). Uninterruptible; a failed write is
 * retried ({@link defaults}.writeRetry), then logged: the answer is still
 * returned to the caller, and a later call pays for it again.
 *
 * @since 0.1.0
 * @category combinators
 */
export const keep = <A, I>(
  service: Service,
  kind: Kind<A, I>,
  entries: ReadonlyArray<readonly [key: string, value: A]>
): Effect.Effect<void> =>
  Effect.flatMap(storedKey(kind as Kind<unknown, unknown>), (stored) => {
    if (entries.length === 0 || Option.isNone(stored)) return Effect.void
    return Effect.forEach(entries, ([key, value]) =>
      Effect.map(Schema.encode(kind.schema)(value), (encoded): Entry => [stored.value(key), encoded])).pipe(
        Effect.flatMap((encoded) =>
          Effect.retry(service.putMany(kind.name, encoded, kind.ttl ?? defaults.ttl), defaults.writeRetry)
        ),
        Effect.catchAll((error) => Effect.logWarning(`paid results of "${kind.name}" could not be stored`, error)),
        Effect.withSpan("PaidResults.keep", { attributes: { kind: kind.name, entries: entries.length } })
      )
  }).pipe(Effect.uninterruptible)

/**
 * Runs a paid `call` and, once its answer has arrived, runs `remember` on
 * it without letting an interruption in between: the answer is kept (and
 * its cost recorded) before anything else can stop the caller.
 *
 * @since 0.1.0
 * @category combinators
 */
export const remembered = <A, E, R>(
  call: Effect.Effect<A, E, R>,
  remember: (a: A) => Effect.Effect<void>
): Effect.Effect<A, E, R> => Effect.uninterruptibleMask((restore) => Effect.tap(restore(call), remember))

/**
 * An answer and whether it came from the store (nothing paid) or was paid
 * for now.
 *
 * @since 0.1.0
 * @category models
 */
export interface Cached<A> {
  readonly value: A
  readonly cached: boolean
}

/**
 * The answer of `kind` to `key` from the store, or else from `pay`, which
 * gets `remember` to wrap its paid call in (see {@link remembered}): the
 * answer is kept as soon as it arrives, before its cost is counted.
 *
 * @since 0.1.0
 * @category combinators
 */
export const cached = <A, I, E, R>(
  service: Service,
  kind: Kind<A, I>,
  key: string,
  pay: (remember: <E2, R2>(call: Effect.Effect<A, E2, R2>) => Effect.Effect<A, E2, R2>) => Effect.Effect<A, E, R>
): Effect.Effect<Cached<A>, E, R> =>
  Effect.flatMap(lookup(service, kind, [key]), (hits) => {
    if (hits.has(key)) return Effect.succeed<Cached<A>>({ value: hits.get(key) as A, cached: true })
    const store = (a: A) => keep(service, kind, [[key, a]])
    return Effect.map(pay((call) => remembered(call, store)), (value): Cached<A> => ({ value, cached: false }))
  })
