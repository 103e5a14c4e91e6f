/**
 * `npm run bench -- engine`: the engine's overhead, scheduling and memory
 * figures, each beside a baseline measured in the same run. Results are
 * printed and written as JSON under bench/results/.
 *
 * Options: `--quick` runs smaller workloads (for a smoke check).
 */
import { Engine, Graph, Step } from "@leadgraph/core"
import { Effect, Schema, Stream } from "effect"
import { spawnSync } from "node:child_process"
import { mkdirSync, writeFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import pLimit from "p-limit"

const quick = process.argv.includes("--quick")
const scale = quick ? 10 : 1

/** a -> (b1, b2, b3) -> (c1, c2, c3) -> d: 8 steps, critical path 4. */
const buildGraph = (work: (name: string) => Effect.Effect<number>) => {
  const step = Step.forTarget<number>()
  const out = Schema.Number
  const a = step("a", { output: out, run: () => work("a") })
  const b1 = step("b1", { needs: { a }, output: out, run: () => work("b1") })
  const b2 = step("b2", { needs: { a }, output: out, run: () => work("b2") })
  const b3 = step("b3", { needs: { a }, output: out, run: () => work("b3") })
  const c1 = step("c1", { needs: { b1 }, output: out, run: () => work("c1") })
  const c2 = step("c2", { needs: { b2 }, output: out, run: () => work("c2") })
  const c3 = step("c3", { needs: { b3 }, output: out, run: () => work("c3") })
  const d = step("d", { needs: { c1, c2, c3 }, output: out, run: () => work("d") })
  return Graph.unsafeMake(a, b1, b2, b3, c1, c2, c3, d)
}

/** The same DAG composed by hand with Effect. */
const bareDag = (work: Effect.Effect<number>, parallel: boolean) => {
  const all = (n: number) => Effect.all(Array.from({ length: n }, () => work), { concurrency: parallel ? "unbounded" : 1 })
  return work.pipe(Effect.zipRight(all(3)), Effect.zipRight(all(3)), Effect.zipRight(work))
}

const time = async <A>(f: () => Promise<A>): Promise<[number, A]> => {
  const t0 = process.hrtime.bigint()
  const a = await f()
  return [Number(process.hrtime.bigint() - t0) / 1e6, a]
}

const median = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const overhead = async () => {
  const targets = 20_000 / scale
  const concurrency = 100
  const steps = targets * 8
  const noop = Effect.succeed(1)
  const graph = buildGraph(() => noop)
  const engine = () => Effect.runPromise(Engine.run(graph, Stream.range(1, targets), { concurrency }))
  const ids = Array.from({ length: targets }, (_, i) => i)
  const bare = (parallel: boolean) => () =>
    Effect.runPromise(Effect.forEach(ids, () => bareDag(noop, parallel), { concurrency, discard: true }))
  // warm up, then take the median of 5
  await engine()
  await bare(true)()
  await bare(false)()
  const runs = { engine: [] as Array<number>, dag: [] as Array<number>, sequential: [] as Array<number> }
  for (let i = 0; i < 5; i++) {
    runs.engine.push((await time(engine))[0])
    runs.dag.push((await time(bare(true)))[0])
    runs.sequential.push((await time(bare(false)))[0])
  }
  const perStep = (ms: number) => (ms * 1000) / steps
  return {
    targets,
    steps,
    concurrency,
    engineMicrosPerStep: perStep(median(runs.engine)),
    bareParallelDagMicrosPerStep: perStep(median(runs.dag)),
    bareSequentialMicrosPerStep: perStep(median(runs.sequential)),
    goalMicrosPerStep: 15
  }
}

const scheduling = async () => {
  const targets = 2_000 / scale
  const concurrency = 200
  const latency = 20
  const ideal = 4 * latency * Math.ceil(targets / concurrency)
  const timer = () => new Promise<number>((resolve) => setTimeout(() => resolve(1), latency))
  // The same simulated latency two ways: Effect's own sleep, and the very
  // timer the Promise baseline uses (which isolates the engine's share).
  const workloads = {
    effectSleep: () => Effect.as(Effect.sleep(`${latency} millis`), 1),
    promiseTimer: () => Effect.promise(timer)
  }
  const engine: Record<string, number> = {}
  for (const [name, work] of Object.entries(workloads)) {
    const graph = buildGraph(work)
    const [ms, summary] = await time(() => Effect.runPromise(Engine.run(graph, Stream.range(1, targets), { concurrency })))
    if (summary.targets.succeeded !== targets) throw new Error("engine bench: not every target succeeded")
    engine[name] = ms
  }
  const dag = async () => {
    await timer()
    await Promise.all([1, 2, 3].map(async () => {
      await timer()
      await timer()
    }))
    await timer()
  }
  const [baselineMs] = await time(async () => {
    const limit = pLimit(concurrency)
    await Promise.all(Array.from({ length: targets }, () => limit(dag)))
  })
  return {
    targets,
    concurrency,
    latencyMillis: latency,
    idealMillis: ideal,
    engineEffectSleepMillis: engine.effectSleep!,
    enginePromiseTimerMillis: engine.promiseTimer!,
    baselineMillis: baselineMs,
    engineOverIdeal: { effectSleep: engine.effectSleep! / ideal, promiseTimer: engine.promiseTimer! / ideal },
    baselineOverIdeal: baselineMs / ideal,
    engineOverBaseline: { effectSleep: engine.effectSleep! / baselineMs, promiseTimer: engine.promiseTimer! / baselineMs },
    goals: { engineOverIdeal: 1.1, engineOverBaseline: 1.05 }
  }
}

const memory = async () => {
  const targets = 200_000 / scale
  const graph = buildGraph((name) => Effect.succeed(name.length))
  ;(globalThis as { gc?: () => void }).gc?.()
  const before = process.memoryUsage().rss
  let peak = before
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20)
  const [ms, summary] = await time(() => Effect.runPromise(Engine.run(graph, Stream.range(1, targets), { concurrency: 50 })))
  clearInterval(timer)
  peak = Math.max(peak, process.memoryUsage().rss)
  if (summary.targets.succeeded !== targets) throw new Error("engine bench: not every target succeeded")
  return { targets, millis: ms, rssBeforeMB: before / 2 ** 20, peakRssGrowthMB: (peak - before) / 2 ** 20, goalMB: 150 }
}

