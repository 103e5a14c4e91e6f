/**
 * A run's companies as a stream that ends early when the process is asked
 * to stop: one company per pull, each checked against the stop request, so
 * no new company starts after it and those in flight finish.
 *
 * @internal
 */
import { Deferred, Effect, Option, Stream } from "effect"

/** The companies, and whether the stream was cut short by a stop request. */
export const untilStopped = <A>(
  targets: ReadonlyArray<A>,
  stop: Deferred.Deferred<void> | undefined
): { readonly source: Stream.Stream<A>; readonly stopped: () => boolean } => {
  let stopped = false
  const source = stop === undefined ? Stream.fromIterable(targets) : Stream.fromIterable(targets).pipe(
    Stream.rechunk(1),
    Stream.mapEffect((c) =>
      Effect.map(Deferred.isDone(stop), (done) => {
        stopped ||= done
        return done ? Option.none() : Option.some(c)
      })
    ),
    Stream.takeWhile(Option.isSome),
    Stream.map((c) => c.value)
  )
  return { source, stopped: () => stopped }
}
