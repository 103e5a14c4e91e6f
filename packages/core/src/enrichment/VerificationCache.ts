/**
 * The email verification cache port: verdicts already paid for, kept for a
 * time-to-live so the same address is not verified (and paid for) twice. The
 * ZeroBounce adapter reads it before each batch and writes every verdict that
 * is not `unknown` after.
 *
 * Implementations must:
 * - key entries by the normalised address (`ZeroBounce.normalizeEmail`);
 * - return from `getMany` only entries stored less than `ttl` ago, by the
 *   `Clock` (so `TestClock` drives expiry);
 * - let `putMany` overwrite an address, restarting its TTL.
 *
 * {@link layerMemory} is the in-memory implementation; the store provides a
 * SQL one over `email_verification_cache`.
 *
 * @since 0.1.0
 */
import { Clock, Context, Duration, Effect, Layer, Ref, Schema } from "effect"
import { normalizeEmail, type Verdict } from "./ZeroBounce.js"

/**
 * The cache could not be read or written. Callers treat a failed read as a
 * miss and a failed write as a warning.
 *
 * @since 0.1.0
 * @category errors
 */
export class VerificationCacheError extends Schema.TaggedError<VerificationCacheError>()("VerificationCacheError", {
  reason: Schema.Literal("Unavailable"),
  cause: Schema.optional(Schema.Defect)
}) {
  /** A store that is down may come back. */
  readonly retryable = true

  override get message(): string {
    return "the email verification cache is unavailable"
  }
}

/**
 * The cache service.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** The fresh verdicts among `emails`, keyed by normalised address; misses are absent. */
  readonly getMany: (emails: ReadonlyArray<string>) => Effect.Effect<ReadonlyMap<string, Verdict>, VerificationCacheError>
  /** Stores verdicts (keyed by their normalised `email`), starting their TTL now. */
  readonly putMany: (verdicts: ReadonlyArray<Verdict>) => Effect.Effect<void, VerificationCacheError>
}

/**
 * The cache service tag.
 *
 * @since 0.1.0
 * @category tags
 */
export class VerificationCache
  extends Context.Tag("@leadgraph/core/VerificationCache")<VerificationCache, Service>()
{}

/**
 * Defaults: verdicts stay fresh for 30 days.
 *
 * @since 0.1.0
 * @category defaults
 */
export const defaults: { readonly ttl: Duration.DurationInput } = { ttl: "30 days" }

/**
 * An in-memory cache with a TTL measured on `Clock`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeMemory = (options?: { readonly ttl?: Duration.DurationInput }): Effect.Effect<Service> =>
  Effect.gen(function*() {
    const ttl = Duration.toMillis(Duration.decode(options?.ttl ?? defaults.ttl))
    const entries = yield* Ref.make(new Map<string, { readonly verdict: Verdict; readonly storedAt: number }>())
    return {
      getMany: (emails) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          const map = yield* Ref.get(entries)
          const out = new Map<string, Verdict>()
          for (const email of emails) {
            const key = normalizeEmail(email)
            const entry = map.get(key)
            if (entry !== undefined && now - entry.storedAt < ttl) out.set(key, entry.verdict)
          }
          return out
        }),
      putMany: (verdicts) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Ref.update(entries, (map) => {
            const next = new Map(map)
            for (const verdict of verdicts) next.set(normalizeEmail(verdict.email), { verdict, storedAt: now })
            return next
          }))
    } satisfies Service
  })

/**
 * The in-memory cache as a Layer (one fresh cache per build).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMemory = (options?: { readonly ttl?: Duration.DurationInput }): Layer.Layer<VerificationCache> =>
  Layer.effect(VerificationCache, makeMemory(options))
