/**
 * A fake Odoo speaking the external JSON-RPC API on 127.0.0.1: `POST
 * /jsonrpc` with `common.version`, `common.login`, `common.authenticate` and
 * `object.execute_kw` over its own {@link OdooDatabase.OdooDatabase}
 * (`search`, `search_read`, `read`, `search_count`, `create`, `write`,
 * `unlink` on `res.partner` and `crm.lead`), plus `GET /web/version`.
 *
 * As on a real Odoo, every JSON-RPC answer is HTTP 200: `result`, or
 * `error{code: 200, message: "Odoo Server Error", data{name, message,
 * arguments, context, debug}}`. Bad credentials make `common.login` answer
 * `false` and `execute_kw` fail with `odoo.exceptions.AccessDenied`; a body
 * that is not JSON gets HTTP 400 "Invalid JSON data". The shared fault knobs
 * (latency, hangs, 5xx, malformed bodies, a rate limit) play the part of a
 * proxy in front of Odoo: 429 with `Retry-After`, 503. Hangs, 429 and 503
 * come before Odoo sees the call; a malformed body comes after it was
 * carried out. `lostReplyRate` adds the classic maker of duplicates: Odoo
 * carries out and commits the call, then its answer is lost (the connection
 * hangs until the client gives up, or the proxy answers 504), so the client
 * sees a failure and tries again.
 *
 * @since 0.1.0
 */
import { type Duration, Effect, Option, Ref, Schema, type Scope } from "effect"
import * as FakeServer from "../../internal/testing/FakeServer.js"
import * as Protocol from "../internal/protocol.js"
import * as OdooDatabase from "./OdooDatabase.js"

/**
 * The fake's faults and credentials. `password` is what `common.login` and
 * `execute_kw` accept (a password or an API key).
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly database?: string | undefined
  readonly login?: string | undefined
  readonly password?: string | undefined
  /** Added before every answer. */
  readonly latency?: FakeServer.Latency | undefined
  /** Calls allowed per window before the proxy's 429. */
  readonly rateLimit?: { readonly limit: number; readonly interval: Duration.DurationInput } | undefined
  /** Share of calls answered 503 by the proxy. */
  readonly serverErrorRate?: number | undefined
  /** Share of answers whose JSON is cut short. */
  readonly malformedRate?: number | undefined
  /** Share of calls never answered. */
  readonly hangRate?: number | undefined
  /**
   * Share of `execute_kw` calls that Odoo carries out and commits but whose
   * answer is lost (default 0). Drawn only when above 0, so setting it leaves
   * the other faults of a seed as they were when it is 0.
   */
  readonly lostReplyRate?: number | undefined
  /**
   * How a lost answer looks to the client: the connection hangs until the
   * client's own timeout (`"hang"`, the default), or the proxy answers
   * `504 Gateway Time-out` (`"gatewayTimeout"`).
   */
  readonly lostReply?: "hang" | "gatewayTimeout" | undefined
  /** Seed of the fault generator. */
  readonly seed?: number | undefined
}

/**
 * A running fake Odoo.
 *
 * @since 0.1.0
 * @category models
 */
export interface FakeOdooServer {
  /** Base URL (`http://127.0.0.1:<port>`); the adapter appends `/jsonrpc`. */
  readonly url: string
  readonly database: string
  readonly login: string
  /** The records. */
  readonly db: OdooDatabase.OdooDatabase
  /** HTTP calls per `"METHOD /path"`, including rejected ones. */
  readonly calls: Effect.Effect<Readonly<Record<string, number>>>
  /** JSON-RPC calls that reached Odoo, per `"common.login"` or `"<model>.<method>"`. */
  readonly methodCalls: Effect.Effect<Readonly<Record<string, number>>>
  /** `execute_kw` calls carried out whose answers were lost (see {@link Options.lostReplyRate}). */
  readonly lostReplies: Effect.Effect<number>
  /** Changes faults (or the accepted password) while running. */
  readonly setFaults: (faults: Omit<Options, "database" | "login">) => Effect.Effect<void>
}

