/**
 * The people steps: find a company's contacts with Lusha, and verify the
 * email addresses not verified before with ZeroBounce (cached verdicts are
 * reused, never paid for twice).
 *
 * @since 0.1.0
 */
import { Effect, Option, Schema } from "effect"
import * as Retry from "../../engine/Retry.js"
import { CrawlResult } from "../Crawler.js"
import * as History from "../History.js"
import * as Lusha from "../Lusha.js"
import { VerificationCache } from "../VerificationCache.js"
import * as ZeroBounce from "../ZeroBounce.js"
import { normalizeEmail } from "../ZeroBounce.js"
import { VerificationStatus } from "../LeadEmail.js"
import { Crawl } from "./Research.js"
import * as RunContext from "./RunContext.js"
import { step } from "./RunContext.js"

/**
 * A contact as the pipeline keeps it: one person, their work email (if
 * any), title, phone and profile.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Person = Schema.Struct({
  fullName: Schema.String,
  email: Schema.NullOr(Schema.String),
  title: Schema.NullOr(Schema.String),
  phone: Schema.NullOr(Schema.String),
  linkedinUrl: Schema.NullOr(Schema.String),
  source: Schema.String
})

/**
 * @since 0.1.0
 * @category models
 */
export type Person = typeof Person.Type

/**
 * `contacts`: up to `contactsPerCompany` people at the company's domain from
 * Lusha. It draws `contactsPerCompany` units of `lusha.lookups` and commits
 * the contacts Lusha charged for (exhausted, the step is skipped); one
 * call, estimated at that many units.
 *
 * @since 0.1.0
 * @category steps
 */
export const Contacts = step("contacts", {
  output: Schema.Array(Person),
  dependants: "absent",
  description: "finds contacts (Lusha)",
  budget: {
    name: Lusha.budget,
    units: ({ target: _ }) => Effect.map(RunContext.RunContext, (ctx) => ctx.contactsPerCompany),
    metered: true,
    estimate: (target) => Effect.map(History.seen(target), ({ knobs }) => ({ units: knobs.contactsPerCompany, calls: 1 }))
  },
  run: ({ target }) =>
    Effect.gen(function*() {
      const ctx = yield* RunContext.RunContext
      const lusha = yield* Lusha.Lusha
      const found = yield* lusha.findContacts({ domain: target.domain, limit: ctx.contactsPerCompany })
      return found.map((c): Person => {
        const email = c.emails.find((e) => e.type === "work") ?? c.emails[0]
        const phone = c.phones.find((p) => !p.doNotCall)
        return {
          fullName: c.fullName,
          email: email === undefined ? null : normalizeEmail(email.email),
          title: c.jobTitle ?? null,
          phone: phone?.number ?? null,
          linkedinUrl: c.linkedinUrl ?? null,
          source: "lusha"
        }
      })
    })
})

/**
 * One address and its verdict.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Checked = Schema.Struct({
  email: Schema.String,
  source: Schema.Literal("lusha", "crawl"),
  status: VerificationStatus,
  subStatus: Schema.String,
  cached: Schema.Boolean
})

/**
 * @since 0.1.0
 * @category models
 */
export type Checked = typeof Checked.Type

/**
 * Addresses taken from the company's own site, at most (the first ones the
 * crawl found: its contact mailboxes).
 *
 * @since 0.1.0
 * @category constants
 */
export const siteAddresses = 3

/**
 * Addresses a company may give at most when nothing is known of it: one per
 * contact and {@link siteAddresses} from its site.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultAddresses = (knobs: Pick<History.Knobs, "contactsPerCompany"> = RunContext.defaults): number =>
  knobs.contactsPerCompany + siteAddresses

/**
 * The addresses worth verifying: the contacts' emails, and up to
 * {@link siteAddresses} addresses the crawl found on the company's own
 * domain; normalised, each once.
 *
 * @since 0.1.0
 * @category helpers
 */
