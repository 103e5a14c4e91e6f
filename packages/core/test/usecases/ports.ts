/**
 * Port doubles for the use case tests: a scripted `Crawler`, and `Tavily`,
 * `Lusha`, `ZeroBounce`, `Llm` and `Odoo` doubles that answer from the
 * domain or address they are given. Every double counts its calls in a
 * shared {@link Calls} (`"lusha.findContacts"`, `"odoo.exportCompany"`...),
 * so a test can assert that no vendor was called. The paid doubles draw
 * from the `Budget` in context like the adapters do, so a run's budgets
 * come out against its caps. Only core is imported: no adapter, no runner.
 */
import { Budget, Crawler, Llm, Lusha, Odoo, OdooConnector, Tavily, ZeroBounce } from "@leadgraph/core"
import type { Tenant } from "@leadgraph/core"
import { Effect, Layer, Option, Schema } from "effect"

/** Calls per port method (`"<port>.<method>"`), owned by one test's world. */
export class Calls {
  private readonly counts = new Map<string, number>()

  /** Counts one call of `method`. */
  readonly count = (method: string): Effect.Effect<void> =>
    Effect.sync(() => void this.counts.set(method, (this.counts.get(method) ?? 0) + 1))

  /** Calls of one method so far. */
  of(method: string): number {
    return this.counts.get(method) ?? 0
  }

  /** Calls of every method of one port (`"lusha"`), or of every port. */
  total(port?: string): number {
    let n = 0
    for (const [method, c] of this.counts) if (port === undefined || method.startsWith(`${port}.`)) n += c
    return n
  }

  /** Every method's count, sorted by name (methods never called left out). */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => (a < b ? -1 : 1)))
  }
}

// --- crawler ----------------------------------------------------------------

/** What the crawler serves for a domain: a corpus and the addresses on the site, or a refusal. */
export type Site = { readonly corpus: string; readonly emails?: ReadonlyArray<string> } | "refused"

/**
 * A corpus long enough not to be thin, naming an industry and a country on
 * lines the {@link llm} double reads.
 */
export const thick = (industry: string, country: string): string =>
  `Industry: ${industry}\nCountry: ${country}\n${`We are a ${industry} company in ${country}. `.repeat(60)}`

/** A corpus too short to extract from without a web search. */
export const thin = (industry: string, country: string): string => `Industry: ${industry}\nCountry: ${country}\n`

const signals = (emails: ReadonlyArray<string>) =>
  new Crawler.Signals({ emails: [...emails], phones: [], socials: [], addresses: [] })

/**
 * A crawler serving `sites` by host. A host not listed, or `"refused"`,
 * fails with `RobotsDisallowed` (not retryable: no backoff under
 * `TestClock`). `before` runs before every crawl (a gate, a clock move).
 */
export const crawler = (
  calls: Calls,
  sites: ReadonlyMap<string, Site>,
  before: (website: string) => Effect.Effect<void> = () => Effect.void
): Layer.Layer<Crawler.Crawler> =>
  Layer.succeed(Crawler.Crawler, {
    crawl: (website) =>
      Effect.gen(function*() {
        yield* calls.count("crawler.crawl")
        yield* before(website)
        const host = new URL(website).hostname
        const site = sites.get(host)
        if (site === undefined || site === "refused") {
          return yield* new Crawler.CrawlerError({ reason: "RobotsDisallowed", url: website })
        }
        const emails = site.emails ?? []
        const page = new Crawler.Page({
          url: website,
          role: "home",
          status: 200,
          bytes: site.corpus.length,
          truncated: false,
          title: host,
          description: "",
          headings: [],
          text: site.corpus,
          signals: signals(emails)
        })
        return new Crawler.CrawlResult({
          website,
          finalUrl: website,
          pages: [page],
          corpus: site.corpus,
          corpusTruncated: false,
          signals: signals(emails),
          skipped: [],
          stats: new Crawler.CrawlStats({ requests: 1, pages: 1, refusedByRobots: 0, bytes: site.corpus.length, millis: 1 })
        })
      })
  })

