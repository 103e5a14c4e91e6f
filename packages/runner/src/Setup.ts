/**
 * The operator's set-up commands, thin over core's use cases:
 *
 * - `tenants add ID [--name] [--daily-cap N|default] [--time-zone IANA|default]`,
 *   `tenants list`, `tenants disable ID`, `tenants enable ID`
 *   (`TenantSetup`);
 * - `icp set FILE --tenant T [--format json|yaml]` and
 *   `icp show --tenant T [--version N]` (`IcpSetup`, the file read by the
 *   adapters' `IcpFile`);
 * - `odoo connect --tenant T --url --db --login --secret-ref env:NAME
 *   [--no-create-leads]` and `odoo test --tenant T` (`OdooSetup`).
 *
 * Each reads `DATABASE_URL` (or the embedded database). Bad input stops the
 * command with one line per problem, and nothing is stored.
 *
 * @since 0.1.0
 */
import { Args, Command, HelpDoc, Options, ValidationError } from "@effect/cli"
import { NodeHttpClient } from "@effect/platform-node"
import { Database, IcpFile, StoreLive, Vendors } from "@leadgraph/adapters"
import { IcpSetup, OdooSetup, TenantSetup } from "@leadgraph/core"
import type { Invalid, Nightly, Store } from "@leadgraph/core"
import { Console, Effect, Layer, Option } from "effect"
import * as Settings from "./Settings.js"

/**
 * What the set-up commands can end with (named here so that the
 * declarations of the commands can refer to it).
 *
 * @since 0.1.0
 * @category errors
 */
export type SetupError =
  | Store.StoreError
  | Invalid.InvalidInput
  | Nightly.UnknownTenant
  | OdooSetup.OdooTestFailed
  | IcpFile.IcpFileError

const storeLayer = () => StoreLive.layer().pipe(Layer.provide(Database.layer()))

const tenantOption = (description: string) => Options.text("tenant").pipe(Options.withDescription(description))

/**
 * An option whose value may also be `default`: the setting's default again
 * (stored as none, `null`).
 */
const orDefault = <A>(name: string, parse: (text: string) => A | undefined, expected: string) =>
  Options.text(name).pipe(Options.mapEffect((text) => {
    if (text === "default") return Effect.succeed(null)
    const value = parse(text)
    return value === undefined
      ? Effect.fail(ValidationError.invalidValue(HelpDoc.p(`--${name}: expected ${expected} or "default", got ${JSON.stringify(text)}`)))
      : Effect.succeed(value)
  }))

const tenantsAdd = Command.make("add", {
  id: Args.text({ name: "ID" }).pipe(Args.withDescription("the tenant's id (1 to 64 characters)")),
  name: Options.text("name").pipe(Options.withDescription("the tenant's name (default: its id)"), Options.optional),
  dailyCap: orDefault("daily-cap", (text) => /^-?\d{1,15}$/.test(text) ? Number(text) : undefined, "a non-negative integer").pipe(
    Options.withDescription(
      "companies per run day for this tenant; `default` goes back to SCHED_DAILY_CAP_PER_TENANT (default: SCHED_DAILY_CAP_PER_TENANT)"
    ),
    Options.optional
  ),
  timeZone: orDefault("time-zone", (text) => text, "an IANA time zone").pipe(
    Options.withDescription(
      "the IANA zone of the tenant's run day, e.g. Europe/Berlin; `default` goes back to SCHED_TZ (default: SCHED_TZ)"
    ),
    Options.optional
  )
}, ({ dailyCap, id, name, timeZone }) =>
  Effect.gen(function*() {
    const added = yield* TenantSetup.add({
      id,
      name: Option.getOrUndefined(name),
      dailyCap: Option.getOrUndefined(dailyCap),
      timeZone: Option.getOrUndefined(timeZone)
    })
    yield* Console.log(TenantSetup.addedText(added))
  }).pipe(Effect.provide(storeLayer()))).pipe(
    Command.withDescription("add a tenant, or update the fields given of a known one; reads DATABASE_URL")
  )

const tenantsList = Command.make("list", {}, () =>
  Effect.gen(function*() {
    const settings = yield* Settings.config
    const tenants = yield* TenantSetup.list
    yield* Console.log(TenantSetup.listText(tenants, {
      dailyCap: settings.schedule.dailyCapPerTenant,
      timeZone: settings.schedule.timeZone
    }))
  }).pipe(Effect.provide(storeLayer()))).pipe(
    Command.withDescription(
      "list the tenants: status, daily cap, time zone, Odoo connection, companies; reads DATABASE_URL, SCHED_TZ, SCHED_DAILY_CAP_PER_TENANT"
    )
  )

const status = (name: "disable" | "enable") =>
  Command.make(name, {
    id: Args.text({ name: "ID" }).pipe(Args.withDescription("the tenant's id"))
  }, ({ id }) =>
    Effect.gen(function*() {
      const tenant = yield* TenantSetup.setDisabled(id, name === "disable")
      yield* Console.log(`tenant ${tenant.id} ${name === "disable" ? "disabled: nightly runs leave it out" : "enabled"}`)
    }).pipe(Effect.provide(storeLayer()))).pipe(
      Command.withDescription(
        name === "disable" ? "disable a tenant (nightly runs leave it out)" : "enable a disabled tenant again"
      )
    )

