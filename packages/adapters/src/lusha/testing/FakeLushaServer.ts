/**
 * A fake Lusha on 127.0.0.1 speaking Lusha's v2 wire format: `GET /v2/person`
 * (single), `POST /v2/person` (bulk, at most 100, keyed by `contactId`),
 * `POST /prospecting/contact/search` then `/prospecting/contact/enrich`
 * (enrich requires the search's `requestId`), and `GET /account/usage`.
 * It requires the `api_key` header, answers errors as
 * `{"statusCode":..,"message":..}` (400, 401, 402 when credits are spent,
 * 403 for reveal flags off the Unified Credits plan, 429 without
 * `Retry-After`; minute, hour and day windows), sends the nine `x-*`
 * rate-limit headers on every answer,
 * and charges one credit per contact returned (a miss is `EMPTY_DATA` and
 * free), counting per contact how often it was charged (`charges`), also
 * for answers it then cut short or never sent (the shared fault knobs).
 * Contacts are deterministic by seed and company domain.
 *
 * @since 0.1.0
 */
import { Clock, Effect, Ref, type Scope } from "effect"
import * as FakeServer from "../../internal/testing/FakeServer.js"
import type * as FakeVendor from "../../testing/FakeVendor.js"
import * as Prng from "../../internal/testing/Prng.js"
import * as LushaData from "./LushaData.js"

/**
 * Knobs of the fake: the shared ones, plus whether the account is on the
 * Unified Credits plan (reveal flags allowed; default false) and the HTTP
 * status of an `EMPTY_DATA` miss (200 by default; 404 is also documented).
 *
 * @since 0.1.0
 * @category models
 */
export interface Knobs extends FakeVendor.Knobs {
  readonly unifiedCredits: boolean
  readonly emptyDataStatus: 200 | 404
  /**
   * Requests per clock hour and per day (Lusha's plans limit all three
   * windows; `rateLimit` is the minute window). Over either: 429. Unset: no
   * limit, and the headers report six and sixty times the minute limit.
   */
  readonly hourlyLimit?: number | undefined
  readonly dailyLimit?: number | undefined
  /**
   * Whether a 401 echoes the masked tail of the key it got
   * (`"Invalid API key: ****9f3a"`). Unconfirmed for the real API; off by
   * default.
   */
  readonly echoKey?: boolean | undefined
}

/**
 * A running fake Lusha.
 *
 * @since 0.1.0
 * @category models
 */
export interface FakeLushaServer extends FakeVendor.Server {
  readonly apiKey: string
  /** Times each contact (a person id, or a prospect id for an enrich) was charged for. */
  readonly charges: Effect.Effect<ReadonlyMap<string, number>>
}

type Json = Record<string, unknown>
const isObject = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)
const str = (u: unknown): string | undefined => (typeof u === "string" && u.trim() !== "" ? u.trim() : undefined)

const fail = (statusCode: number, message: string): FakeServer.FakeResponse => ({
  status: statusCode,
  body: { statusCode, message }
})

const emptyData = { code: 3, name: "EMPTY_DATA", message: "Could not find requested data" }

type Lookup = { readonly _tag: "Invalid"; readonly message: string } | { readonly _tag: "Found"; readonly person: LushaData.WirePerson | undefined }

// Lusha's identifier rules: personId, email, linkedinUrl, or first + last name + company.
const lookup = (seed: number, q: Json): Lookup => {
  const email = str(q.email)
  const linkedin = str(q.linkedinUrl)
  const domain = str(q.companyDomain)?.toLowerCase() ?? str(q.fqdn)?.toLowerCase()
  const first = str(q.firstName)
  const last = str(q.lastName)
  if (email !== undefined) {
    const at = email.toLowerCase().split("@")[1]
    return { _tag: "Found", person: at === undefined ? undefined : LushaData.contactsAt(seed, at).find((p) => p.emailAddresses.some((e) => e.email === email.toLowerCase())) }
  }
  if (linkedin !== undefined) return { _tag: "Found", person: undefined }
  if (str(q.personId) !== undefined || typeof q.personId === "number") return { _tag: "Found", person: undefined }
  if (first !== undefined && last !== undefined && (domain !== undefined || str(q.companyName) !== undefined)) {
    if (domain === undefined) return { _tag: "Found", person: undefined }
    const known = LushaData.contactsAt(seed, domain).find((p) =>
      p.firstName.toLowerCase() === first.toLowerCase() && p.lastName.toLowerCase() === last.toLowerCase()
    )
    if (known !== undefined) return { _tag: "Found", person: known }
    return { _tag: "Found", person: LushaData.knowsStranger(seed, domain, first, last) ? LushaData.person(seed, domain, first, last) : undefined }
  }
  return { _tag: "Invalid", message: "One of personId, email, linkedinUrl or firstName + lastName + companyName/companyDomain is required" }
}

