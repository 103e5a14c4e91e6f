/**
 * An in-memory ZeroBounce for fast tests of code that uses the port: the fake server's verdicts without HTTP.
 *
 * @since 0.1.0
 */
import { ZeroBounce } from "@leadgraph/core"
import { Clock, Effect, Layer } from "effect"
import * as Wire from "../internal/wire.js"
import * as ZeroBounceData from "./ZeroBounceData.js"

/**
 * An in-memory ZeroBounce answering with the fake server's deterministic
 * verdicts (same seed, same verdicts), for fast tests of code that uses the
 * port. No HTTP, no cache, no budget; `credits` is unlimited.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: { readonly seed?: number }): Layer.Layer<ZeroBounce.ZeroBounce> => {
  const seed = options?.seed ?? 1
  const verdictOf = (email: string) =>
    Effect.map(
      Clock.currentTimeMillis,
      (now) => Wire.toVerdict(Wire.decodeVerdict(ZeroBounceData.verdict(seed, ZeroBounce.normalizeEmail(email), now)))
    )
  return Layer.succeed(ZeroBounce.ZeroBounce, {
    verify: verdictOf,
    verifyMany: (emails) =>
      Effect.map(
        Effect.forEach([...new Set(emails.map(ZeroBounce.normalizeEmail))], verdictOf),
        (verdicts) => new ZeroBounce.Verification({ verdicts, rejected: [] })
      ),
    credits: Effect.succeed(1_000_000)
  })
}
