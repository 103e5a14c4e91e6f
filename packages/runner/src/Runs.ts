/**
 * Run history on the command line: `runs [--tenant T] [--limit N]
 * [--cursor C]` lists recorded runs newest first as a table (and the
 * command for the next page), `runs show ID` prints one run in detail, and
 * `report ID [--out FILE]` writes its HTML report. They read the store
 * (`DATABASE_URL`, or the embedded database), or the `Store` already in
 * context.
 *
 * @since 0.1.0
 */
import { Args, Command, Options } from "@effect/cli"
import { FileSystem } from "@effect/platform"
import { Database, StoreLive } from "@leadgraph/adapters"
import { RunHistory, RunReport, Store, Tenant } from "@leadgraph/core"
import { Console, Context, Effect, Layer, Option, Schema } from "effect"

/**
 * No recorded run has this id (in the tenant given, or in any tenant).
 *
 * @since 0.1.0
 * @category errors
 */
export class RunNotFound extends Schema.TaggedError<RunNotFound>()("RunNotFound", { runId: Schema.String }) {
  override get message(): string {
    return `no recorded run "${this.runId}" (see \`leadgraph runs\`)`
  }
}

/**
 * `--cursor` is not one `runs` printed.
 *
 * @since 0.1.0
 * @category errors
 */
export class BadCursor extends Schema.TaggedError<BadCursor>()("BadCursor", {}) {
  override get message(): string {
    return "--cursor must be one printed by an earlier `leadgraph runs`"
  }
}

/** The store in context (tests, a host program), else the one of the environment. */
const withStore = <A, E, R>(
  effect: Effect.Effect<A, E, R | Store.Store>
): Effect.Effect<A, E | Store.StoreError, Exclude<R, Store.Store>> =>
  Effect.flatMap(Effect.serviceOption(Store.Store), (found) =>
    Option.match(found, {
      onSome: (store) => Effect.provideService(effect, Store.Store, store),
      onNone: () =>
        Effect.provide(effect, Layer.map(StoreLive.layer().pipe(Layer.provide(Database.layer())), (c) =>
          Context.make(Store.Store, Context.get(c, Store.Store))))
    }))

const ms = (n: number | null) =>
  n === null ? "—" : n >= 60_000 ? `${Math.floor(n / 60_000)}m${String(Math.round((n % 60_000) / 1000)).padStart(2, "0")}s` : `${(n / 1000).toFixed(1)}s`

const spendText = (e: RunHistory.Entry) =>
  e.spend === null
    ? "—"
    : Object.entries(e.spend).filter(([, v]) => v > 0).map(([k, v]) => `${k}=${Math.round(v)}`).join(" ") || "0"

/**
 * A page of run history as a plain-text table.
 *
 * @since 0.1.0
 * @category rendering
 */
export const table = (page: RunHistory.Page): string => {
  if (page.runs.length === 0) return "no runs recorded"
  const header = ["run", "tenant", "day", "status", "done", "ok", "partial", "failed", "wall", "spend"]
  const rows = page.runs.map((e) => [
    e.id,
    e.tenantId,
    e.runDay,
    e.status,
    `${Object.values(e.counts).reduce((a, b) => a + b, 0)}/${e.companies}`,
    String(e.counts["succeeded"] ?? 0),
    String(e.counts["partial"] ?? 0),
    String(e.counts["failed"] ?? 0),
    ms(e.wallMillis),
    spendText(e)
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: ReadonlyArray<string>) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()
  return [line(header), ...rows.map(line)].join("\n")
}

const tenantOption = Options.text("tenant").pipe(Options.withDescription("only this tenant's runs"), Options.optional)

const show = Command.make("show", {
  id: Args.text({ name: "ID" }).pipe(Args.withDescription("the run's id")),
  tenant: tenantOption
}, ({ id, tenant }) =>
  withStore(Effect.gen(function*() {
    const store = yield* Store.Store
    const data = yield* RunReport.gather(store, id, Option.getOrUndefined(Option.map(tenant, Tenant.TenantId.make)))
    if (Option.isNone(data)) return yield* new RunNotFound({ runId: id })
    yield* Console.log(RunReport.text(data.value))
  }))).pipe(
    Command.withDescription("one run in detail: manifest, companies, steps p50/p90/max, spend against caps, failures by code")
  )

/**
 * `leadgraph runs`: recorded runs, newest first; `runs show ID` for one.
 *
 * @since 0.1.0
 * @category commands
 */
export const runs = Command.make("runs", {
  tenant: tenantOption,
  limit: Options.integer("limit").pipe(
    Options.withDescription(`runs per page, 1 to ${RunHistory.maxLimit}`),
    Options.withDefault(RunHistory.defaultLimit)
  ),
  cursor: Options.text("cursor").pipe(Options.withDescription("the page after this cursor (printed below a full page)"), Options.optional)
}, ({ cursor, limit, tenant }) =>
  withStore(Effect.gen(function*() {
    const store = yield* Store.Store
    const page = yield* RunHistory.list(store, {
      tenantId: Option.getOrUndefined(Option.map(tenant, Tenant.TenantId.make)),
      limit,
      cursor: Option.getOrUndefined(cursor)
    }).pipe(Effect.catchTag("InvalidCursor", () => new BadCursor()))
    yield* Console.log(table(page))
    if (page.next !== null) {
      const t = Option.match(tenant, { onNone: () => "", onSome: (t) => ` --tenant ${t}` })
      yield* Console.log(`more: leadgraph runs${t} --limit ${limit} --cursor ${page.next}`)
    }
  }))).pipe(
    Command.withDescription("recorded runs of every tenant (or one), newest first; reads DATABASE_URL"),
    Command.withSubcommands([show])
  )

/**
 * `leadgraph report ID --out FILE`: the run's report as one HTML file (to
 * stdout without `--out`).
 *
 * @since 0.1.0
 * @category commands
 */
export const report = Command.make("report", {
  id: Args.text({ name: "ID" }).pipe(Args.withDescription("the run's id")),
  tenant: Options.text("tenant").pipe(Options.withDescription("the run's tenant (default: from its id)"), Options.optional),
  out: Options.file("out").pipe(Options.withDescription("the HTML file to write (default: stdout)"), Options.optional)
}, ({ id, out, tenant }) =>
  withStore(Effect.gen(function*() {
    const store = yield* Store.Store
    const data = yield* RunReport.gather(store, id, Option.getOrUndefined(Option.map(tenant, Tenant.TenantId.make)))
    if (Option.isNone(data)) return yield* new RunNotFound({ runId: id })
    const page = RunReport.html(data.value)
    if (Option.isNone(out)) return yield* Console.log(page)
    const fs = yield* FileSystem.FileSystem
    yield* fs.writeFileString(out.value, page)
    yield* Console.log(`wrote ${out.value}`)
  }))).pipe(Command.withDescription("write a run's report: one self-contained HTML page with charts"))
