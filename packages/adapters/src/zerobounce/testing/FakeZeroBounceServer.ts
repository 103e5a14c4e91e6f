/**
 * A fake ZeroBounce on 127.0.0.1 speaking ZeroBounce's v2 wire format:
 * `GET /v2/validate`, `POST /v2/validatebatch`, `GET /v2/getcredits`, with
 * `api_key` read from the query (GET) or the JSON body (POST), never from a
 * header. Application errors come back as HTTP 200 bodies the way ZeroBounce
 * sends them (`{"error": ...}`, batch `errors: [{email_address: "all"}]`,
 * `{"Credits":"-1"}` for a bad key); a missing `api_key` is a 400. Verdicts
 * are deterministic by seed (sandbox table at `example.com`), `mx_found` and
 * `domain_age_days` are strings, credits drop by one per result that is not
 * `unknown` (sandbox addresses are free), and a positive balance is required
 * for any call.
 *
 * ```ts
 * const server = yield* FakeZeroBounceServer.make({ seed: 7, credits: 500, batchLimit: 100 })
 * yield* server.charges   // Map: address -> times charged
 * ```
 *
 * @since 0.1.0
 */
import { Clock, Effect, Ref, type Scope } from "effect"
import * as FakeServer from "../../internal/testing/FakeServer.js"
import type * as FakeVendor from "../../testing/FakeVendor.js"
import * as ZeroBounceData from "./ZeroBounceData.js"

/**
 * Knobs of the fake: the shared ones plus `batchLimit`, the most addresses
 * one `validatebatch` accepts (default 200, the documented maximum).
 *
 * @since 0.1.0
 * @category models
 */
export interface Knobs extends FakeVendor.Knobs {
  readonly batchLimit: number
  /**
   * Whether a refused key is echoed, masked, in the error message
   * (`"... (api_key ****9f3a)"`). Unconfirmed for the real API; off by
   * default.
   */
  readonly echoKey?: boolean | undefined
}

/**
 * A running fake ZeroBounce, with the times each address was charged.
 *
 * @since 0.1.0
 * @category models
 */
export interface FakeZeroBounceServer extends FakeVendor.Server {
  readonly apiKey: string
  /** Times each (normalised) address was charged for. */
  readonly charges: Effect.Effect<ReadonlyMap<string, number>>
}

const noCredits = "Invalid API Key or your account ran out of credits"

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const keyOf = (request: FakeServer.FakeRequest): unknown =>
  request.method === "GET" ? request.query["api_key"] : isObject(request.body) ? request.body.api_key : undefined

const makeVendor = (
  batchLimit: number,
  charges: Ref.Ref<ReadonlyMap<string, number>>,
  echoKey: boolean
): FakeServer.Vendor => {
  // The refusal of a wrong key, with its masked tail when the fake echoes it.
  const refused = (request: FakeServer.FakeRequest) => {
    const given = keyOf(request)
    return echoKey && typeof given === "string" && given !== "" ? `${noCredits} (api_key ****${given.slice(-4)})` : noCredits
  }
  // Charges one credit for a billable verdict; false when the balance is spent.
  const charge = (ctx: FakeServer.RouteContext, verdict: ZeroBounceData.WireVerdict) => {
    const email = verdict.address.trim().toLowerCase()
    if (verdict.status === "unknown" || ZeroBounceData.isSandbox(email)) return Effect.succeed(true)
    return Effect.tap(ctx.spend(1, email), (ok) =>
      ok ? Ref.update(charges, (m) => new Map(m).set(email, (m.get(email) ?? 0) + 1)) : Effect.void)
  }
  const positive = (ctx: FakeServer.RouteContext) => Effect.map(ctx.balance, (b) => b === undefined || b > 0)

  const validate: FakeServer.Route = (request, ctx) =>
    Effect.gen(function*() {
      const email = request.query["email"]
      if (email === undefined || email === "") return { status: 200, body: { error: "Missing parameter: email." } }
      if (!(yield* positive(ctx))) return { status: 200, body: { error: noCredits } }
      const verdict = ZeroBounceData.verdict(ctx.seed, email, yield* Clock.currentTimeMillis)
      yield* charge(ctx, verdict)
      return { status: 200, body: verdict }
    })

  const validateBatch: FakeServer.Route = (request, ctx) =>
    Effect.gen(function*() {
      const body = request.body
      const batch = isObject(body) ? body.email_batch : undefined
      if (!Array.isArray(batch)) return { status: 400, body: { Message: "Missing parameter: email_batch." } }
      if (batch.length > batchLimit) {
        return { status: 400, body: { Message: `Too many emails in email_batch (max ${batchLimit}).` } }
      }
      if (!(yield* positive(ctx))) {
        return { status: 200, body: { email_batch: [], errors: [{ email_address: "all", error: noCredits }] } }
      }
      const now = yield* Clock.currentTimeMillis
      const verdicts: Array<ZeroBounceData.WireVerdict> = []
      const errors: Array<{ email_address: string; error: string }> = []
      for (const item of batch) {
        const email = isObject(item) ? item.email_address : undefined
        if (typeof email !== "string") {
          errors.push({ email_address: "unknown", error: "Missing email_batch key: email_address." })
          continue
        }
        const verdict = ZeroBounceData.verdict(ctx.seed, email, now)
        if (yield* charge(ctx, verdict)) verdicts.push(verdict)
        else errors.push({ email_address: email, error: noCredits })
      }
      return { status: 200, body: { email_batch: verdicts, errors } }
    })

  const getCredits: FakeServer.Route = (_request, ctx) =>
    Effect.map(ctx.balance, (balance) => ({ status: 200, body: { Credits: String(balance ?? 1_000_000) } }))

  return {
    name: "ZeroBounce",
    routes: {
      "GET /v2/validate": validate,
      "POST /v2/validatebatch": validateBatch,
      "GET /v2/getcredits": getCredits
    },
    authorize: (request, apiKey) => keyOf(request) === apiKey,
    unauthorized: (request) => {
      if (keyOf(request) === undefined) return { status: 400, body: { error: "Missing parameter: api_key." } }
      if (request.path === "/v2/getcredits") return { status: 200, body: { Credits: "-1" } }
      if (request.path === "/v2/validatebatch") {
        return { status: 200, body: { email_batch: [], errors: [{ email_address: "all", error: refused(request) }] } }
      }
      return { status: 200, body: { error: refused(request) } }
    },
    rateLimited: () => ({ status: 429, body: { error: "Too many requests: your access is temporarily blocked." } }),
    serverError: () => ({ status: 500, body: { error: "Internal server error." } }),
    notFound: () => ({ status: 404, body: { error: "Not found." } })
  }
}

/**
 * Starts a fake ZeroBounce (serve it under `/v2` by pointing the adapter's
 * `baseUrl` at `${server.url}/v2`); it stops when the scope closes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (knobs?: Partial<Knobs>): Effect.Effect<FakeZeroBounceServer, never, Scope.Scope> =>
  Effect.gen(function*() {
    const charges = yield* Ref.make<ReadonlyMap<string, number>>(new Map())
    const server = yield* FakeServer.make({ vendor: makeVendor(knobs?.batchLimit ?? 200, charges, knobs?.echoKey === true), knobs })
    return {
      ...server,
      apiKey: knobs?.apiKey ?? FakeServer.defaults.apiKey,
      charges: Ref.get(charges)
    }
  })