/**
 * Defaults: database `"leadgraph"`, login `"admin"`, password `"odoo-test-key"`.
 *
 * @since 0.1.0
 * @category defaults
 */
export const defaults = { database: "leadgraph", login: "admin", password: "odoo-test-key" } as const

const ok = (id: unknown, result: unknown): FakeServer.FakeResponse => ({
  status: 200,
  body: { jsonrpc: "2.0", id: id ?? null, result }
})

const exception = (id: unknown, name: string, message: string): FakeServer.FakeResponse => ({
  status: 200,
  body: {
    jsonrpc: "2.0",
    id: id ?? null,
    error: {
      code: 200,
      message: "Odoo Server Error",
      data: {
        name,
        message,
        arguments: [message],
        context: {},
        debug: `Traceback (most recent call last):\n  File "odoo/http.py", line 1, in _serve_db\n${name}: ${message}\n`
      }
    }
  }
})

const decodeRequest = Schema.decodeUnknownOption(Protocol.RpcRequest)

/** nginx's answer when Odoo behind it took longer than `proxy_read_timeout`. */
const gatewayTimeout: FakeServer.FakeResponse = {
  status: 504,
  text: "<html><head><title>504 Gateway Time-out</title></head><body><center><h1>504 Gateway Time-out</h1></center><hr><center>nginx</center></body></html>"
}

type LostReplies = Pick<Options, "lostReplyRate" | "lostReply">

const lostReplyKnobs = (o: LostReplies): LostReplies =>
  Object.fromEntries(Object.entries({ lostReplyRate: o.lostReplyRate, lostReply: o.lostReply }).filter(([, v]) => v !== undefined))

const faultKnobs = (o: Omit<Options, "database" | "login">): Partial<FakeServer.Knobs> => {
  const knobs: Record<string, unknown> = {
    apiKey: o.password,
    latency: o.latency,
    rateLimit: o.rateLimit,
    serverErrorRate: o.serverErrorRate,
    malformedRate: o.malformedRate,
    hangRate: o.hangRate,
    seed: o.seed
  }
  return Object.fromEntries(Object.entries(knobs).filter(([, v]) => v !== undefined)) as Partial<FakeServer.Knobs>
}

