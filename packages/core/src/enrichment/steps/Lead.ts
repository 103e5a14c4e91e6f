/**
 * The lead steps: score the company against the tenant's ICP rules (pure),
 * write a rationale (LLM, cached by features and rules), persist everything
 * in one tenant transaction, and export qualifying leads to Odoo with their
 * verified contacts only.
 *
 * @since 0.1.0
 */
import { Clock, Effect, Option, Schema } from "effect"
import * as Retry from "../../engine/Retry.js"
import type { Company } from "../Company.js"
import { CompanyInput } from "../Company.js"
import { ContactInput, Email } from "../Contact.js"
import type { CrawlResult } from "../Crawler.js"
import { FeatureValue } from "../Features.js"
import type { Firmographics } from "../Firmographics.js"
import { hashValue } from "../internal/hash.js"
import { LeadEmail } from "../LeadEmail.js"
import * as Llm from "../Llm.js"
import * as Odoo from "../Odoo.js"
import { ScoreValue } from "../Score.js"
import * as Scoring from "../Scoring.js"
import { Store } from "../Store.js"
import { addressesOf, type Checked, Contacts, type Person, Verify } from "./People.js"
import * as History from "../History.js"
import { Crawl, Extract, firmographicsOf } from "./Research.js"
import { RunContext, step } from "./RunContext.js"

/**
 * The features scoring reads, from everything the pipeline learned (see
 * {@link Scoring} for their names).
 *
 * @since 0.1.0
 * @category helpers
 */
export const featuresOf = (input: {
  readonly company: Company
  readonly crawl: Option.Option<CrawlResult>
  readonly firmographics: Option.Option<Firmographics>
  readonly people: Option.Option<ReadonlyArray<Person>>
  readonly checked: Option.Option<ReadonlyArray<Checked>>
}): Record<string, FeatureValue> => {
  const f = Option.getOrNull(input.firmographics)
  const crawl = Option.getOrNull(input.crawl)
  const checked = Option.getOrElse(input.checked, () => [])
  return {
    industry: f?.industry ?? input.company.industry,
    employee_count: f?.employeeCount ?? null,
    employee_range: f?.employeeRange ?? input.company.employeeRange,
    country: f?.country ?? input.company.country,
    city: f?.city ?? null,
    products: [...(f?.products ?? [])],
    technologies: [...(f?.technologies ?? [])],
    contacts: Option.match(input.people, { onNone: () => 0, onSome: (p) => p.length }),
    verified_emails: checked.filter((c) => c.status === "valid").length,
    has_website: crawl !== null && crawl.pages.length > 0,
    corpus_chars: crawl?.corpus.trim().length ?? 0,
    socials: [...new Set(crawl?.signals.socials.map((s) => s.network) ?? [])],
    source: f?.source ?? "signals"
  }
}

/**
 * The score step's output: the features and the scoring result.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Scored = Schema.Struct({
  features: Schema.Record({ key: Schema.String, value: FeatureValue }),
  result: Scoring.Result
})

/**
 * @since 0.1.0
 * @category models
 */
export type Scored = typeof Scored.Type

/**
 * `score`: features plus the tenant's active ICP rules give a score from 0
 * to 100 with each rule's contribution. Pure: no vendor, no budget.
 *
 * @since 0.1.0
 * @category steps
 */
export const Score = step("score", {
  needs: { crawl: Crawl, extract: Extract, contacts: Contacts, verify: Verify },
  output: Scored,
  description: "scores the lead against the ICP rules",
  run: ({ contacts, crawl, extract, target, verify }) =>
    Effect.map(RunContext, (ctx) => {
      const firmographics = firmographicsOf(target, crawl, extract)
      const features = featuresOf({ company: target, crawl, firmographics, people: contacts, checked: verify })
      return { features, result: Scoring.score(features, ctx.rules) }
    })
})

/**
 * The rationale's cache key: unchanged features under unchanged rules reuse
 * the rationale written before, without an LLM call.
 *
 * @since 0.1.0
 * @category helpers
 */
export const rationaleKey = (scored: Scored): string =>
  `rationale:${scored.result.rulesVersion}:${hashValue(scored.features)}`

/** The LLM's input for a scored lead. */
const rationaleInput = (scored: Scored): Llm.RationaleInput =>
  new Llm.RationaleInput({
    features: scored.features,
    score: scored.result.score,
    icpRulesVersion: scored.result.rulesVersion
  })

