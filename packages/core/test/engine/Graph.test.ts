import { describe, expect, it } from "@effect/vitest"
import { Graph, Step } from "@leadgraph/core"
import { Effect, Either, Schema } from "effect"

const step = Step.forTarget<string>()
const A = step("a", { output: Schema.String, run: ({ target }) => Effect.succeed(target) })
const B = step("b", { needs: { a: A }, output: Schema.Number, run: ({ a }) => Effect.succeed(a.length) })
const C = step("c", {
  needs: { a: A },
  output: Schema.Number,
  dependants: "absent",
  budget: { name: "tokens", units: 3 },
  key: ({ target }) => target,
  keyLimit: 2,
  run: ({ a }) => Effect.succeed(a.length * 2)
})
const D = step("lusha.contacts", {
  needs: { b: B, c: C },
  output: Schema.String,
  cacheKey: ({ target }) => target,
  run: ({ b, c }) => Effect.succeed(`${b}/${c._tag}`)
})

const errorOf = (e: Either.Either<unknown, { readonly reason: string; readonly steps: ReadonlyArray<string> }>) =>
  Either.match(e, { onLeft: (err) => ({ reason: err.reason, steps: err.steps }), onRight: () => undefined })

describe("Graph.make", () => {
  it("orders steps topologically, ties broken by name, whatever the argument order", () => {
    const g = Graph.unsafeMake(D, C, B, A)
    expect(g.steps.map((s) => s.name)).toEqual(["a", "b", "c", "lusha.contacts"])
    expect(g.roots).toEqual([0])
    expect(g.dependants[0]).toEqual([1, 2])
    expect(g.needs[3]).toEqual([["b", 1], ["c", 2]])
  })

  it("fails with UnknownNeed when a need is not in the graph", () => {
    // Step.Any hides the missing need from the compiler; the runtime check still holds.
    const steps: ReadonlyArray<Step.Any> = [B]
    expect(errorOf(Graph.make(...steps))).toEqual({ reason: "UnknownNeed", steps: ["b", "a"] })
  })

  it("does not compile when a need is missing from the arguments", () => {
    // @ts-expect-error a step needs a step missing from the graph
    const e = Graph.make(B)
    expect(Either.isLeft(e)).toBe(true)
  })

  it("fails with DuplicateName for two different steps with one name", () => {
    const A2 = step("a", { output: Schema.String, run: () => Effect.succeed("other") })
    expect(errorOf(Graph.make(A, A2))).toEqual({ reason: "DuplicateName", steps: ["a"] })
    // the same step twice is fine
    expect(Either.isRight(Graph.make(A, A, B))).toBe(true)
  })

  it("fails with Cycle when needs loop", () => {
    const X = step("x", { output: Schema.Number, run: () => Effect.succeed(1) })
    const Y = step("y", { needs: { x: X }, output: Schema.Number, run: () => Effect.succeed(1) })
    // Values cannot refer to later values, so a cycle needs a hand-made needs record.
    const Xc = { ...X, needs: { y: Y } } as Step.Any
    const Yc = { ...Y, needs: { x: Xc } } as Step.Any
    ;(Xc.needs as Record<string, Step.Any>).y = Yc
    expect(errorOf(Graph.make(Xc, Yc))).toEqual({ reason: "Cycle", steps: ["x", "y"] })
  })

  it("fails with ReservedName for a need called target and InvalidOption for a bad key limit", () => {
    const T = { ...B, needs: { target: A } } as Step.Any
    expect(errorOf(Graph.make(A, T))).toEqual({ reason: "ReservedName", steps: ["b"] })
    const K = step("k", { output: Schema.Number, key: () => "x", keyLimit: 0, run: () => Effect.succeed(1) })
    expect(errorOf(Graph.make(K))).toEqual({ reason: "InvalidOption", steps: ["k"] })
  })

  it("unsafeMake throws the GraphError", () => {
    const steps: ReadonlyArray<Step.Any> = [B]
    expect(() => Graph.unsafeMake(...steps)).toThrow(/UnknownNeed/)
  })
})

describe("Graph.toMermaid", () => {
  it("renders nodes with their policy and one edge per need (dotted for absent inputs)", () => {
    expect(Graph.toMermaid(Graph.unsafeMake(A, B, C, D))).toBe([
      "flowchart TD",
      "  s0[\"a\"]",
      "  s1[\"b\"]",
      "  s2[\"c<br/>budget: tokens<br/>key limit: 2\"]",
      "  s3[\"lusha.contacts<br/>cached\"]",
      "  s0 --> s1",
      "  s0 --> s2",
      "  s1 --> s3",
      "  s2 -.-> s3"
    ].join("\n"))
  })

  it("escapes quotes and angle brackets in names", () => {
    const Q = step("say \"hi\" <now>", { output: Schema.Number, run: () => Effect.succeed(1) })
    expect(Graph.toMermaid(Graph.unsafeMake(Q))).toBe("flowchart TD\n  s0[\"say #34;hi#34; #60;now#62;\"]")
  })
})
