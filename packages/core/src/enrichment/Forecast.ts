/**
 * Dry-run forecasts: the vendor calls a run of the enrichment graph would
 * make, derived from the engine's plan (`Engine.plan`) over the graph, whose
 * paid steps each declare their draw and estimate it
 * (`Step.BudgetDraw.estimate`) from the tenant's {@link History.History}:
 *
 * - A company enriched before is estimated from its own record: a corpus
 *   that was thin means a web search again; its addresses without a cached
 *   verdict are verified again; its rationale costs nothing when its stored
 *   features, scored under today's rules, give a cache key already cached.
 * - A company never enriched is estimated at the tenant's averages over its
 *   most recently enriched companies (share of thin sites, addresses per
 *   company).
 * - With no history at all, at defaults: a web search only for a company
 *   without a website, and every address Lusha and the site may give
 *   (`Pipeline.defaultAddresses`), an upper bound.
 *
 * {@link plan} runs the plan with the history in context; {@link forecast}
 * adds up what its steps estimated, per vendor. What only the run can tell
 * (a site that changed, new contacts) makes the real spend differ;
 * {@link Forecast.basis} says how many companies each way was used for.
 *
 * @since 0.1.0
 */
import { Effect, Option, Stream } from "effect"
import type { CheckpointError } from "../engine/Checkpoint.js"
import { Checkpoint } from "../engine/Checkpoint.js"
import * as Engine from "../engine/Engine.js"
import type { GraphError } from "../engine/Errors.js"
import type { Company, CompanyId } from "./Company.js"
import type { FeatureValue } from "./Features.js"
import * as History from "./History.js"
import type { IcpRule } from "./IcpRule.js"
import * as Llm from "./Llm.js"
import * as Lusha from "./Lusha.js"
import * as Pipeline from "./Pipeline.js"
import * as Scoring from "./Scoring.js"
import { rationaleKey } from "./steps/Lead.js"
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

/** The vendor each paid step's budget belongs to. */
const vendorOf: Readonly<Record<string, Vendor>> = {
  [Tavily.budget]: "tavily",
  [Llm.tokenBudget]: "openai",
  [Lusha.budget]: "lusha",
  [ZeroBounce.budget]: "zerobounce"
}

/**
 * The engine's dry-run plan of the enrichment graph for these targets,
 * with the tenant's history and the run's knobs in context for the steps'
 * estimates. `options` are the engine's (run id, skipped or only steps); the
 * checkpoint store in context, when there is one, marks restored steps.
 *
 * @since 0.1.0
 * @category forecasts
 */
export const plan = (
  targets: ReadonlyArray<Company>,
  options: {
    readonly engine?: Engine.Options<Company> | undefined
    readonly history?: History.History | undefined
    readonly knobs?: Partial<History.Knobs> | undefined
  } = {}
): Effect.Effect<ReadonlyArray<Engine.TargetPlan<Company>>, GraphError> =>
  Engine.plan(Pipeline.graph, Stream.fromIterable(targets), options.engine).pipe(
    Stream.runCollect,
    Effect.map((plans) => Array.from(plans)),
    Effect.provideService(History.Basis, {
      history: options.history ?? History.noHistory,
      knobs: { ...RunContext.defaults, ...options.knobs }
    })
  )

/**
 * The spend a dry run predicts, per vendor: what the plan's steps that
 * would run estimated (steps restored from checkpoints or disabled spend
 * nothing), and how many companies were estimated each way by `history`.
 *
 * @since 0.1.0
 * @category forecasts
 */
export const forecast = (
  plans: Iterable<Engine.TargetPlan<Company>>,
  history: History.History = History.noHistory
): Forecast => {
  const list = Array.from(plans)
  const basis = { known: 0, averaged: 0, defaulted: 0 }
  for (const p of list) {
    if (history.known.has(p.target.id)) basis.known++
    else if (Option.isSome(history.averages)) basis.averaged++
    else basis.defaulted++
  }
  const calls: Record<Vendor, number> = { tavily: 0, openai: 0, lusha: 0, zerobounce: 0 }
  const units: Record<Vendor, number> = { tavily: 0, openai: 0, lusha: 0, zerobounce: 0 }
  for (const [budget, total] of Object.entries(Engine.forecast(list))) {
    const vendor = vendorOf[budget]
    if (vendor === undefined) continue
    calls[vendor] += total.calls
    units[vendor] += total.units
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

type Features = Readonly<Record<string, FeatureValue>>

/**
 * Gathers a forecast's {@link History.History} from a tenant's store, its
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
): Effect.Effect<History.History, StoreError | CheckpointError | VerificationCacheError, Checkpoint | VerificationCache> =>
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
    const known = new Map<CompanyId, History.Known>()
    yield* Effect.forEach(own, ([companyId, f]) => {
      const key = rationaleKey({ features: f, result: Scoring.score(f, options.rules) })
      return Effect.map(checkpoint.loadCached("rationale", key), (cached) => {
        known.set(companyId, {
          thin: History.wasThin(f, options.thinCorpusChars),
          unverified: (emails.get(companyId) ?? []).filter((e) => !verified.has(e)).length,
          rationaleCached: Option.isSome(cached)
        })
      })
    }, { concurrency: 8, discard: true })

    const sampled = recent.filter((id) => features.has(id))
    const sample = sampled.length
    const averages = sample === 0 ? Option.none() : Option.some({
      sample,
      thinShare: sampled.filter((id) => History.wasThin(features.get(id)!, options.thinCorpusChars)).length / sample,
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