/**
 * `leadgraph tenants`: add, list, disable and enable tenants.
 *
 * @since 0.1.0
 * @category commands
 */
export const tenants = Command.make("tenants").pipe(
  Command.withDescription("tenants: active unless disabled; without an Odoo connection a tenant runs without export"),
  Command.withSubcommands([tenantsAdd, tenantsList, status("disable"), status("enable")])
)

const icpSet = Command.make("set", {
  file: Args.text({ name: "FILE" }).pipe(
    Args.withDescription("a .json, .yaml or .yml file: a list of rules, or { rules: [...] }")
  ),
  tenant: tenantOption("the tenant the rules are for"),
  format: Options.choice("format", ["json", "yaml"]).pipe(
    Options.withDescription("the file's format (default: from its name)"),
    Options.optional
  )
}, ({ file, format, tenant }) =>
  Effect.gen(function*() {
    const input = yield* IcpFile.read(file, Option.getOrUndefined(format))
    const replaced = yield* IcpSetup.set(tenant, input)
    yield* Console.log(IcpSetup.setText(tenant, replaced))
  }).pipe(Effect.provide(storeLayer()))).pipe(
    Command.withDescription("set a tenant's ICP rules from a file, as a new version when they changed; reads DATABASE_URL")
  )

const icpShow = Command.make("show", {
  tenant: tenantOption("the tenant"),
  version: Options.integer("version").pipe(
    Options.withDescription("this version instead of the active one"),
    Options.optional
  )
}, ({ tenant, version }) =>
  Effect.gen(function*() {
    const found = yield* IcpSetup.show(tenant, Option.getOrUndefined(version))
    yield* Console.log(Option.match(found, {
      onNone: () =>
        Option.isSome(version)
          ? `tenant ${tenant}: no ICP rules version ${version.value}`
          : `tenant ${tenant}: no ICP rules set (use \`leadgraph icp set FILE --tenant ${tenant}\`)`,
      onSome: IcpSetup.versionText
    }))
  }).pipe(Effect.provide(storeLayer()))).pipe(
    Command.withDescription("print a tenant's active ICP rules (number, when set, rules); reads DATABASE_URL")
  )

/**
 * `leadgraph icp`: a tenant's ICP rules.
 *
 * @since 0.1.0
 * @category commands
 */
export const icp = Command.make("icp").pipe(
  Command.withDescription("a tenant's ideal customer profile rules, as numbered versions"),
  Command.withSubcommands([icpSet, icpShow])
)

const odooConnect = Command.make("connect", {
  tenant: tenantOption("the tenant whose Odoo this is"),
  url: Options.text("url").pipe(Options.withDescription("the Odoo server's http(s) URL, e.g. https://acme.odoo.com")),
  db: Options.text("db").pipe(Options.withDescription("the Odoo database")),
  login: Options.text("login").pipe(Options.withDescription("the Odoo user's login")),
  secretRef: Options.text("secret-ref").pipe(
    Options.withDescription("env:NAME, the environment variable that holds the password or API key (never stored)")
  ),
  noCreateLeads: Options.boolean("no-create-leads").pipe(
    Options.withDescription("export companies and contacts only, no crm.lead")
  )
}, ({ db, login, noCreateLeads, secretRef, tenant, url }) =>
  Effect.gen(function*() {
    const connection = yield* OdooSetup.connect(tenant, {
      url,
      database: db,
      login,
      secretRef,
      createLeads: noCreateLeads ? false : true
    })
    yield* Console.log(OdooSetup.connectionText(tenant, connection))
  }).pipe(Effect.provide(storeLayer()))).pipe(
    Command.withDescription("store (or replace) a tenant's Odoo connection; reads DATABASE_URL")
  )

const odooTest = Command.make("test", {
  tenant: tenantOption("the tenant whose Odoo connection to test")
}, ({ tenant }) =>
  Effect.gen(function*() {
    const tested = yield* OdooSetup.test(tenant)
    yield* Console.log(`tenant ${tenant}: logged in to Odoo at ${tested.connection.url}, server version ${tested.serverVersion}`)
  }).pipe(
    Effect.provide(Layer.merge(storeLayer(), Vendors.layerOdoo().pipe(Layer.provide(NodeHttpClient.layerUndici))))
  )).pipe(
    Command.withDescription(
      "log in to a tenant's Odoo and print its server version; reads DATABASE_URL and the secret ref's variable"
    )
  )

/**
 * `leadgraph odoo`: a tenant's Odoo connection.
 *
 * @since 0.1.0
 * @category commands
 */
export const odoo = Command.make("odoo").pipe(
  Command.withDescription("a tenant's Odoo connection"),
  Command.withSubcommands([odooConnect, odooTest])
)