/**
 * `rationale`: a short text on why the lead scored as it did, from the LLM,
 * cached by {@link rationaleKey}. It draws from `openai.tokens` what the
 * request may cost at most (`Llm.extractTokens` of `Llm.rationaleRequest`)
 * and commits the tokens used (nothing for a rationale the LLM adapter had
 * kept). When it fails or the budget is spent, persistence writes a
 * template rationale instead. Its dry-run estimate: nothing when the
 * company's rationale under today's rules is cached, else one call over
 * its features as far as the company record gives them.
 *
 * @since 0.1.0
 * @category steps
 */
export const Rationale = step("rationale", {
  needs: { score: Score },
  output: Llm.Rationale,
  dependants: "absent",
  cacheKey: ({ score }) => rationaleKey(score),
  description: "writes the score rationale (LLM, cached)",
  budget: {
    name: Llm.tokenBudget,
    units: ({ score }) => Llm.extractTokens(Llm.rationaleRequest(rationaleInput(score))),
    metered: true,
    estimate: (target) =>
      Effect.map(History.seen(target), ({ known }) => {
        if (known?.rationaleCached === true) return { units: 0, calls: 0 }
        const features = featuresOf({
          company: target,
          crawl: Option.none(),
          firmographics: Option.none(),
          people: Option.none(),
          checked: Option.none()
        })
        const input = new Llm.RationaleInput({ features, score: 100, icpRulesVersion: "" })
        return { units: Llm.extractTokens(Llm.rationaleRequest(input)), calls: 1 }
      })
  },
  run: ({ score }) => Effect.flatMap(Llm.Llm, (llm) => llm.rationale(rationaleInput(score)))
})

/**
 * The rationale text stored and exported: the LLM's, or the template's.
 *
 * @since 0.1.0
 * @category helpers
 */
export const rationaleText = (scored: Scored, rationale: Option.Option<Llm.Rationale>): string =>
  Option.match(rationale, {
    onNone: () => Scoring.templateRationale(scored.result),
    onSome: (r) =>
      [
        r.summary,
        r.strengths.length === 0 ? "" : `Strengths: ${r.strengths.join("; ")}.`,
        r.concerns.length === 0 ? "" : `Concerns: ${r.concerns.join("; ")}.`
      ].filter((s) => s !== "").join(" ")
  })

const decodeContact = Schema.decodeUnknownOption(ContactInput)
const decodeEmail = Schema.decodeUnknownOption(LeadEmail)
const decodeCompany = Schema.decodeUnknownOption(CompanyInput)

/**
 * What persistence wrote.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Persisted = Schema.Struct({
  contacts: Schema.NonNegativeInt,
  emails: Schema.NonNegativeInt,
  score: ScoreValue,
  rationale: Schema.Literal("llm", "template")
})

/**
 * `persist`: the company's firmographics (filling blanks only), contacts,
 * emails with their verdicts, features and score, in one transaction of the
 * tenant (all or nothing). Rows that do not pass the store's schemas (an
 * address that is not an email, say) are left out.
 *
 * @since 0.1.0
 * @category steps
 */
export const Persist = step("persist", {
  needs: { crawl: Crawl, extract: Extract, contacts: Contacts, verify: Verify, score: Score, rationale: Rationale },
  output: Persisted,
  retry: Retry.schedule(),
  description: "writes the lead to the store",
  run: ({ contacts, crawl, extract, rationale, score, target, verify }) =>
    Effect.gen(function*() {
      const ctx = yield* RunContext
      const store = yield* Store
      const now = new Date(yield* Clock.currentTimeMillis)
      const f = Option.getOrNull(firmographicsOf(target, crawl, extract))
      const people = Option.getOrElse(contacts, () => [])
      const verdicts = new Map(Option.getOrElse(verify, () => []).map((c) => [c.email, c]))
      const company = decodeCompany({
        name: target.name,
        domain: target.domain,
        website: target.website,
        industry: target.industry ?? f?.industry ?? null,
        ssicCode: target.ssicCode,
        country: target.country ?? f?.country ?? null,
        employeeRange: target.employeeRange ?? f?.employeeRange ?? null,
        lastSeen: target.lastSeen
      })
      const contactRows = people.flatMap((p) =>
        Option.toArray(decodeContact({
          companyId: target.id,
          email: p.email,
          fullName: p.fullName,
          title: p.title,
          phone: p.phone,
          linkedinUrl: p.linkedinUrl,
          source: p.source
        }))
      )
      const emailRows = addressesOf(target.domain, people, crawl).flatMap(({ email, source }) => {
        const v = verdicts.get(email)
        return Option.toArray(decodeEmail({
          email,
          companyId: target.id,
          source,
          status: v?.status ?? null,
          subStatus: v?.subStatus ?? null,
          verifiedAt: v === undefined ? null : now
        }))
      })
      const text = rationaleText(score, rationale)
      yield* store.withTenant(ctx.tenantId, (s) =>
        Effect.all([
          Option.match(company, { onNone: () => Effect.void, onSome: (c) => s.companies.upsert([c]) }),
          s.leads.upsertContacts(contactRows),
          s.leads.upsertEmails(emailRows),
          s.leads.upsertFeatures([{ companyId: target.id, features: score.features }]),
          s.leads.upsertScores([{
            companyId: target.id,
            score: score.result.score,
            bucket: score.result.bucket,
            rationale: text,
            runId: ctx.runId,
            scoredAt: now
          }])
        ], { discard: true }))
      return {
        contacts: contactRows.length,
        emails: emailRows.length,
        score: score.result.score,
        rationale: Option.isSome(rationale) ? "llm" as const : "template" as const
      }
    })
})

