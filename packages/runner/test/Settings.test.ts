import { describe, expect, it } from "@effect/vitest"
import { Settings } from "@leadgraph/runner"
import { ConfigProvider, Duration, Effect, Logger, Option } from "effect"

const read = (env: Record<string, string>) =>
  Effect.withConfigProvider(Settings.load, ConfigProvider.fromMap(new Map(Object.entries(env))))

const logs = (env: Record<string, string>) =>
  Effect.gen(function*() {
    const lines: Array<string> = []
    const logger = Logger.make(({ message }) => void lines.push(String(message)))
    yield* read(env).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
    return lines
  })

describe("Settings", () => {
  it.effect("uses the documented defaults when nothing is set", () =>
    Effect.gen(function*() {
      const s = yield* read({})
      expect(s.schedule).toEqual(Settings.defaults.schedule)
      expect(s.caps).toEqual(Settings.defaults.caps)
      expect(s.scoreMinExport).toBe(60)
      expect(s.scoreMinExportSource).toBe("default")
      expect(s.persistCrawlCorpus).toBe(false)
      expect(s.defaultTenantId).toEqual(Option.none())
    }))

  it.effect("per-run caps: only those set, by budget name, none by default; a bad one names its variable", () =>
    Effect.gen(function*() {
      expect((yield* read({})).runCaps).toEqual({})
      const s = yield* read({ LUSHA_MAX_CONTACT_LOOKUPS_PER_RUN: "40", OPENAI_MAX_TOKENS_PER_RUN: "0" })
      expect(s.runCaps).toEqual({ "lusha.lookups": 40, "openai.tokens": 0 })
      const all = yield* read({
        TAVILY_MAX_QUERIES_PER_RUN: "1",
        LUSHA_MAX_CONTACT_LOOKUPS_PER_RUN: "2",
        ZEROBOUNCE_MAX_VERIFICATIONS_PER_RUN: "3",
        OPENAI_MAX_TOKENS_PER_RUN: "4"
      })
      expect(all.runCaps).toEqual({ "tavily.queries": 1, "lusha.lookups": 2, "zerobounce.verifications": 3, "openai.tokens": 4 })
      const bad = yield* Effect.flip(read({ ZEROBOUNCE_MAX_VERIFICATIONS_PER_RUN: "-1" }))
      expect(String(bad)).toContain("ZEROBOUNCE_MAX_VERIFICATIONS_PER_RUN")
    }))

  it.effect("reads every variable under its own name", () =>
    Effect.gen(function*() {
      const s = yield* read({
        DEFAULT_TENANT_ID: "t1",
        SCHED_CRON: "30 2 * * 1-5",
        SCHED_TZ: "Europe/Berlin",
        SCHED_TENANT_CONCURRENCY: "3",
        SCHED_COMPANY_CONCURRENCY: "40",
        SCHED_DAILY_CAP_PER_TENANT: "250",
        SCHED_TENANT_INCLUDE: "a, b,,c",
        SCHED_TENANT_EXCLUDE: "z",
        TAVILY_MAX_QUERIES: "10",
        LUSHA_MAX_CONTACT_LOOKUPS: "20",
        ZEROBOUNCE_MAX_VERIFICATIONS: "30",
        OPENAI_DAILY_TOKENS_CAP: "40000",
        SCORE_MIN_EXPORT: "72.5",
        PERSIST_CRAWL_CORPUS: "true"
      })
      expect(s.defaultTenantId).toEqual(Option.some("t1"))
      expect(s.schedule).toEqual({
        cron: "30 2 * * 1-5",
        timeZone: "Europe/Berlin",
        tenantConcurrency: 3,
        companyConcurrency: 40,
        dailyCapPerTenant: 250,
        include: ["a", "b", "c"],
        exclude: ["z"]
      })
      expect(s.caps).toEqual({ tavilyQueries: 10, lushaLookups: 20, zeroBounceVerifications: 30, openAiTokens: 40000 })
      expect(s.scoreMinExport).toBe(72.5)
      expect(s.persistCrawlCorpus).toBe(true)
    }))

  it.effect("reads the crawler's CRAWLER_* options, and only those that are set", () =>
    Effect.gen(function*() {
      expect((yield* read({})).crawler).toEqual({})
      const s = yield* read({
        CRAWLER_USER_AGENT: "AcmeCrawler/1.0 (+https://acme.test/bot)",
        CRAWLER_MAX_PAGES: "3",
        CRAWLER_PARSE_WORKERS: "0",
        CRAWLER_PARSE_TIMEOUT_MS: "1500"
      })
      expect(s.crawler).toMatchObject({ userAgent: "AcmeCrawler/1.0 (+https://acme.test/bot)", maxPages: 3, parseWorkers: 0 })
      expect(Duration.toMillis(Duration.decode(s.crawler.parseTimeout!))).toBe(1500)
    }))

  it.effect("LEAD_THRESHOLD is the older alias; SCORE_MIN_EXPORT wins and a log line says so", () =>
    Effect.gen(function*() {
      const alias = yield* read({ LEAD_THRESHOLD: "55" })
      expect([alias.scoreMinExport, alias.scoreMinExportSource]).toEqual([55, "LEAD_THRESHOLD"])
      const both = yield* read({ LEAD_THRESHOLD: "55", SCORE_MIN_EXPORT: "70" })
      expect([both.scoreMinExport, both.scoreMinExportSource]).toEqual([70, "SCORE_MIN_EXPORT"])
      expect(yield* logs({ LEAD_THRESHOLD: "55", SCORE_MIN_EXPORT: "70" })).toEqual([
        "SCORE_MIN_EXPORT=70 wins over LEAD_THRESHOLD=55; LEAD_THRESHOLD is ignored"
      ])
    }))

  it.effect("a bad value fails with an error naming the variable", () =>
    Effect.gen(function*() {
      const cases: Array<[Record<string, string>, string]> = [
        [{ SCHED_COMPANY_CONCURRENCY: "0" }, "SCHED_COMPANY_CONCURRENCY"],
        [{ SCHED_TENANT_CONCURRENCY: "two" }, "SCHED_TENANT_CONCURRENCY"],
        [{ TAVILY_MAX_QUERIES: "-1" }, "TAVILY_MAX_QUERIES"],
        [{ SCORE_MIN_EXPORT: "101" }, "SCORE_MIN_EXPORT"],
        [{ LEAD_THRESHOLD: "high" }, "LEAD_THRESHOLD"],
        [{ SCHED_CRON: "every night" }, "SCHED_CRON"],
        [{ SCHED_TZ: "Mars/Olympus" }, "SCHED_TZ"],
        [{ PERSIST_CRAWL_CORPUS: "maybe" }, "PERSIST_CRAWL_CORPUS"],
        [{ CRAWLER_PARSE_WORKERS: "-1" }, "CRAWLER_PARSE_WORKERS"],
        [{ CRAWLER_PARSE_TIMEOUT_MS: "0" }, "CRAWLER_PARSE_TIMEOUT_MS"],
        [{ CRAWLER_MAX_PAGES: "six" }, "CRAWLER_MAX_PAGES"]
      ]
      for (const [env, name] of cases) {
        const error = yield* Effect.flip(read(env))
        expect(String(error)).toContain(name)
      }
    }))
})
