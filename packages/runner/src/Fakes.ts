/**
 * `leadgraph fakes`: the fake world of `@leadgraph/adapters/testing`
 * (`FakeWorld`: the fixture company websites and the five fake vendors on
 * 127.0.0.1) served until the process is asked to stop, with the
 * environment that points `run`, `nightly`, `schedule` and `serve` at it
 * printed (and written to a file), a tenant seeded when asked, the fixture
 * companies written as a CSV file for `companies import` when asked, and
 * what the fakes bill journaled to a file as JSON lines when asked, and
 * the fixture web's access log written to a file when it stops, when asked.
 *
 * @since 0.1.0
 */
import { Database, StoreLive } from "@leadgraph/adapters"
import { FakeWorld } from "@leadgraph/adapters/testing"
import { type Error as PlatformError, FileSystem } from "@effect/platform"
import { LeadExport, type Store, type Tenant } from "@leadgraph/core"
import { Console, Effect, Layer, Option } from "effect"

/**
 * Starts the fake world, seeds a tenant when asked (the database,
 * `DATABASE_URL` or the embedded one, is held only while seeding, so an
 * embedded one is free for `run` afterwards), journals the bills to a file
 * when asked, prints the environment (and writes it to a file, atomically),
 * and keeps serving until `until` completes.
 *
 * @since 0.1.0
 * @category running
 */
export const serve = (
  options: FakeWorld.Options & {
    readonly tenant: Option.Option<Tenant.TenantId>
    readonly companies: number
    readonly envFile: Option.Option<string>
    /** Where to write the first `companies` fixture companies as a CSV file (`name,website`). */
    readonly companiesFile?: Option.Option<string> | undefined
    readonly journal: Option.Option<string>
    /** Where to write the fixture web's access log (JSON lines) when the fakes stop. */
    readonly webLog?: Option.Option<string> | undefined
  },
  until: Effect.Effect<void>
): Effect.Effect<void, Store.StoreError | PlatformError.PlatformError, FileSystem.FileSystem> =>
  Effect.scoped(Effect.gen(function*() {
    const world = yield* FakeWorld.start(options)
    if (Option.isSome(options.tenant)) {
      yield* FakeWorld.seedTenant(world, options.tenant.value, options.companies).pipe(
        Effect.provide(StoreLive.layer().pipe(Layer.provide(Database.layer())))
      )
    }
    if (Option.isSome(options.journal)) yield* FakeWorld.journal(world, options.journal.value)
    const webLog = options.webLog ?? Option.none()
    if (Option.isSome(webLog)) yield* FakeWorld.webLog(world, webLog.value)
    const companiesFile = options.companiesFile ?? Option.none()
    if (Option.isSome(companiesFile)) {
      const fs = yield* FileSystem.FileSystem
      const rows = world.web.companies.slice(0, options.companies).map((c) => LeadExport.csvLine([c.name, world.web.url(c.host)]))
      yield* fs.writeFileString(companiesFile.value, [LeadExport.csvLine(["name", "website"]), ...rows].join(""))
    }
    const text = FakeWorld.render(world.environment)
    if (Option.isSome(options.envFile)) {
      const fs = yield* FileSystem.FileSystem
      yield* fs.writeFileString(`${options.envFile.value}.tmp`, `${text}\n`)
      yield* fs.rename(`${options.envFile.value}.tmp`, options.envFile.value)
    }
    yield* Console.log(text)
    yield* Console.log(`# leadgraph fakes: up, fixture sites at ${world.web.url("<company>.test")}; stop with Ctrl-C`)
    yield* until
  }))
