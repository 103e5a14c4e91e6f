/**
 * The other processes of SharedRateLimits.process.test.ts: a Tavily client
 * over SharedRateLimits on the Postgres schema given, which prints `ready`,
 * waits for a line on stdin, makes its calls to the fake at once and exits.
 * Arguments: the runtime URL, the schema, the fake's URL, the API key, the
 * number of calls, the limit and its interval in milliseconds.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { Budget, Tavily } from "@leadgraph/core"
import { Effect, Layer, Redacted } from "effect"
import { Database, SharedRateLimits, TavilyLive } from "../../src/index.js"

const [url, schema, baseUrl, apiKey, calls, limit, interval] = process.argv.slice(2)

const go = Effect.async<void>((resume) => {
  process.stdin.once("data", () => resume(Effect.void))
  process.stdin.resume()
})

const program = Effect.gen(function*() {
  const tavily = yield* TavilyLive.make({
    apiKey: Redacted.make(apiKey!),
    baseUrl,
    timeout: "10 seconds",
    retry: { retries: 0 },
    rateLimit: { limit: Number(limit), interval: Number(interval) }
  })
  // one call first: the connection and the code paths warm (see SharedRateLimits.test.ts)
  yield* tavily.search({ query: `warm ${process.pid}` })
  process.stdout.write("ready\n")
  yield* go
  yield* Effect.forEach(
    Array.from({ length: Number(calls) }, (_, i) => `${process.pid} query ${i}`),
    (query) => tavily.search({ query }),
    { concurrency: "unbounded", discard: true }
  )
}).pipe(
  Effect.scoped,
  Effect.provide(
    SharedRateLimits.layer().pipe(
      Layer.provideMerge(Layer.mergeAll(
        Database.layerUrl({ url: Redacted.make(url!), schema, maxConnections: 2 }),
        NodeHttpClient.layerUndici,
        Budget.layerMemory({ [Tavily.budget]: 1000 })
      ))
    )
  )
)

void Effect.runPromiseExit(program).then((exit) => {
  process.exitCode = exit._tag === "Success" ? 0 : 1
  if (exit._tag === "Failure") process.stderr.write(`${String(exit.cause)}\n`)
})