// --- paid vendors -----------------------------------------------------------

/** One paid call of `units` of `name`, metered as the live adapters meter theirs (the doubles are built per run). */
const paid = <A, E>(
  budget: Budget.Service,
  name: string,
  units: number,
  call: Effect.Effect<A, E>,
  used?: (a: A) => number
) => Effect.provideService(Budget.metered(name, call, { units, used }), Budget.Budget, budget)

/**
 * Tavily: one search hit on the company's own domain (the query's second
 * word), and its text on extract. One `tavily.queries` unit per call.
 */
export const tavily = (calls: Calls): Layer.Layer<Tavily.Tavily, never, Budget.Budget> =>
  Layer.effect(
    Tavily.Tavily,
    Effect.map(Budget.Budget, (budget): Tavily.Service => ({
      search: (request) =>
        Effect.zipRight(
          calls.count("tavily.search"),
          paid(budget, Tavily.budget, 1, Effect.sync(() => {
            const domain = request.query.split(" ")[1] ?? "unknown.example"
            return new Tavily.SearchResponse({
              query: request.query,
              answer: `${domain} is a company.`,
              results: [
                new Tavily.SearchResult({
                  title: domain,
                  url: `https://${domain}/about`,
                  content: `About ${domain}.`,
                  score: 0.9,
                  rawContent: null
                })
              ],
              responseTimeSeconds: 0.1,
              credits: 1,
              requestId: `search-${domain}`
            })
          }))
        ),
      extract: (request) =>
        Effect.zipRight(
          calls.count("tavily.extract"),
          paid(budget, Tavily.budget, 1, Effect.succeed(new Tavily.ExtractResponse({
            results: request.urls.map((url) => ({ url, rawContent: `The page ${url}.` })),
            failed: [],
            credits: 1,
            requestId: "extract"
          })))
        )
    }))
  )

/** The people the {@link lusha} double knows at every domain: one valid address, one that bounces. */
export const people = [
  { local: "ada", fullName: "Ada Lovelace", jobTitle: "CEO" },
  { local: "bob.bounce", fullName: "Bob Bounce", jobTitle: "CTO" }
] as const

/**
 * Lusha: {@link people} at every domain; domains in `failing` fail with
 * `Unauthorized(401)` (the set is the test's: change it between runs).
 * Costs one `lusha.lookups` unit per contact.
 */
export const lusha = (
  calls: Calls,
  failing: ReadonlySet<string> = new Set()
): Layer.Layer<Lusha.Lusha, never, Budget.Budget> =>
  Layer.effect(
    Lusha.Lusha,
    Effect.map(Budget.Budget, (budget): Lusha.Service => {
      const contactsAt = (domain: string, limit: number) =>
        people.slice(0, limit).map((p) =>
          new Lusha.Contact({
            lushaId: `${p.local}@${domain}`,
            fullName: p.fullName,
            jobTitle: p.jobTitle,
            departments: [],
            emails: [{ email: `${p.local}@${domain}`, type: "work" }],
            phones: [],
            companyDomain: domain
          })
        )
      const find = (search: Lusha.ContactSearch): Effect.Effect<ReadonlyArray<Lusha.Contact>, Lusha.LushaError | Budget.BudgetExhausted> =>
        failing.has(search.domain)
          ? Effect.fail(new Lusha.LushaError({ reason: "Unauthorized", status: 401, detail: "Invalid API key", charged: false }))
          : paid(budget, Lusha.budget, search.limit ?? 10, Effect.sync(() => contactsAt(search.domain, search.limit ?? 10)), (found) =>
            found.length)
      return {
        findContacts: (search) => Effect.zipRight(calls.count("lusha.findContacts"), Effect.suspend(() => find(search))),
        lookupPerson: () => Effect.as(calls.count("lusha.lookupPerson"), Option.none()),
        lookupPeople: (queries) => Effect.as(calls.count("lusha.lookupPeople"), queries.map(() => Option.none()))
      }
    })
  )

