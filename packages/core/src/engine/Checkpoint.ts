/**
 * The checkpoint port: each succeeded step's encoded output per (run, target,
 * step), so a re-run of the same run id resumes without executing a step
 * that already succeeded. The same port keeps outputs under a step's cache
 * key, shared across runs.
 *
 * @since 0.1.0
 */
import { Context, Data, Effect, Layer, Option } from "effect"

/**
 * A checkpoint store failed. The engine logs it and goes on: a failed load
 * runs the step, a failed save only means a later re-run repeats it.
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