export const addressesOf = (
  domain: string,
  people: ReadonlyArray<Person>,
  crawl: Option.Option<CrawlResult>
): ReadonlyArray<{ readonly email: string; readonly source: "lusha" | "crawl" }> => {
  const out = new Map<string, "lusha" | "crawl">()
  for (const p of people) if (p.email !== null) out.set(normalizeEmail(p.email), "lusha")
  const found = Option.match(crawl, { onNone: () => [], onSome: (c) => c.signals.emails })
  let fromSite = 0
  for (const e of found) {
    const email = normalizeEmail(e)
    if (fromSite === siteAddresses) break
    if (email.endsWith(`@${domain}`) && !out.has(email)) {
      out.set(email, "crawl")
      fromSite++
    }
  }
  return [...out].map(([email, source]) => ({ email, source }))
}

/**
 * `verify`: verdicts for the contacts' and the site's addresses. Verdicts in
 * the verification cache are reused; only the others go to ZeroBounce in one
 * `verifyMany` (the adapter sends them one by one, or in a batch above
 * `ZeroBounce.singleVerificationLimit`), and are cached. Addresses
 * ZeroBounce refused stay unverified.
 *
 * It draws one unit of `zerobounce.verifications` per address with no
 * cached verdict, and commits the verdicts ZeroBounce charged for. Its
 * dry-run estimate: a known company's unverified addresses, else the
 * tenant's average, else {@link defaultAddresses}; one call each, or one
 * batch above the single-validation limit.
 *
 * @since 0.1.0
 * @category steps
 */
export const Verify = step("verify", {
  needs: { contacts: Contacts, crawl: Crawl },
  output: Schema.Array(Checked),
  dependants: "absent",
  retry: Retry.schedule(),
  description: "verifies new email addresses (ZeroBounce)",
  budget: {
    name: ZeroBounce.budget,
    units: ({ contacts, crawl, target }) => {
      const addresses = addressesOf(target.domain, Option.getOrElse(contacts, () => []), crawl)
      if (addresses.length === 0) return 0
      // a cache that cannot be read leaves every address to verify (the step's own read will say)
      return Effect.flatMap(VerificationCache, (cache) => cache.getMany(addresses.map((a) => a.email))).pipe(
        Effect.map((known) => addresses.filter((a) => !known.has(a.email)).length),
        Effect.orElseSucceed(() => addresses.length)
      )
    },
    metered: true,
    estimate: (target) =>
      Effect.map(History.seen(target), ({ averages, knobs, known }) => {
        const addresses = known !== undefined
          ? known.unverified
          : averages !== undefined
          ? averages.addresses
          : defaultAddresses(knobs)
        return { units: addresses, calls: addresses > ZeroBounce.singleVerificationLimit ? 1 : addresses }
      })
  },
  run: ({ contacts, crawl, target }) =>
    Effect.gen(function*() {
      const addresses = addressesOf(target.domain, Option.getOrElse(contacts, () => []), crawl)
      if (addresses.length === 0) return []
      const cache = yield* VerificationCache
      const known = yield* cache.getMany(addresses.map((a) => a.email))
      const fresh = addresses.filter((a) => !known.has(a.email))
      const verdicts = new Map([...known].map(([email, v]) => [email, { verdict: v, cached: true }]))
      if (fresh.length > 0) {
        const zb = yield* ZeroBounce.ZeroBounce
        const { rejected, verdicts: found } = yield* zb.verifyMany(fresh.map((a) => a.email))
        if (rejected.length > 0) {
          yield* Effect.logWarning(`${rejected.length} address(es) left unverified: ${rejected[0]!.error}`)
        }
        yield* cache.putMany(found)
        for (const v of found) verdicts.set(normalizeEmail(v.email), { verdict: v, cached: false })
      }
      return addresses.flatMap(({ email, source }): Array<Checked> => {
        const v = verdicts.get(email)
        return v === undefined
          ? []
          : [{ email, source, status: v.verdict.status, subStatus: v.verdict.subStatus, cached: v.cached }]
      })
    })
})
