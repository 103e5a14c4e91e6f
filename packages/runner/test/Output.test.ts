import { describe, expect, it } from "@effect/vitest"
import { Logging, Output } from "@leadgraph/runner"
import { type Console, Effect, LogLevel } from "effect"

/** A console recording what reaches each stream. */
const recorder = () => {
  const out: Array<string> = []
  const err: Array<string> = []
  const join = (args: ReadonlyArray<unknown>) => args.map(String).join(" ")
  const base: Console.Console = Effect.runSync(Effect.console)
  const console: Console.Console = {
    ...base,
    log: (...args) => Effect.sync(() => void out.push(join(args))),
    error: (...args) => Effect.sync(() => void err.push(join(args))),
    unsafe: { ...base.unsafe, log: (...args) => void out.push(join(args)), error: (...args) => void err.push(join(args)) }
  }
  return { out, err, console }
}

const levelInfo = LogLevel.Info
const red = "\x1b[31mred\x1b[39m and \x1b[1mbold\x1b[0m"

describe("Output", () => {
  it("colour only on a terminal, and never with NO_COLOR", () => {
    expect(Output.colorsFor({ stdoutIsTTY: true, stderrIsTTY: false, noColor: false })).toEqual({ stdout: true, stderr: false })
    expect(Output.colorsFor({ stdoutIsTTY: true, stderrIsTTY: true, noColor: true })).toEqual({ stdout: false, stderr: false })
  })

  it("strips colour, cursor and hyperlink sequences", () => {
    expect(Output.stripAnsi(red)).toBe("red and bold")
    expect(Output.stripAnsi("\x1b[2K\x1b[1Gline \x1b]8;;https://x.example\x07link\x1b]8;;\x07")).toBe("line link")
  })

  it.effect("the plain console strips the streams that may not colour, and trailing blank lines on stderr", () =>
    Effect.gen(function*() {
      const r = recorder()
      const plain = Output.plainConsole(r.console, { stdout: false, stderr: true })
      yield* plain.log(red)
      yield* plain.error(`${red}\n\n`)
      plain.unsafe.log(red)
      expect(r.out).toEqual(["red and bold", "red and bold"])
      expect(r.err).toEqual([red])
      const none = Output.plainConsole(r.console, { stdout: false, stderr: false })
      yield* none.error(red)
      expect(r.err.at(-1)).toBe("red and bold")
    }))

  it.effect("log lines go to stderr: JSON, or pretty text without colour unless asked", () =>
    Effect.gen(function*() {
      for (const format of ["json", "pretty"] as const) {
        const r = recorder()
        yield* Effect.logInfo("hello").pipe(
          Effect.annotateLogs({ tenant: "acme" }),
          Effect.provide(Logging.layer({ format, level: levelInfo })),
          Effect.withConsole(r.console)
        )
        expect(r.out, format).toEqual([])
        const text = r.err.join("\n")
        expect(text).toContain("hello")
        expect(text).not.toContain("\x1b[")
        if (format === "json") expect(JSON.parse(r.err[0]!)).toMatchObject({ message: "hello", annotations: { tenant: "acme" } })
      }
      const coloured = recorder()
      yield* Effect.logInfo("hello").pipe(
        Effect.provide(Logging.layer({ format: "pretty", level: levelInfo, colors: true })),
        Effect.withConsole(coloured.console)
      )
      expect(coloured.err.join("\n")).toContain("\x1b[")
    }))
})