/** The verdict the {@link zeroBounce} double gives: addresses whose local part says "bounce" are invalid. */
export const statusOf = (email: string): ZeroBounce.Status => (email.split("@")[0]!.includes("bounce") ? "invalid" : "valid")

const verdict = (email: string) =>
  new ZeroBounce.Verdict({
    email: ZeroBounce.normalizeEmail(email),
    status: statusOf(email),
    subStatus: statusOf(email) === "valid" ? "" : "mailbox_not_found",
    freeEmail: false,
    didYouMean: null,
    mxFound: true,
    processedAt: "2026-01-01 00:00:00.000"
  })

/** ZeroBounce: verdicts by {@link statusOf}; one `zerobounce.verifications` unit per address. */
export const zeroBounce = (calls: Calls): Layer.Layer<ZeroBounce.ZeroBounce, never, Budget.Budget> =>
  Layer.effect(
    ZeroBounce.ZeroBounce,
    Effect.map(Budget.Budget, (budget): ZeroBounce.Service => ({
      verify: (email) => Effect.zipRight(calls.count("zerobounce.verify"), paid(budget, ZeroBounce.budget, 1, Effect.sync(() => verdict(email)))),
      verifyMany: (emails) =>
        Effect.zipRight(
          calls.count("zerobounce.verifyMany"),
          paid(
            budget,
            ZeroBounce.budget,
            emails.length,
            Effect.sync(() => new ZeroBounce.Verification({ verdicts: emails.map(verdict), rejected: [] }))
          )
        ),
      credits: Effect.as(calls.count("zerobounce.credits"), 1_000)
    }))
  )

/** Tokens the {@link llm} double charges per extraction and per rationale. */
export const tokens = { extract: 100, rationale: 50 } as const

const lineOf = (text: string, key: string): string | null => {
  const found = text.split("\n").find((l) => l.startsWith(`${key}: `))
  return found === undefined ? null : found.slice(key.length + 2).trim()
}

/**
 * The LLM: extraction reads the `Industry:` and `Country:` lines of the text
 * (decoded with the caller's Schema); rationales are templated. Draws
 * {@link tokens} from `openai.tokens`.
 */
export const llm = (calls: Calls): Layer.Layer<Llm.Llm, never, Budget.Budget> =>
  Layer.effect(
    Llm.Llm,
    Effect.map(Budget.Budget, (budget): Llm.Service => ({
      extract: (request) =>
        Effect.zipRight(
          calls.count("llm.extract"),
          paid(
            budget,
            Llm.tokenBudget,
            tokens.extract,
            Schema.decodeUnknown(request.schema)({
              industry: lineOf(request.text, "Industry") ?? "other",
              employees: null,
              country: lineOf(request.text, "Country"),
              city: null,
              products: [],
              technologies: [],
              description: null
            }).pipe(
              Effect.mapError((e) => new Llm.LlmError({ reason: "BadResponse", detail: e.message })),
              Effect.map((value) => ({
                value,
                model: "double",
                usage: new Llm.Usage({ promptTokens: tokens.extract - 10, completionTokens: 10, totalTokens: tokens.extract })
              }))
            )
          )
        ),
      rationale: (input) =>
        Effect.zipRight(
          calls.count("llm.rationale"),
          paid(budget, Llm.tokenBudget, tokens.rationale, Effect.succeed(new Llm.Rationale({
            summary: `Scored ${input.score}.`,
            strengths: [],
            concerns: [],
            cacheKey: `rationale:${input.icpRulesVersion}:${input.score}`,
            cached: false
          })))
        )
    }))
  )

// --- odoo -------------------------------------------------------------------

interface OdooRecord {
  readonly id: number
  fields: Record<string, unknown>
}

/** An Odoo double's records: companies by domain, contacts by email, leads by company id. */
export interface OdooRecords {
  readonly companies: Map<string, OdooRecord>
  readonly contacts: Map<string, OdooRecord & { readonly companyId: number }>
  readonly leads: Map<number, OdooRecord>
}

/** One tenant's Odoo double: the service and the records it keeps. */
export interface OdooDouble {
  readonly service: Odoo.Service
  readonly records: OdooRecords
  /** Domains whose export fails with `ServerError(500)` (the test's to change). */
  readonly failing: Set<string>
}

