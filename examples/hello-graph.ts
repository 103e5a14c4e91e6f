/**
 * hello-graph: a three-step graph over 100 targets. `fetch` and `measure`
 * run in parallel for each target, `report` needs both; `fetch` draws one
 * unit per target from a budget capped at 90, so ten targets end partial.
 *
 * Run it with `npx tsx examples/hello-graph.ts`.
 */
import { Budget, Engine, Graph, Step } from "@leadgraph/core"
import { Effect, Schema, Stream } from "effect"

/** A target: a company's domain. */
export interface Company {
  readonly id: string
  readonly domain: string
}

const step = Step.forTarget<Company>()

/** Pretends to fetch the home page; draws one unit of the "fetch" budget. */
export const Fetch = step("fetch", {
  output: Schema.Struct({ title: Schema.String }),
  budget: { name: "fetch", units: 1 },
  key: ({ target }) => target.domain,
  run: ({ target }) => Effect.succeed({ title: `Welcome to ${target.domain}` })
})

/** Measures the domain name. */
export const Measure = step("measure", {
  output: Schema.Number,
  run: ({ target }) => Effect.succeed(target.domain.length)
})

/** Combines both into one line. */
export const Report = step("report", {
  needs: { page: Fetch, length: Measure },
  output: Schema.String,
  run: ({ length, page, target }) => Effect.succeed(`${target.id}: "${page.title}" (${length} chars)`)
})

/** The graph. */
export const HelloGraph = Graph.unsafeMake(Fetch, Measure, Report)

/** The 100 targets. */
export const companies: Stream.Stream<Company> = Stream.range(1, 100).pipe(
  Stream.map((n) => ({ id: `c${n}`, domain: `company-${n}.example` }))
)

/** Runs the graph and returns its summary. */
export const main = Engine.run(HelloGraph, companies, { concurrency: 8, runId: "hello" }).pipe(
  Effect.provide(Budget.layerMemory({ fetch: 90 }))
)

if (import.meta.url === `file://${process.argv[1]}`) {
  Effect.runPromise(main).then((summary) => console.log(JSON.stringify(summary, null, 2)))
}
