/**
 * The inspector's profilers on the calling thread (the benchmark's main
 * thread), started and stopped around the run, so that set-up is left out.
 */
import { writeFileSync } from "node:fs"
import { Session } from "node:inspector/promises"
import { Effect } from "effect"

/**
 * The inspector's sampling profiler on the main thread, from the start of the
 * run to its end (not the set-up before it); `stop` writes a `.cpuprofile`
 * (Chrome DevTools, speedscope, or bench/pipeline/profile.ts).
 */
export const cpu = Effect.promise(async () => {
  const session = new Session()
  session.connect()
  await session.post("Profiler.enable")
  await session.post("Profiler.setSamplingInterval", { interval: 500 })
  await session.post("Profiler.start")
  return {
    stop: (file: string) =>
      Effect.promise(async () => {
        const { profile } = await session.post("Profiler.stop")
        writeFileSync(file, JSON.stringify(profile))
        session.disconnect()
      })
  }
})

/** The inspector's sampling heap profiler (allocations by function) over the run; `stop` writes a `.heapprofile`. */
export const heap = Effect.promise(async () => {
  const session = new Session()
  session.connect()
  await session.post("HeapProfiler.enable")
  await session.post("HeapProfiler.startSampling", { samplingInterval: 16_384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true })
  return {
    stop: (file: string) =>
      Effect.promise(async () => {
        const { profile } = await session.post("HeapProfiler.stopSampling")
        writeFileSync(file, JSON.stringify(profile))
        session.disconnect()
      })
  }
})