const defined = (fields: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined))

/**
 * An Odoo that keeps its records and answers as the real one does: a
 * record is `created` the first time, then `updated` with the fields that
 * differ, or `unchanged`. Calls are counted as `odoo.<method>`.
 */
export const odoo = (calls: Calls): OdooDouble => {
  let ids = 0
  const records: OdooRecords = { companies: new Map(), contacts: new Map(), leads: new Map() }
  const failing = new Set<string>()
  const upsert = <R extends OdooRecord>(
    found: R | undefined,
    fields: Record<string, unknown>,
    create: (record: OdooRecord) => void
  ): Odoo.Upserted => {
    const wanted = defined(fields)
    if (found === undefined) {
      const record = { id: ++ids, fields: wanted }
      create(record)
      return new Odoo.Upserted({ id: record.id, outcome: "created", fields: Object.keys(wanted).sort() })
    }
    const changed = Object.keys(wanted).filter((k) => found.fields[k] !== wanted[k]).sort()
    found.fields = { ...found.fields, ...wanted }
    return new Odoo.Upserted({ id: found.id, outcome: changed.length === 0 ? "unchanged" : "updated", fields: changed })
  }
  const company = (c: Odoo.Company) =>
    upsert(records.companies.get(c.domain), {
      name: c.name,
      website: c.website ?? `https://${c.domain}`,
      email: c.email,
      phone: c.phone,
      city: c.city
    }, (r) => records.companies.set(c.domain, r))
  const contact = (companyId: number, c: Odoo.Contact) =>
    upsert(records.contacts.get(c.email), { name: c.name, function: c.jobTitle, phone: c.phone, parent_id: companyId }, (r) =>
      records.contacts.set(c.email, { ...r, companyId }))
  const lead = (companyId: number, l: Odoo.Lead) =>
    upsert(records.leads.get(companyId), {
      name: l.name,
      probability: l.probability,
      expected_revenue: l.expectedRevenue,
      description: l.description
    }, (r) => records.leads.set(companyId, r))
  const refuse = (domain: string) =>
    failing.has(domain)
      ? Effect.fail(new Odoo.OdooError({ reason: "ServerError", status: 500, detail: "odoo is down" }))
      : Effect.void
  const service: Odoo.Service = {
    upsertCompany: (c) => Effect.zipRight(calls.count("odoo.upsertCompany"), Effect.sync(() => company(c))),
    upsertContact: (id, c) => Effect.zipRight(calls.count("odoo.upsertContact"), Effect.sync(() => contact(id, c))),
    upsertLead: (id, _c, l) => Effect.zipRight(calls.count("odoo.upsertLead"), Effect.sync(() => lead(id, l))),
    exportCompany: (input) =>
      Effect.gen(function*() {
        yield* calls.count("odoo.exportCompany")
        yield* refuse(input.company.domain)
        const done = company(input.company)
        return new Odoo.Exported({
          company: done,
          contacts: input.contacts.map((c) => ({ email: c.email, result: contact(done.id, c) })),
          ...(input.lead === undefined ? {} : { lead: lead(done.id, input.lead) })
        })
      }),
    serverVersion: Effect.as(calls.count("odoo.serverVersion"), "17.0")
  }
  return { service, records, failing }
}

/**
 * The connector: one {@link odoo} double per tenant (kept in `doubles`,
 * made on first connection); each connection counted as `odoo.connect`.
 */
export const connector = (
  calls: Calls,
  doubles: Map<Tenant.TenantId, OdooDouble>
): Layer.Layer<OdooConnector.OdooConnector> =>
  Layer.succeed(OdooConnector.OdooConnector, {
    connect: (tenantId) =>
      Layer.effect(
        Odoo.Odoo,
        Effect.zipRight(
          calls.count("odoo.connect"),
          Effect.sync(() => {
            let found = doubles.get(tenantId)
            if (found === undefined) doubles.set(tenantId, found = odoo(calls))
            return found.service
          })
        )
      )
  })
