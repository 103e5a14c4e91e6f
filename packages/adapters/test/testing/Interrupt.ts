/**
 * Helpers for tests that stop a "process" mid-call and resume in another:
 * running as a step of a run, interrupting a step once its call returned,
 * an HTTP client that stops answering after `k` requests, and waiting on
 * the real clock for a condition.
 */
import type { HttpClient as HttpClientTag } from "@effect/platform"
import { HttpClient } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { Checkpoint } from "@leadgraph/core"
import { Deferred, Effect, Fiber, Layer, Option } from "effect"

/** Runs `effect` as a step of run `runId` does (what it pays for is kept for that run). */
export const inRun = (runId: string) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.locally(effect, Checkpoint.currentRunId, Option.some(runId))

/** Runs `call`, then hangs (the step goes on); interrupted once `call` has returned. */
export const interruptedAfter = <A, E>(call: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const returned = yield* Deferred.make<A>()
    const fiber = yield* Effect.fork(call.pipe(Effect.tap((a) => Deferred.succeed(returned, a)), Effect.zipRight(Effect.never)))
    const answer = yield* Deferred.await(returned)
    yield* Fiber.interrupt(fiber)
    return answer
  })

/**
 * An HTTP client that sends the first `k` requests to `path` and never
 * answers the later ones; `held()` counts those it holds.
 */
export const dyingAfter = (k: number, path: string) => {
  let sent = 0
  const layer: Layer.Layer<HttpClientTag.HttpClient> = Layer.effect(
    HttpClient.HttpClient,
    Effect.map(HttpClient.HttpClient, (client) =>
      HttpClient.transform(client, (response, request) =>
        Effect.suspend(() => new URL(request.url).pathname === path && sent++ >= k ? Effect.never : response)))
  ).pipe(Layer.provide(NodeHttpClient.layerUndici))
  return { layer, held: () => Math.max(0, sent - k) }
}

/** Waits (on the real clock) until `condition` holds, for at most 10 seconds. */
export const until = <E>(condition: Effect.Effect<boolean, E>) =>
  Effect.gen(function*() {
    while (!(yield* condition)) yield* Effect.sleep("5 millis")
  }).pipe(Effect.timeout("10 seconds"))
