/**
 * The `leadgraph` CLI run in this process, for the runner's tests: what it
 * printed to stdout, its exit, the exit code it set, and its error as one
 * text (a usage error as the CLI words it, else the error's message).
 */
import { vi } from "@effect/vitest"
import { NodeContext } from "@effect/platform-node"
import { ValidationError } from "@effect/cli"
import { Store } from "@leadgraph/core"
import { Cli, Errors } from "@leadgraph/runner"
import { Cause, ConfigProvider, Deferred, Effect, Exit, Option } from "effect"

/** What the run gave. */
export interface Ran {
  readonly ok: boolean
  readonly out: string
  readonly exit: Exit.Exit<void, unknown>
  readonly code: number
  readonly error: string
}

/** The text of a failed run's error ("" when it succeeded). */
const errorText = (exit: Exit.Exit<void, unknown>): string => {
  if (Exit.isSuccess(exit)) return ""
  return Option.match(Cause.failureOption(exit.cause), {
    onNone: () => Cause.pretty(exit.cause),
    onSome: (error) =>
      !ValidationError.isValidationError(error) && error instanceof Error ? error.message : Errors.describe(error)
  })
}

/**
 * Runs `leadgraph ...args` with only `env` as its environment, over `store`
 * when given (else the store its command builds).
 */
export const leadgraph = (
  args: ReadonlyArray<string>,
  options: { readonly env?: Record<string, string> | undefined; readonly store?: Store.Service | undefined } = {}
): Effect.Effect<Ran> =>
  Effect.gen(function*() {
    const out: Array<string> = []
    const spy = vi.spyOn(console, "log").mockImplementation((...xs: Array<unknown>) => void out.push(xs.join(" ")))
    let code = 0
    const requested = yield* Deferred.make<void>()
    const cli = Cli.cli(["node", "leadgraph", ...args]).pipe(
      Effect.provideService(Cli.Shutdown, { requested, isTTY: false }),
      Effect.provideService(Cli.ExitCode, { set: (c) => Effect.sync(() => void (code = c)) }),
      Effect.provide(NodeContext.layer),
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(options.env ?? {}))))
    )
    const exit = yield* (options.store === undefined ? cli : Effect.provideService(cli, Store.Store, options.store)).pipe(
      Effect.ensuring(Effect.sync(() => spy.mockRestore())),
      Effect.exit
    )
    return { ok: Exit.isSuccess(exit), out: out.join("\n"), exit, code, error: errorText(exit) }
  })