const main = async () => {
  const o = await overhead()
  console.log(`overhead   ${o.targets} targets x 8 no-op steps, concurrency ${o.concurrency}`)
  console.log(`           engine ${o.engineMicrosPerStep.toFixed(2)} µs/step (goal <= ${o.goalMicrosPerStep})`)
  console.log(`           baseline: hand-written DAG with Effect.all ${o.bareParallelDagMicrosPerStep.toFixed(2)} µs/step, sequential composition ${o.bareSequentialMicrosPerStep.toFixed(2)} µs/step`)
  const s = await scheduling()
  console.log(`scheduling ${s.targets} targets x 8 steps of ${s.latencyMillis} ms, critical path 4, concurrency ${s.concurrency}; ideal ${s.idealMillis} ms`)
  console.log(`           engine, steps on Effect.sleep   ${s.engineEffectSleepMillis.toFixed(0)} ms: ${s.engineOverIdeal.effectSleep.toFixed(3)} x ideal, ${s.engineOverBaseline.effectSleep.toFixed(3)} x baseline`)
  console.log(`           engine, steps on a Promise timer ${s.enginePromiseTimerMillis.toFixed(0)} ms: ${s.engineOverIdeal.promiseTimer.toFixed(3)} x ideal, ${s.engineOverBaseline.promiseTimer.toFixed(3)} x baseline`)
  console.log(`           baseline (Promises + p-limit) ${s.baselineMillis.toFixed(0)} ms: ${s.baselineOverIdeal.toFixed(3)} x ideal   (goals: engine <= 1.10 x ideal, <= 1.05 x baseline)`)
  // Memory runs in a fresh process so that earlier workloads do not hide its growth.
  const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), "--memory", ...(quick ? ["--quick"] : [])], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"]
  })
  if (child.status !== 0) throw new Error("memory bench failed")
  const m = JSON.parse(child.stdout) as Awaited<ReturnType<typeof memory>>
  console.log(`memory     ${m.targets} targets streamed in ${(m.millis / 1000).toFixed(1)} s: peak RSS growth ${m.peakRssGrowthMB.toFixed(1)} MB (goal < ${m.goalMB} MB)`)
  const results = { suite: "engine", quick, node: process.version, at: new Date().toISOString(), overhead: o, scheduling: s, memory: m }
  mkdirSync("bench/results", { recursive: true })
  const file = `bench/results/engine-${results.at.replace(/[:.]/g, "-")}.json`
  writeFileSync(file, JSON.stringify(results, null, 2))
  console.log(`written    ${file}`)
}

const entry = process.argv.includes("--memory")
  ? memory().then((m) => void process.stdout.write(JSON.stringify(m)))
  : main()
entry.catch((e) => {
  console.error(e)
  process.exit(1)
})
