/**
 * What a tenant's history says about the companies of a dry run, for the
 * steps' budget estimates (`Step.BudgetDraw.estimate`): each company
 * enriched before from its own record, the others at the tenant's averages,
 * or, with no history, at defaults. `Forecast.history` gathers it from the
 * store; a dry run provides it as {@link Basis} to `Engine.plan`, whose
 * steps read it with {@link seen}.
 *
 * @since 0.1.0
 */
import { Context, Effect, Option } from "effect"
import type { Company, CompanyId } from "./Company.js"
import type { FeatureValue } from "./Features.js"
import * as RunContext from "./steps/RunContext.js"

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
 * A tenant's history: its companies enriched before, and its averages.
 *
 * @since 0.1.0
 * @category models
 */
export interface History {
  readonly known: ReadonlyMap<CompanyId, Known>
  readonly averages: Option.Option<Averages>
}

/**
 * No history: every company is estimated at defaults.
 *
 * @since 0.1.0
 * @category constructors
 */
export const noHistory: History = { known: new Map(), averages: Option.none() }

/**
 * The run's knobs an estimate reads.
 *
 * @since 0.1.0
 * @category models
 */
export type Knobs = Pick<RunContext.Service, "contactsPerCompany" | "corpusCharLimit" | "thinCorpusChars">

/**
 * What a dry run estimates by: the tenant's history and the run's knobs.
 * Without it in context, estimates use no history and the defaults.
 *
 * @since 0.1.0
 * @category tags
 */
export class Basis extends Context.Tag("@leadgraph/core/History/Basis")<Basis, {
  readonly history: History
  readonly knobs: Knobs
}>() {}

/**
 * What the history says of one company: its own record, else the tenant's
 * averages (both absent: defaults), and the knobs.
 *
 * @since 0.1.0
 * @category models
 */
export interface Seen {
  readonly known: Known | undefined
  readonly averages: Averages | undefined
  readonly knobs: Knobs
}

/**
 * Reads what the {@link Basis} in context says of a company (see
 * {@link Seen}); never fails, needs nothing.
 *
 * @since 0.1.0
 * @category accessors
 */
export const seen = (company: Company): Effect.Effect<Seen> =>
  Effect.map(Effect.serviceOption(Basis), (basis) => {
    const history = Option.match(basis, { onNone: () => noHistory, onSome: (b) => b.history })
    const knobs = Option.match(basis, { onNone: () => RunContext.defaults, onSome: (b) => b.knobs })
    const known = history.known.get(company.id)
    return {
      known,
      averages: known === undefined ? Option.getOrUndefined(history.averages) : undefined,
      knobs
    }
  })

/**
 * True when stored features say the company's corpus was thin: no website
 * crawled, or fewer than `thinCorpusChars` characters.
 *
 * @since 0.1.0
 * @category predicates
 */
export const wasThin = (features: Readonly<Record<string, FeatureValue>>, thinCorpusChars: number): boolean =>
  features["has_website"] !== true || typeof features["corpus_chars"] !== "number" ||
  features["corpus_chars"] < thinCorpusChars