/**
 * Starts a fake Odoo on 127.0.0.1 and a free port, for the life of the scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options?: Options): Effect.Effect<FakeOdooServer, never, Scope.Scope> =>
  Effect.gen(function*() {
    const database = options?.database ?? defaults.database
    const login = options?.login ?? defaults.login
    const uid = 2
    const db = OdooDatabase.make()
    const methodCalls = yield* Ref.make<Record<string, number>>({})
    const lost = yield* Ref.make<LostReplies>(lostReplyKnobs(options ?? {}))
    const lostCount = yield* Ref.make(0)
    const count = (name: string) => Ref.update(methodCalls, (c) => ({ ...c, [name]: (c[name] ?? 0) + 1 }))

    // The password travels in the body, so "authorised" means: a login with the
    // right credentials, or an execute_kw with the right database, uid and password.
    const authorize = (request: FakeServer.FakeRequest, password: string): boolean => {
      const rpc = Option.getOrUndefined(decodeRequest(request.body))
      if (rpc === undefined) return true
      const { args, method, service } = rpc.params
      if (service === "common" && (method === "login" || method === "authenticate")) {
        return args[0] === database && args[1] === login && args[2] === password
      }
      if (service === "object") return args[0] === database && args[1] === uid && args[2] === password
      return true
    }

    const unauthorized = (request: FakeServer.FakeRequest): FakeServer.FakeResponse => {
      const rpc = Option.getOrUndefined(decodeRequest(request.body))
      return rpc?.params.service === "common"
        ? ok(rpc.id, false)
        : exception(rpc?.id, "odoo.exceptions.AccessDenied", "Access Denied")
    }

    // The answer of a call Odoo already carried out (and committed) is lost on its way back.
    const maybeLose = (answer: FakeServer.FakeResponse, random: Effect.Effect<number>) =>
      Effect.gen(function*() {
        const { lostReply, lostReplyRate = 0 } = yield* Ref.get(lost)
        if (lostReplyRate <= 0 || (yield* random) >= lostReplyRate) return answer
        yield* Ref.update(lostCount, (n) => n + 1)
        return lostReply === "gatewayTimeout" ? gatewayTimeout : yield* Effect.never
      })

    const jsonrpc: FakeServer.Route = (request, context) =>
      Effect.gen(function*() {
        if (request.body === undefined) return { status: 400, text: "Invalid JSON data" }
        const rpc = Option.getOrUndefined(decodeRequest(request.body))
        if (rpc === undefined) {
          return exception(undefined, "builtins.TypeError", "dispatch_rpc() missing required arguments")
        }
        const { args, method, service } = rpc.params
        if (service === "common") {
          yield* count(`common.${method}`)
          if (method === "version") {
            return ok(rpc.id, {
              server_version: "17.0",
              server_version_info: [17, 0, 0, "final", 0, ""],
              server_serie: "17.0",
              protocol_version: 1
            })
          }
          if (method === "login" || method === "authenticate") return ok(rpc.id, uid)
          return exception(rpc.id, "builtins.NameError", `Method not available ${method}`)
        }
        if (service !== "object" || method !== "execute_kw") {
          return exception(rpc.id, "builtins.NameError", `Method not available ${method}`)
        }
        const [, , , model, ormMethod, ormArgs, kwargs] = args
        if (typeof model !== "string" || typeof ormMethod !== "string" || !Array.isArray(ormArgs)) {
          return exception(rpc.id, "builtins.TypeError", "execute_kw() expects model, method and a list of args")
        }
        yield* count(`${model}.${ormMethod}`)
        const kw = typeof kwargs === "object" && kwargs !== null && !Array.isArray(kwargs)
          ? kwargs as Record<string, unknown>
          : {}
        const answer = yield* Effect.try({
          try: () => ok(rpc.id, db.execute(model, ormMethod, ormArgs, kw)),
          catch: (e) =>
            e instanceof OdooDatabase.OdooException ? e : new OdooDatabase.OdooException("builtins.Exception", String(e))
        }).pipe(Effect.catchAll((e) => Effect.succeed(exception(rpc.id, e.exceptionName, e.message))))
        return yield* maybeLose(answer, context.random)
      })

    const server = yield* FakeServer.make({
      vendor: {
        name: "Odoo",
        routes: {
          "POST /jsonrpc": jsonrpc,
          "GET /web/version": () =>
            Effect.succeed({ status: 200, body: { version_info: [17, 0, 0, "final", 0, ""], version: "17.0" } })
        },
        authorize,
        unauthorized,
        rateLimited: (_, resetMillis) => ({
          status: 429,
          text: "<html><body><h1>429 Too Many Requests</h1></body></html>",
          headers: { "retry-after": String(Math.max(1, Math.ceil(resetMillis / 1000))) }
        }),
        serverError: () => ({ status: 503, text: "<html><body><h1>503 Service Unavailable</h1></body></html>" }),
        notFound: () => ({ status: 404, text: "404: Not Found" })
      },
      knobs: { ...faultKnobs(options ?? {}), apiKey: options?.password ?? defaults.password }
    })

    return {
      url: server.url,
      database,
      login,
      db,
      calls: server.calls,
      methodCalls: Ref.get(methodCalls),
      lostReplies: Ref.get(lostCount),
      setFaults: (faults) =>
        Effect.zipRight(
          Ref.update(lost, (l) => ({ ...l, ...lostReplyKnobs(faults) })),
          server.setKnobs(faultKnobs(faults))
        )
    } satisfies FakeOdooServer
  })
