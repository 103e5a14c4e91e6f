/**
 * What every step of the enrichment pipeline knows about the run it is part
 * of: the tenant, the run id, the tenant's ICP rules and the pipeline's
 * knobs. The runner provides it once per tenant run.
 *
 * @since 0.1.0
 */
import { Context, Layer } from "effect"
import * as Step from "../../engine/Step.js"
import type { Company } from "../Company.js"
import type { IcpRule } from "../IcpRule.js"
import type { TenantId } from "../Tenant.js"

/**
 * The run's context.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly tenantId: TenantId
  readonly runId: string
  /** The tenant's active ICP rules. */
  readonly rules: ReadonlyArray<IcpRule>
  /** Leads at or above this score (0 to 100) go to Odoo (`SCORE_MIN_EXPORT`). */
  readonly scoreMinExport: number
  /** A crawl corpus shorter than this is too thin: Tavily fills in. */
  readonly thinCorpusChars: number
  /** Characters of text given to the LLM (`EXTRACT_CORPUS_CHAR_LIMIT`). */
  readonly corpusCharLimit: number
  /** Contacts asked of Lusha per company. */
  readonly contactsPerCompany: number
  /** Export qualifying leads to the tenant's Odoo (false: score only). */
  readonly exportToOdoo: boolean
  /**
   * Keep a `crm.lead` per exported company (the tenant's
   * `OdooConnection.createLeads`); false: export the company and its
   * contacts only.
   */
  readonly createLeads: boolean
}

/**
 * The knobs' defaults.
 *
 * @since 0.1.0
 * @category defaults
 */
export const defaults = {
  scoreMinExport: 60,
  thinCorpusChars: 1_500,
  corpusCharLimit: 12_000,
  contactsPerCompany: 10,
  exportToOdoo: true,
  createLeads: true
} as const

/**
 * The run context tag.
 *
 * @since 0.1.0
 * @category tags
 */
export class RunContext extends Context.Tag("@leadgraph/core/RunContext")<RunContext, Service>() {}

/**
 * The run context as a layer; unset knobs take their {@link defaults}.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Pick<Service, "tenantId" | "runId" | "rules"> & Partial<Omit<Service, "tenantId" | "runId" | "rules">>
): Layer.Layer<RunContext> => Layer.succeed(RunContext, { ...defaults, ...options })

/** The step builder of the pipeline: every step's target is a stored company. @internal */
export const step = Step.forTarget<Company>()