/** The masked tail of a key, as a vendor that echoes it would show it. */
const maskedTail = (key: string) => `****${key.slice(-4)}`

const makeVendor = (
  knobs: Partial<Knobs> | undefined,
  searches: Ref.Ref<ReadonlyMap<string, ReadonlyMap<string, LushaData.WirePerson>>>,
  charges: Ref.Ref<ReadonlyMap<string, number>>
): FakeServer.Vendor => {
  // Spends one credit per contact and counts it against the contact; false when the balance is short.
  const charge = (ctx: FakeServer.RouteContext, ids: ReadonlyArray<string>) =>
    ids.length === 0 ? Effect.succeed(true) : Effect.tap(ctx.spend(ids.length), (ok) =>
      ok
        ? Ref.update(charges, (m) => {
          const next = new Map(m)
          for (const id of ids) next.set(id, (next.get(id) ?? 0) + 1)
          return next
        })
        : Effect.void)
  const unified = knobs?.unifiedCredits ?? false
  const emptyStatus = knobs?.emptyDataStatus ?? 200
  const revealForbidden = (flags: Json) =>
    !unified && (flags.revealEmails === true || flags.revealEmails === "true" || flags.revealPhones === true || flags.revealPhones === "true")

  const getPerson: FakeServer.Route = (request, ctx) =>
    Effect.gen(function*() {
      if (revealForbidden(request.query)) return fail(403, "Reveal flags are available on the Unified Credits plan only")
      const found = lookup(ctx.seed, request.query)
      if (found._tag === "Invalid") return fail(400, found.message)
      if (found.person === undefined) {
        return { status: emptyStatus, body: { contact: { error: emptyData, isCreditCharged: false, data: null } } }
      }
      if (!(yield* charge(ctx, [String(found.person.personId)]))) return fail(402, "Insufficient credits")
      return { status: 200, body: { contact: { error: null, isCreditCharged: true, data: found.person } } }
    })

  const bulkPerson: FakeServer.Route = (request, ctx) =>
    Effect.gen(function*() {
      const body = request.body
      if (!isObject(body) || !Array.isArray(body.contacts)) return fail(400, "contacts is required")
      if (body.contacts.length === 0 || body.contacts.length > 100) return fail(400, "contacts must hold 1 to 100 items")
      if (isObject(body.metadata) && revealForbidden(body.metadata)) {
        return fail(403, "Reveal flags are available on the Unified Credits plan only")
      }
      const items: Array<readonly [string, Lookup]> = []
      for (const c of body.contacts) {
        if (!isObject(c) || str(c.contactId) === undefined) return fail(400, "Every contact needs a contactId")
        const company = Array.isArray(c.companies) ? c.companies.find(isObject) : undefined
        const [first, ...rest] = (str(c.fullName) ?? "").split(/\s+/)
        const q: Json = { ...c, firstName: first, lastName: rest.join(" "), companyDomain: company?.domain, companyName: company?.name }
        items.push([String(c.contactId), lookup(ctx.seed, q)])
      }
      const invalid = items.find(([, l]) => l._tag === "Invalid")
      if (invalid !== undefined && invalid[1]._tag === "Invalid") return fail(400, `${invalid[0]}: ${invalid[1].message}`)
      const hits = items.flatMap(([, l]) => l._tag === "Found" && l.person !== undefined ? [String(l.person.personId)] : [])
      if (!(yield* charge(ctx, hits))) return fail(402, "Insufficient credits")
      const contacts: Json = {}
      const companies: Json = {}
      for (const [id, l] of items) {
        const person = l._tag === "Found" ? l.person : undefined
        contacts[id] = person === undefined
          ? { error: emptyData, isCreditCharged: false, data: null }
          : { error: null, isCreditCharged: true, data: person }
        if (person !== undefined) companies[String(person.companyId)] = { name: person.company.name, domains: { homepage: person.company.fqdn } }
      }
      return { status: 200, body: { contacts, companies } }
    })

  const search: FakeServer.Route = (request, ctx) =>
    Effect.gen(function*() {
      const body = request.body
      if (!isObject(body)) return fail(400, "Invalid body")
      const pages = isObject(body.pages) ? body.pages : {}
      const page = pages.page ?? 0
      const size = pages.size ?? 20
      if (typeof page !== "number" || page < 0 || page > 1000 || typeof size !== "number" || size < 10 || size > 50) {
        return fail(400, "pages.page must be 0-1000 and pages.size 10-50")
      }
      const filters = isObject(body.filters) ? body.filters : {}
      const companyInclude = isObject(filters.companies) && isObject(filters.companies.include) ? filters.companies.include : {}
      const contactInclude = isObject(filters.contacts) && isObject(filters.contacts.include) ? filters.contacts.include : {}
      const domains = Array.isArray(companyInclude.domains) ? companyInclude.domains.filter((d): d is string => typeof d === "string") : []
      if (domains.length === 0) return fail(400, "At least one company filter is required")
      const wanted = (values: unknown) => (Array.isArray(values) ? values.map((v) => String(v).toLowerCase()) : undefined)
      const seniorities = wanted(contactInclude.seniority)
      const departments = wanted(contactInclude.departments)
      const all = domains.flatMap((d) => LushaData.contactsAt(ctx.seed, d.toLowerCase())).filter((p) =>
        (seniorities === undefined || seniorities.includes(p.jobTitle.seniority.toLowerCase())) &&
        (departments === undefined || p.jobTitle.departments.some((d) => departments.includes(d.toLowerCase())))
      )
      const shown = all.slice(page * size, page * size + size)
      const requestId = Prng.uuid(Prng.make(Math.floor((yield* ctx.random) * 2 ** 31)))
      yield* Ref.update(searches, (m) => new Map(m).set(requestId, new Map(shown.map((p) => [LushaData.prospectIdOf(ctx.seed, p), p]))))
      return {
        status: 200,
        body: {
          requestId,
          currentPage: page,
          pageLength: shown.length,
          totalResults: all.length,
          contacts: shown.map((p) => ({
            contactId: LushaData.prospectIdOf(ctx.seed, p),
            isShown: true,
            name: p.fullName,
            jobTitle: p.jobTitle.title,
            companyId: p.companyId,
            companyName: p.company.name,
            fqdn: p.company.fqdn,
            hasEmails: p.emailAddresses.length > 0,
            hasWorkEmail: p.emailAddresses.some((e) => e.emailType === "work"),
            hasPhones: p.phoneNumbers.length > 0,
            hasMobilePhone: p.phoneNumbers.some((n) => n.phoneType === "Mobile"),
            signalTypes: []
          }))
        }
      }
    })

  const enrich: FakeServer.Route = (request, ctx) =>
    Effect.gen(function*() {
      const body = request.body
      if (!isObject(body) || str(body.requestId) === undefined || !Array.isArray(body.contactIds)) {
        return fail(400, "requestId and contactIds are required")
      }
      if (body.contactIds.length === 0 || body.contactIds.length > 100) return fail(400, "contactIds must hold 1 to 100 ids")
      if (revealForbidden(body)) return fail(403, "Reveal flags are available on the Unified Credits plan only")
      const found = (yield* Ref.get(searches)).get(String(body.requestId))
      if (found === undefined) return fail(400, "Unknown requestId: run a search first")
      const ids = body.contactIds.map(String)
      if (!(yield* charge(ctx, ids.filter((id) => found.has(id))))) return fail(402, "Insufficient credits")
      return {
        status: 200,
        body: {
          requestId: body.requestId,
          contacts: ids.map((id) => {
            const p = found.get(id)
            return p === undefined ? { id, isSuccess: false } : {
              id,
              isSuccess: true,
              data: {
                firstName: p.firstName,
                lastName: p.lastName,
                fullName: p.fullName,
                jobTitle: p.jobTitle.title,
                emailAddresses: p.emailAddresses,
                phoneNumbers: p.phoneNumbers,
                companyId: p.companyId,
                companyName: p.company.name,
                socialLinks: p.socialLinks,
                departments: p.jobTitle.departments,
                seniority: [p.jobTitle.seniority],
                company: p.company
              }
            }
          })
        }
      }
    })

  const usage: FakeServer.Route = (_request, ctx) =>
    Effect.gen(function*() {
      const balance = yield* ctx.balance
      const total = knobs?.credits ?? 1_000_000
      const remaining = balance ?? total
      return { status: 200, body: { usage: { bulkCredits: { used: total - remaining, total, remaining } } } }
    })

  // The hour and day windows (the shared server keeps the minute window).
  const windows = { hour: { start: 0, used: 0 }, day: { start: 0, used: 0 } }
  const roll = (w: { start: number; used: number }, now: number, size: number) => {
    const start = now - (now % size)
    if (w.start !== start) {
      w.start = start
      w.used = 0
    }
  }
  const limited = (route: FakeServer.Route): FakeServer.Route => (request, context) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => {
      roll(windows.hour, now, 3_600_000)
      roll(windows.day, now, 86_400_000)
      if (knobs?.hourlyLimit !== undefined && windows.hour.used >= knobs.hourlyLimit) {
        return Effect.succeed(fail(429, "Hourly rate limit exceeded"))
      }
      if (knobs?.dailyLimit !== undefined && windows.day.used >= knobs.dailyLimit) {
        return Effect.succeed(fail(429, "Daily rate limit exceeded"))
      }
      windows.hour.used++
      windows.day.used++
      return route(request, context)
    })

  return {
    name: "Lusha",
    routes: {
      "GET /v2/person": limited(getPerson),
      "POST /v2/person": limited(bulkPerson),
      "POST /prospecting/contact/search": limited(search),
      "POST /prospecting/contact/enrich": limited(enrich),
      "GET /account/usage": limited(usage)
    },
    authorize: (request, apiKey) => request.headers["api_key"] === apiKey,
    unauthorized: (request) => {
      const given = request.headers["api_key"] ?? ""
      return fail(401, knobs?.echoKey === true && given !== "" ? `Invalid API key: ${maskedTail(given)}` : "Invalid API key")
    },
    rateLimited: () => fail(429, "Rate limit exceeded"),
    serverError: () => fail(500, "Internal server error"),
    notFound: () => fail(404, "Not found"),
    decorate: (response, window) => {
      const minute = window.limit ?? 300
      const rate = (name: string, limit: number, used: number) => ({
        [`x-rate-limit-${name}`]: String(limit),
        [`x-${name}-requests-left`]: String(Math.max(0, limit - Math.min(used, limit))),
        [`x-${name}-usage`]: String(Math.min(used, limit))
      })
      return {
        ...response,
        headers: {
          ...rate("minute", minute, window.used),
          ...rate("hourly", knobs?.hourlyLimit ?? minute * 6, windows.hour.used),
          ...rate("daily", knobs?.dailyLimit ?? minute * 60, windows.day.used),
          ...response.headers
        }
      }
    }
  }
}

/**
 * Starts a fake Lusha; it stops when the scope closes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (knobs?: Partial<Knobs>): Effect.Effect<FakeLushaServer, never, Scope.Scope> =>
  Effect.gen(function*() {
    const searches = yield* Ref.make<ReadonlyMap<string, ReadonlyMap<string, LushaData.WirePerson>>>(new Map())
    const charges = yield* Ref.make<ReadonlyMap<string, number>>(new Map())
    const server = yield* FakeServer.make({ vendor: makeVendor(knobs, searches, charges), knobs })
    return { ...server, apiKey: knobs?.apiKey ?? FakeServer.defaults.apiKey, charges: Ref.get(charges) }
  })
