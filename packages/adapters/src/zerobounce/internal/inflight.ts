/**
 * Keyed de-duplication of work in flight: when two callers ask for the same
 * key at once, one does the work and the other waits for its result. The
 * ZeroBounce adapter uses it so that concurrent verifications of one address
 * (the same contact at two companies) are paid for once.
 *
 * `run(keys, work)` claims the keys nobody is working on and runs `work` for
 * them; for the others it waits. A key whose owner failed (or got no value
 * for it) is claimed again, so the caller gets the owner's value, its own, or
 * its own failure.
 *
 * @internal
 */
import { Deferred, Effect, Exit, Ref } from "effect"

/** @internal */
export interface InFlight<K, V> {
  readonly run: <E>(
    keys: ReadonlyArray<K>,
    work: (owned: ReadonlyArray<K>) => Effect.Effect<ReadonlyMap<K, V>, E>
  ) => Effect.Effect<ReadonlyMap<K, V>, E>
}

/** @internal */
export const make = <K, V>(): Effect.Effect<InFlight<K, V>> =>
  Effect.map(Ref.make(new Map<K, Deferred.Deferred<V | undefined>>()), (registry) => {
    const settle = (owned: ReadonlyArray<readonly [K, Deferred.Deferred<V | undefined>]>, values: ReadonlyMap<K, V>) =>
      Effect.zipRight(
        Ref.update(registry, (map) => {
          const next = new Map(map)
          for (const [key] of owned) next.delete(key)
          return next
        }),
        Effect.forEach(owned, ([key, deferred]) => Deferred.succeed(deferred, values.get(key)), { discard: true })
      )

    const run = <E>(
      keys: ReadonlyArray<K>,
      work: (owned: ReadonlyArray<K>) => Effect.Effect<ReadonlyMap<K, V>, E>
    ): Effect.Effect<ReadonlyMap<K, V>, E> =>
      Effect.gen(function*() {
        const fresh = yield* Effect.forEach(keys, () => Deferred.make<V | undefined>())
        const { owned, waiting } = yield* Ref.modify(registry, (map) => {
          const next = new Map(map)
          const owned: Array<readonly [K, Deferred.Deferred<V | undefined>]> = []
          const waiting: Array<readonly [K, Deferred.Deferred<V | undefined>]> = []
          keys.forEach((key, i) => {
            const existing = next.get(key)
            if (existing !== undefined) waiting.push([key, existing])
            else {
              next.set(key, fresh[i]!)
              owned.push([key, fresh[i]!])
            }
          })
          return [{ owned, waiting }, next]
        })
        const out = new Map<K, V>()
        if (owned.length > 0) {
          // Settled before waiting on others, so two callers never wait on each other.
          const mine = yield* work(owned.map(([key]) => key)).pipe(
            Effect.onExit((exit) => settle(owned, Exit.isSuccess(exit) ? exit.value : new Map()))
          )
          for (const [key, value] of mine) out.set(key, value)
        }
        const again: Array<K> = []
        for (const [key, deferred] of waiting) {
          const value = yield* Deferred.await(deferred)
          if (value === undefined) again.push(key)
          else out.set(key, value)
        }
        if (again.length > 0) for (const [key, value] of yield* run(again, work)) out.set(key, value)
        return out
      })

    return { run }
  })
