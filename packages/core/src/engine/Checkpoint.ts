/**
 * The checkpoint port: each succeeded step's encoded output per (run, target,
 * step), so a re-run of the same run id resumes without executing a step
 * that already succeeded. The same port keeps outputs under a step's cache
 * key, shared across runs.
 *
 * A checkpoint that cannot be written is retried ({@link saveRetry}); if it
 * still fails, the step fails with {@link CheckpointFailed} and its target
 * stops there and ends `failed` (its later steps are skipped as `upstream`):
 * a step whose success cannot be recorded would be paid for again by a
 * resume, so the engine does not count it as done. Vendor answers paid for
 * by that step are kept by the paid results store (`PaidResults`), so the
 * resume finds them without paying again.
 *
 * @since 0.1.0
 */
import { Context, Data, Effect, FiberRef, Layer, Option, Schedule, Schema } from "effect"

/**
 * A checkpoint store failed. A failed load runs the step again; a failed
 * save is retried ({@link saveRetry}) and then becomes the step's
 * {@link CheckpointFailed}.
 *
 * @since 0.1.0
 * @category errors
 */
export class CheckpointError extends Data.TaggedError("CheckpointError")<{
  readonly operation: "load" | "save"
  readonly cause?: unknown
}> {
  override get message(): string {
    return `checkpoint store failed to ${this.operation}`
  }
}

/**
 * A step succeeded but its checkpoint (or cache entry) could not be written,
 * even after {@link saveRetry}: the step is recorded as failed with this
 * error, and its target fails. Not retryable (the engine has retried).
 *
 * @since 0.1.0
 * @category errors
 */
export class CheckpointFailed extends Schema.TaggedError<CheckpointFailed>()("CheckpointFailed", {
  step: Schema.String,
  targetId: Schema.String,
  attempts: Schema.Number,
  cause: Schema.optional(Schema.Defect)
}) {
  /** The engine already retried the write. */
  readonly retryable = false

  override get message(): string {
    return `the checkpoint of step "${this.step}" for target "${this.targetId}" could not be written (${this.attempts} attempts)`
  }
}

/**
 * The run id of the step running on the current fiber: set by the engine
 * for every step of a run (`None` outside one). What a step pays a vendor
 * for is kept under it (see `PaidResults`), so a resume of the same run
 * finds it the way it finds the run's checkpoints. Forked fibers inherit
 * it; joining a fiber never changes it (a step that joins a long-lived
 * fiber started by another run keeps its own run id).
 *
 * @since 0.1.0
 * @category fiber refs
 */
export const currentRunId: FiberRef.FiberRef<Option.Option<string>> = FiberRef.unsafeMake(Option.none<string>(), {
  join: (parent) => parent
})

/**
 * How the engine retries a checkpoint write that failed: 4 more attempts,
 * 200 ms apart and doubling (about 3 seconds in all), on the `Clock`.
 *
 * @since 0.1.0
 * @category defaults
 */
export const saveRetry: Schedule.Schedule<unknown, CheckpointError> = Schedule.intersect(
  Schedule.exponential("200 millis"),
  Schedule.recurs(4)
)

/**
 * Where one step's output for one target in one run is kept.
 *
 * @since 0.1.0
 * @category models
 */
export interface Key {
  readonly runId: string
  readonly targetId: string
  readonly step: string
}

/**
 * The checkpoint service. Values are the step output's encoded form (JSON
 * compatible, produced by the step's output Schema).
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** The checkpoint of a step for a target in a run, if any. */
  readonly load: (key: Key) => Effect.Effect<Option.Option<unknown>, CheckpointError>
  /** Stores (or replaces) a checkpoint. */
  readonly save: (key: Key, encoded: unknown) => Effect.Effect<void, CheckpointError>
  /** The cached output of a step under a cache key, from any run. */
  readonly loadCached: (step: string, cacheKey: string) => Effect.Effect<Option.Option<unknown>, CheckpointError>
  /** Stores a step's output under its cache key. */
  readonly saveCached: (step: string, cacheKey: string, encoded: unknown) => Effect.Effect<void, CheckpointError>
}

/**
 * The checkpoint port tag.
 *
 * @since 0.1.0
 * @category tags
 */
export class Checkpoint extends Context.Tag("@leadgraph/core/Checkpoint")<Checkpoint, Service>() {}

const checkpointKey = (key: Key): string => JSON.stringify([key.runId, key.targetId, key.step])
const cacheKey = (step: string, key: string): string => JSON.stringify([step, key])

/**
 * Builds an in-memory checkpoint store. Its maps are owned by the returned
 * service (fibers share one JavaScript thread, so each update is atomic).
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeMemory: Effect.Effect<Service> = Effect.sync(() => {
  const checkpoints = new Map<string, unknown>()
  const cache = new Map<string, unknown>()
  const get = (m: Map<string, unknown>, k: string) =>
    Effect.sync(() => (m.has(k) ? Option.some(m.get(k)) : Option.none()))
  const set = (m: Map<string, unknown>, k: string, v: unknown) => Effect.sync(() => void m.set(k, v))
  return {
    load: (key) => get(checkpoints, checkpointKey(key)),
    save: (key, encoded) => set(checkpoints, checkpointKey(key), encoded),
    loadCached: (step, key) => get(cache, cacheKey(step, key)),
    saveCached: (step, key, encoded) => set(cache, cacheKey(step, key), encoded)
  } satisfies Service
})

/**
 * An in-memory checkpoint store.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMemory: Layer.Layer<Checkpoint> = Layer.effect(Checkpoint, makeMemory)