/**
 * The Odoo contacts of a lead: only people whose email ZeroBounce called
 * `valid`. This is the gate every export goes through; an address that was
 * not verified, or not verified valid, never reaches Odoo.
 *
 * @since 0.1.0
 * @category helpers
 */
export const verifiedContacts = (
  people: ReadonlyArray<Person>,
  checked: ReadonlyArray<Checked>
): ReadonlyArray<Odoo.Contact> => {
  const valid = new Set(checked.filter((c) => c.status === "valid").map((c) => c.email))
  const seen = new Set<string>()
  return people.flatMap((p) => {
    if (p.email === null || !valid.has(p.email) || seen.has(p.email) || p.fullName.trim() === "") return []
    const email = Schema.decodeUnknownOption(Email)(p.email)
    if (Option.isNone(email)) return []
    seen.add(p.email)
    return [
      new Odoo.Contact({
        email: email.value,
        name: p.fullName.trim(),
        ...(p.title === null ? {} : { jobTitle: p.title }),
        ...(p.phone === null ? {} : { phone: p.phone })
      })
    ]
  })
}

/**
 * What the export did.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ExportResult = Schema.Struct({
  exported: Schema.Boolean,
  reason: Schema.NullOr(Schema.String),
  contacts: Schema.NonNegativeInt,
  company: Schema.NullOr(Odoo.Outcome),
  lead: Schema.NullOr(Odoo.Outcome)
})

/**
 * @since 0.1.0
 * @category models
 */
export type ExportResult = typeof ExportResult.Type

/**
 * `export`: a lead at or above `scoreMinExport` goes to the tenant's Odoo as
 * a company, its verified contacts ({@link verifiedContacts}) and, when the
 * run context's `createLeads` is on (the default), one lead, through
 * idempotent upserts. With `createLeads` off no lead is sent, so none is
 * created or updated. Runs after `persist`, so nothing is exported that was
 * not stored.
 *
 * @since 0.1.0
 * @category steps
 */
export const Export = step("export", {
  needs: { persist: Persist, score: Score, contacts: Contacts, verify: Verify, rationale: Rationale, crawl: Crawl },
  output: ExportResult,
  description: "exports qualifying leads to Odoo (verified emails only)",
  run: ({ contacts, crawl, rationale, score, target, verify }) =>
    Effect.gen(function*() {
      const ctx = yield* RunContext
      const skip = (reason: string): ExportResult => ({ exported: false, reason, contacts: 0, company: null, lead: null })
      if (!ctx.exportToOdoo) return skip("export disabled")
      if (score.result.score < ctx.scoreMinExport) {
        return skip(`score ${score.result.score} below ${ctx.scoreMinExport}`)
      }
      const checked = Option.getOrElse(verify, () => [])
      const people = verifiedContacts(Option.getOrElse(contacts, () => []), checked)
      const site = Option.getOrNull(crawl)
      const siteEmail = checked.find((c) => c.source === "crawl" && c.status === "valid")?.email
      const phone = site?.signals.phones[0]
      const odoo = yield* Odoo.Odoo
      const done = yield* odoo.exportCompany(
        new Odoo.Export({
          company: new Odoo.Company({
            domain: target.domain,
            name: target.name,
            website: target.website ?? `https://${target.domain}`,
            ...(siteEmail === undefined ? {} : { email: siteEmail }),
            ...(phone === undefined ? {} : { phone })
          }),
          contacts: people,
          ...(ctx.createLeads
            ? {
              lead: new Odoo.Lead({
                name: `${target.name} (leadgraph)`,
                probability: score.result.score,
                description: rationaleText(score, rationale)
              })
            }
            : {})
        })
      )
      return {
        exported: true,
        reason: null,
        contacts: done.contacts.length,
        company: done.company.outcome,
        lead: done.lead?.outcome ?? null
      }
    })
})
