/**
 * The bench tenant as the pipeline and cluster benches run it: its id, the
 * environment variable its Odoo password is read from, budget caps that
 * never bind, and the options of its run (`EnrichmentRun.run`) with the
 * runner's default time zone and knobs. Shared by `bench/pipeline.ts` and
 * `bench/cluster/`.
 */
import { Nightly, Tenant } from "@leadgraph/core"
import { Settings } from "@leadgraph/runner"

/** The bench tenant. */
export const tenantId = Tenant.TenantId.make("bench-tenant")

/** The environment variable the bench tenant's Odoo password is read from. */
export const odooSecret = "LEADGRAPH_BENCH_ODOO_PASSWORD"

/** Caps that never bind. */
export const caps = Settings.budgetCaps({
  tavilyQueries: 1_000_000,
  lushaLookups: 10_000_000,
  zeroBounceVerifications: 10_000_000,
  openAiTokens: 1_000_000_000
})

/** The bench tenant's run of `companies` companies, `concurrency` at once, started at `startedAt` (epoch ms). */
export const runOptions = (startedAt: number, o: { readonly companies: number; readonly concurrency: number }) => ({
  tenantId,
  runDay: Nightly.dayIn(startedAt, Settings.defaults.schedule.timeZone),
  timeZone: Settings.defaults.schedule.timeZone,
  cap: o.companies,
  concurrency: o.concurrency,
  caps,
  knobs: { scoreMinExport: Settings.defaults.scoreMinExport, corpusCharLimit: Settings.defaults.corpusCharLimit }
})
