/**
 * Acceptance: what people open in a browser works in a real one. A real
 * run over the fakes, its HTML report (`RunReport.html`) opened in headless
 * Chromium: no console error, no page error, every chart's SVG drawn with a
 * size; and the `/docs` page of `leadgraph serve`: no console error (no
 * network either: everything it needs is in the page). Screenshots go to
 * `test-results/browser/`.
 *
 * Chromium is Debian's (`/usr/bin/chromium`, or `CHROMIUM_PATH`), driven
 * by playwright-core. Where it is not installed these tests do not run,
 * except with `LEADGRAPH_REQUIRE_BROWSER=1` (CI sets it), where a missing
 * Chromium fails.
 */
import { describe, expect, it } from "@effect/vitest"
import { EnrichmentRun, RunReport, Store } from "@leadgraph/core"
import { Context, Effect, Layer, Option } from "effect"
import { existsSync, mkdirSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { type Browser, chromium, type Page } from "playwright-core"
import { BaseUrl, layer as serverLayer, targets as serverTargets } from "../../packages/runner/test/http/harness.js"
import { finished, makeWorld, targets } from "./harness.js"

const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"
const chromiumAvailable = existsSync(chromiumPath)
const required = process.env.LEADGRAPH_REQUIRE_BROWSER === "1"
const out = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "test-results", "browser")

/** Headless Chromium for the life of the scope. */
const browser = Effect.acquireRelease(
  Effect.promise(() => chromium.launch({ executablePath: chromiumPath, headless: true, args: ["--no-sandbox"] })),
  (b: Browser) => Effect.promise(() => b.close())
)

/** A new page that records every console error, page error and request that left 127.0.0.1. */
const watchedPage = (b: Browser) =>
  Effect.promise(async () => {
    const page = await b.newPage({ viewport: { width: 1000, height: 800 } })
    const errors: Array<string> = []
    const outside: Array<string> = []
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(`console: ${m.text()}`)
    })
    page.on("pageerror", (e) => errors.push(`page: ${e.message}`))
    await page.route("**/*", (route) => {
      const url = route.request().url()
      if (/^(data:|about:|https?:\/\/127\.0\.0\.1[:/])/.test(url)) return route.continue()
      outside.push(url)
      return route.abort()
    })
    return { page, errors, outside }
  })

const shot = (page: Page, name: string) =>
  Effect.promise(async () => {
    mkdirSync(out, { recursive: true })
    await page.screenshot({ path: join(out, name), fullPage: true })
  })

describe("acceptance: in a real browser", () => {
  it.runIf(required && !chromiumAvailable)("Chromium is installed (LEADGRAPH_REQUIRE_BROWSER=1)", () => {
    expect.fail(`no Chromium at ${chromiumPath}: install Debian's chromium, or set CHROMIUM_PATH`)
  })

  it.runIf(chromiumAvailable)("a real run's report: no console error, every chart drawn with a size", { timeout: 120_000 }, () =>
    Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const world = yield* makeWorld({ database: targets[0]!.database(), companiesPerTenant: 8 })
      const tenant = world.tenants[0]!
      const result = finished(yield* world.use(EnrichmentRun.run(yield* world.options(tenant.id))))
      const data = yield* world.use(Effect.flatMap(Store.Store, (store) => RunReport.gather(store, result.runId)))
      const report = RunReport.html(Option.getOrThrow(data))
      mkdirSync(out, { recursive: true })
      writeFileSync(join(out, "report.html"), report)

      const b = yield* browser
      const { errors, outside, page } = yield* watchedPage(b)
      yield* Effect.promise(() => page.setContent(report, { waitUntil: "load" }))
      const charts = yield* Effect.promise(() =>
        page.$$eval("svg.chart", (svgs) =>
          svgs.map((s) => {
            const box = s.getBoundingClientRect()
            return { id: s.id, width: box.width, height: box.height, shapes: s.querySelectorAll("rect, path").length }
          }))
      )
      yield* shot(page, "report.png")
      expect(errors).toEqual([])
      expect(outside).toEqual([])
      expect(charts.map((c) => c.id)).toEqual([
        "chart-progress",
        "chart-steps",
        "chart-vendors",
        "chart-budgets",
        "chart-scores",
        "chart-failures"
      ])
      for (const c of charts) {
        expect(c.width, c.id).toBeGreaterThan(0)
        expect(c.height, c.id).toBeGreaterThan(0)
      }
      // a real run finished companies, timed steps and scored them: those charts have marks
      for (const id of ["chart-progress", "chart-steps", "chart-scores"]) {
        expect(charts.find((c) => c.id === id)!.shapes, id).toBeGreaterThan(1)
      }
    }))))

  it.runIf(chromiumAvailable)("the /docs page of `leadgraph serve`: no console error, nothing fetched from elsewhere", { timeout: 120_000 }, () =>
    Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const server = yield* Layer.build(serverLayer(serverTargets("browser_docs")[0]!.database))
      const base = Context.get(server, BaseUrl)
      const b = yield* browser
      const { errors, outside, page } = yield* watchedPage(b)
      yield* Effect.promise(() => page.goto(`${base}/docs`, { waitUntil: "networkidle" }))
      yield* Effect.promise(() => page.waitForSelector(".swagger-ui .opblock", { timeout: 30_000 }))
      const operations = yield* Effect.promise(() => page.$$eval(".opblock", (xs) => xs.length))
      yield* shot(page, "docs.png")
      expect(errors).toEqual([])
      expect(outside).toEqual([])
      expect(operations).toBeGreaterThan(5)
    }))))
})
