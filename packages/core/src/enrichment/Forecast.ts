/**
 * Dry-run forecasts: the vendor calls a run of the enrichment graph would
 * make, from the engine's plan and what the store already knows.
 *
 * - A company enriched before is forecast from its own record: a corpus that
 *   was thin means a web search again; its addresses without a cached
 *   verdict are verified again; its rationale costs nothing when its stored
 *   features, scored under today's rules, give a cache key already cached.
 * - A company never enriched is forecast at the tenant's averages over its
 *   most recently enriched companies (share of thin sites, addresses per
 *   company).
 * - With no history at all, at defaults: a web search only for a company
 *   without a website, and every address Lusha and the site may give
 *   ({@link defaultAddresses}), an upper bound.
 *
 * What only the run can tell (a site that changed, new contacts) makes the
 * real spend differ; {@link Forecast.basis} says how many companies each
 * way was used for.
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"
import type { CheckpointError } from "../engine/Checkpoint.js"
import { Checkpoint } from "../engine/Checkpoint.js"
import type * as Engine from "../engine/Engine.js"
import type { Company, CompanyId } from "./Company.js"
import type { FeatureValue } from "./Features.js"
import type { IcpRule } from "./IcpRule.js"
import * as Llm from "./Llm.js"
import * as Lusha from "./Lusha.js"
import * as Scoring from "./Scoring.js"
import { rationaleKey } from "./steps/Lead.js"
import { siteAddresses } from "./steps/People.js"
import { searchCallsWhenThin } from "./steps/Research.js"
import * as RunContext from "./steps/RunContext.js"
import type { StoreError, TenantStore } from "./Store.js"
import * as Tavily from "./Tavily.js"
import type { VerificationCacheError } from "./VerificationCache.js"
import { VerificationCache } from "./VerificationCache.js"
import * as ZeroBounce from "./ZeroBounce.js"

/**
 * The paid vendors a run spends on.
 *
 * @since 0.1.0
 * @category models
 */
export type Vendor = "tavily" | "openai" | "lusha" | "zerobounce"

/**
 * A vendor's forecast: expected HTTP calls (Tavily searches and extracts,
 * LLM completions, Lusha contact searches, ZeroBounce validations or
 * batches), and the budget units those calls may draw at most (queries,
 * tokens, lookups, verifications).
 *
 * @since 0.1.0
 * @category models
 */
export interface VendorForecast {
  readonly budget: string
  readonly calls: number
  readonly maxUnits: number
}

/**
 * A run's forecast, and how many of its companies were forecast from their
 * own record (`known`), at the tenant's averages (`averaged`) or at
 * defaults (`defaulted`).
 *
 * @since 0.1.0
 * @category models
 */
export interface Forecast {
  readonly vendors: Record<Vendor, VendorForecast>
  readonly basis: { readonly known: number; readonly averaged: number; readonly defaulted: number }
}

/**
 * What the store knows of one company enriched before.
 *
 * @since 0.1.0
 * @category models
 */
export interface Known {
  /** Its corpus was too thin to extract from (or its crawl failed). */
  readonly thin: boolean
  /** Its addresses with no cached verdict now. */
  readonly unverified: number
  /** Its rationale under today's rules is cached. */
  readonly rationaleCached: boolean
}

/**
 * The tenant's averages over its most recently enriched companies.
 *
 * @since 0.1.0
 * @category models
 */
export interface Averages {
  /** Companies the averages are taken over. */
  readonly sample: number
  /** Share of them whose corpus was thin. */
  readonly thinShare: number
  /** Addresses found per company (contacts' and the site's). */
  readonly addresses: number
}

/**
 * What a forecast knows beyond the plan.
 *
 * @since 0.1.0
 * @category models
 */
export interface History {
  readonly known: ReadonlyMap<CompanyId, Known>
  readonly averages: Option.Option<Averages>
}

/**
 * No history: every company is forecast at defaults.
 *
 * @since 0.1.0
 * @category constructors
 */
export const noHistory: History = { known: new Map(), averages: Option.none() }

/**
 * What a forecast needs to know of the run's knobs.
 *
 * @since 0.1.0
 * @category models
 */
export type Options = Pick<RunContext.Service, "contactsPerCompany" | "corpusCharLimit" | "thinCorpusChars">

/**
 * Addresses a company may give at most when nothing is known of it: one per
 * contact and {@link siteAddresses} from its site.
 *
 * @since 0.1.0
 * @category forecasts
 */
export const defaultAddresses = (options?: Partial<Options>): number =>
  (options?.contactsPerCompany ?? RunContext.defaults.contactsPerCompany) + siteAddresses

type Features = Readonly<Record<string, FeatureValue>>

/**
 * True when stored features say the company's corpus was thin: no website
 * crawled, or fewer than `thinCorpusChars` characters.
 *
 * @since 0.1.0
 * @category forecasts
 */
export const wasThin = (features: Readonly<Record<string, FeatureValue>>, thinCorpusChars: number): boolean =>
  features["has_website"] !== true || typeof features["corpus_chars"] !== "number" ||
  features["corpus_chars"] < thinCorpusChars

const rationaleTokens = 900
const extractOverheadTokens = 900
const verificationCalls = (addresses: number) => (addresses > ZeroBounce.singleVerificationLimit ? 1 : addresses)

/**
 * The spend a dry run predicts, per vendor, from the engine's plan (steps
 * restored from checkpoints or disabled spend nothing) and the {@link History}
 * (see the module's description for how each company is forecast).
 *
 * @since 0.1.0
 * @category forecasts
 */
