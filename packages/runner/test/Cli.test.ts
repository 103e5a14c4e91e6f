import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { leadgraph } from "./inProcess.js"

describe("the leadgraph CLI", () => {
  it.effect("graph prints the pipeline as Mermaid, every step in it", () =>
    Effect.gen(function*() {
      const { exit, out } = yield* leadgraph(["graph"])
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(out.startsWith("flowchart")).toBe(true)
      for (const step of ["crawl", "search", "extract", "contacts", "verify", "score", "rationale", "persist", "export"]) {
        expect(out).toContain(`"${step}`)
      }
    }))

  it.effect("a bad setting stops a run before anything runs, naming the variable", () =>
    Effect.gen(function*() {
      const { exit } = yield* leadgraph(["nightly"], { env: { SCHED_TENANT_CONCURRENCY: "0" } })
      expect(Exit.isFailure(exit)).toBe(true)
      expect(String(Exit.isFailure(exit) ? exit.cause : "")).toContain("SCHED_TENANT_CONCURRENCY")
    }))

  it.effect("missing vendor keys are named, and never printed (a real run; a dry run needs none)", () =>
    Effect.gen(function*() {
      const { exit } = yield* leadgraph(["run", "--tenant", "t1"], { env: { LUSHA_API_KEY: "lusha-secret-value" } })
      expect(Exit.isFailure(exit)).toBe(true)
      const text = String(Exit.isFailure(exit) ? exit.cause : "")
      expect(text).toContain("TAVILY_API_KEY")
      expect(text).not.toContain("LUSHA_API_KEY")
      expect(text).not.toContain("lusha-secret-value")
    }))

  it.effect("a worker, or a run in cluster mode, needs DATABASE_URL: refused before anything is built", () =>
    Effect.gen(function*() {
      for (const [args, env] of [
        [["worker", "--port", "1"], {}],
        [["run", "--tenant", "t1", "--cluster"], {}],
        [["nightly"], { LEADGRAPH_CLUSTER: "true" }]
      ] as const) {
        const { error, exit } = yield* leadgraph(args, { env })
        expect(Exit.isFailure(exit), args.join(" ")).toBe(true)
        const text = `${error} ${String(Exit.isFailure(exit) ? exit.cause : "")}`
        expect(text, args.join(" ")).toContain("set DATABASE_URL")
        // refused before the vendor keys are even read
        expect(text, args.join(" ")).not.toContain("TAVILY_API_KEY")
      }
    }))

  it.effect("an unknown flag is refused", () =>
    Effect.gen(function*() {
      const { exit } = yield* leadgraph(["graph", "--bogus"])
      expect(Exit.isFailure(exit)).toBe(true)
    }))
})
