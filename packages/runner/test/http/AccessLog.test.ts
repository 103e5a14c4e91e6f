/**
 * The access log of `leadgraph serve`, over real HTTP: one JSON line per
 * request (Effect's JSON logger, as when not on a terminal) with the
 * method, the path without its query string, the status, the duration and
 * the tenant of a tenant token; never a token.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Logger } from "effect"
import * as AccessLog from "../../src/http/AccessLog.js"
import { adminToken, call, layer, seedTenant, targets, tenantA, tokenFor } from "./harness.js"

interface Line {
  readonly message: unknown
  readonly logLevel: string
  readonly annotations: Record<string, unknown>
}

/** The JSON lines the server writes, as text and parsed. */
const written: Array<string> = []
const capture = Logger.replace(Logger.defaultLogger, Logger.map(Logger.jsonLogger, (line) => void written.push(line)))

const accessLines = () =>
  written.map((text) => JSON.parse(text) as Line).filter((line) => line.message === "http request")

describe("AccessLog.pathOf", () => {
  it("drops the query string and the fragment", () => {
    expect(AccessLog.pathOf("/export/latest_scores.json?min_score=75&token=secret")).toBe("/export/latest_scores.json")
    expect(AccessLog.pathOf("/admin/runs/abc#top")).toBe("/admin/runs/abc")
    expect(AccessLog.pathOf("/health")).toBe("/health")
    expect(AccessLog.pathOf("/?")).toBe("/")
  })
})

for (const target of targets("access-log")) {
  describe(`access log (${target.label})`, () => {
    it.layer(layer(target.database).pipe(Layer.provide(capture)), { timeout: "120 seconds" })((it) => {
      it.effect("one line per request: method, path, status, duration, the tenant of a tenant token; no token, no query", () =>
        Effect.gen(function*() {
          yield* seedTenant(tenantA, [{ name: "Acme", domain: "acme.example", score: 80 }])
          const token = yield* tokenFor(tenantA)
          written.length = 0

          expect((yield* call("/export/latest_scores.json?min_score=75", { token })).status).toBe(200)
          expect((yield* call("/export/latest_scores.csv?min_score=secret-in-query", { token: "lg_wrong" })).status).toBe(401)
          expect((yield* call("/admin/runs/nope", { token: adminToken })).status).toBe(404)
          expect((yield* call("/admin/runs", { method: "POST", token, body: "{}" })).status).toBe(403)
          expect((yield* call("/admin/runs", { method: "POST", token: adminToken, body: "not json" })).status).toBe(400)
          expect((yield* call("/health")).status).toBe(200)

          const lines = accessLines()
          expect(lines.map((l) => [l.annotations.method, l.annotations.path, l.annotations.status, l.annotations.tenant]))
            .toEqual([
              ["GET", "/export/latest_scores.json", 200, tenantA],
              ["GET", "/export/latest_scores.csv", 401, undefined],
              ["GET", "/admin/runs/nope", 404, undefined],
              ["POST", "/admin/runs", 403, undefined],
              ["POST", "/admin/runs", 400, undefined],
              ["GET", "/health", 200, undefined]
            ])
          for (const line of lines) {
            expect(line.logLevel).toBe("INFO")
            expect(typeof line.annotations.durationMs).toBe("number")
            expect(line.annotations.durationMs as number).toBeGreaterThanOrEqual(0)
          }
          const all = written.join("\n")
          for (const secret of [token, adminToken, "lg_wrong", "secret-in-query", "min_score", "Bearer"]) {
            expect(all).not.toContain(secret)
          }
        }))
    })
  })
}