export const forecast = (
  plans: Iterable<Engine.TargetPlan<Company>>,
  options?: Partial<Options>,
  history: History = noHistory
): Forecast => {
  const o = { ...RunContext.defaults, ...options }
  const calls: Record<Vendor, number> = { tavily: 0, openai: 0, lusha: 0, zerobounce: 0 }
  const units: Record<Vendor, number> = { tavily: 0, openai: 0, lusha: 0, zerobounce: 0 }
  const basis = { known: 0, averaged: 0, defaulted: 0 }
  const add = (vendor: Vendor, n: number, maxUnits: number) => {
    calls[vendor] += n
    units[vendor] += maxUnits
  }
  for (const plan of plans) {
    const known = history.known.get(plan.target.id)
    const averages = known === undefined ? Option.getOrUndefined(history.averages) : undefined
    if (known !== undefined) basis.known++
    else if (averages !== undefined) basis.averaged++
    else basis.defaulted++
    for (const s of plan.steps) {
      if (s.action !== "run") continue
      switch (s.step) {
        case "search": {
          const thin = known !== undefined
            ? (known.thin ? 1 : 0)
            : averages !== undefined
            ? averages.thinShare
            : (plan.target.website === null ? 1 : 0)
          add("tavily", thin * searchCallsWhenThin, thin * searchCallsWhenThin)
          break
        }
        case "extract":
          add("openai", 1, Math.ceil(o.corpusCharLimit / 4) + extractOverheadTokens)
          break
        case "rationale":
          if (known?.rationaleCached !== true) add("openai", 1, rationaleTokens)
          break
        case "contacts":
          add("lusha", 1, o.contactsPerCompany)
          break
        case "verify": {
          const addresses = known !== undefined
            ? known.unverified
            : averages !== undefined
            ? averages.addresses
            : defaultAddresses(o)
          add("zerobounce", verificationCalls(addresses), addresses)
          break
        }
      }
    }
  }
  const vendor = (v: Vendor, budget: string): VendorForecast => ({
    budget,
    calls: Math.round(calls[v]),
    maxUnits: Math.ceil(units[v])
  })
  return {
    vendors: {
      tavily: vendor("tavily", Tavily.budget),
      openai: vendor("openai", Llm.tokenBudget),
      lusha: vendor("lusha", Lusha.budget),
      zerobounce: vendor("zerobounce", ZeroBounce.budget)
    },
    basis
  }
}

/**
 * Gathers a forecast's {@link History} from a tenant's store, its
 * verification cache and the engine's cache (for rationales): the record of
 * each target enriched before, and averages over the tenant's
 * `sample` most recently enriched companies. Reads only.
 *
 * @since 0.1.0
 * @category forecasts
 */
export const history = (
  store: TenantStore,
  targets: ReadonlyArray<Company>,
  options: { readonly rules: ReadonlyArray<IcpRule>; readonly thinCorpusChars: number; readonly sample?: number }
): Effect.Effect<History, StoreError | CheckpointError | VerificationCacheError, Checkpoint | VerificationCache> =>
  Effect.gen(function*() {
    const checkpoint = yield* Checkpoint
    const cache = yield* VerificationCache
    const enriched = targets.filter((c) => c.lastEnrichedAt !== null).map((c) => c.id)
    const recent = (yield* store.companies.recentlyEnriched(options.sample ?? 200)).map((c) => c.id)
    // one read for both: the targets' own records and the sample's
    const [features, emails] = yield* records(store, [...new Set([...enriched, ...recent])])
    const own = enriched.flatMap((id) => {
      const f = features.get(id)
      return f === undefined ? [] : [[id, f] as const]
    })
    const addresses = own.flatMap(([id]) => emails.get(id) ?? [])
    const verified = addresses.length === 0 ? new Map() : yield* cache.getMany(addresses)
    const known = new Map<CompanyId, Known>()
    yield* Effect.forEach(own, ([companyId, f]) => {
      const key = rationaleKey({ features: f, result: Scoring.score(f, options.rules) })
      return Effect.map(checkpoint.loadCached("rationale", key), (cached) => {
        known.set(companyId, {
          thin: wasThin(f, options.thinCorpusChars),
          unverified: (emails.get(companyId) ?? []).filter((e) => !verified.has(e)).length,
          rationaleCached: Option.isSome(cached)
        })
      })
    }, { concurrency: 8, discard: true })

    const sampled = recent.filter((id) => features.has(id))
    const sample = sampled.length
    const averages = sample === 0 ? Option.none() : Option.some({
      sample,
      thinShare: sampled.filter((id) => wasThin(features.get(id)!, options.thinCorpusChars)).length / sample,
      addresses: sampled.reduce((n, id) => n + (emails.get(id)?.length ?? 0), 0) / sample
    })
    return { known, averages }
  })

/** The stored features and addresses of these companies, by company. */
const records = (
  store: TenantStore,
  ids: ReadonlyArray<CompanyId>
): Effect.Effect<
  readonly [ReadonlyMap<CompanyId, Features>, ReadonlyMap<CompanyId, ReadonlyArray<string>>],
  StoreError
> =>
  ids.length === 0
    ? Effect.succeed([new Map(), new Map()] as const)
    : Effect.map(
      Effect.all([store.leads.featuresOf(ids), store.leads.emailsOf(ids)]),
      ([features, emails]) => {
        const byCompany = new Map<CompanyId, Array<string>>()
        for (const e of emails) {
          const list = byCompany.get(e.companyId) ?? []
          list.push(e.email)
          byCompany.set(e.companyId, list)
        }
        return [new Map(features.map((f) => [f.companyId, f.features] as const)), byCompany] as const
      }
    )
