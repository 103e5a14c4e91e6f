/**
 * The operator's data commands: `companies import FILE --tenant T` reads a
 * CSV or JSON Lines file into a tenant's companies and prints what it did,
 * with the line and reason of each row it could not use (the first
 * `CompanyImport.defaults.examples`).
 *
 * @since 0.1.0
 */
import { Args, Command, Options } from "@effect/cli"
import { CompanyFile, Database, StoreLive } from "@leadgraph/adapters"
import { CompanyImport, Nightly, Store, Tenant } from "@leadgraph/core"
import { Console, Effect, Layer, Option } from "effect"

const companiesImport = Command.make("import", {
  file: Args.text({ name: "FILE" }).pipe(Args.withDescription("a .csv (with a header row) or .jsonl file of companies")),
  tenant: Options.text("tenant").pipe(Options.withDescription("the tenant the companies belong to")),
  format: Options.choice("format", ["csv", "jsonl"]).pipe(
    Options.withDescription("the file's format (default: from its name)"),
    Options.optional
  )
}, ({ file, format, tenant }) =>
  Effect.gen(function*() {
    const store = (yield* Store.Store).forTenant(Tenant.TenantId.make(tenant))
    if (Option.isNone(yield* store.tenants.get)) return yield* new Nightly.UnknownTenant({ tenantId: tenant })
    const summary = yield* CompanyImport.run(store, CompanyFile.rows(file, Option.getOrUndefined(format)))
    yield* Console.log(CompanyImport.text(summary))
  }).pipe(Effect.provide(StoreLive.layer().pipe(Layer.provide(Database.layer()))))).pipe(
    Command.withDescription(
      "import companies (name, domain or website; country, size, industry; other columns kept as attributes); reads DATABASE_URL"
    )
  )

/**
 * `leadgraph companies`: the tenant's companies.
 *
 * @since 0.1.0
 * @category commands
 */
export const companies = Command.make("companies").pipe(
  Command.withDescription("a tenant's companies"),
  Command.withSubcommands([companiesImport])
)
