/**
 * Setting up a tenant's Odoo connection: {@link connect} checks and stores
 * it (active; the URL is http or https, the secret reference `env:NAME`,
 * naming the variable that holds the password, which is never stored), and
 * {@link test} logs in with it and reads the server's version, or says in
 * one line why it cannot.
 *
 * @since 0.1.0
 */
import { ConfigError, Effect, Option, Schema } from "effect"
import * as Odoo from "../enrichment/Odoo.js"
import * as Store from "../enrichment/Store.js"
import type * as Tenant from "../enrichment/Tenant.js"
import { InvalidInput } from "./Invalid.js"
import type { UnknownTenant } from "./Nightly.js"
import * as OdooConnector from "./OdooConnector.js"
import * as TenantSetup from "./TenantSetup.js"

/**
 * What `odoo connect` is given. `createLeads` left out keeps the stored
 * setting (`true` for a new connection).
 *
 * @since 0.1.0
 * @category models
 */
export interface ConnectInput {
  readonly url: string
  readonly database: string
  readonly login: string
  readonly secretRef: string
  readonly createLeads?: boolean | undefined
}

const secretPattern = /^env:([A-Za-z_][A-Za-z0-9_]*)$/

/**
 * The environment variable an `env:NAME` secret reference names; none for
 * another form.
 *
 * @since 0.1.0
 * @category helpers
 */
export const secretVariable = (secretRef: string): Option.Option<string> =>
  Option.fromNullable(secretPattern.exec(secretRef)?.[1])

const parseUrl = (url: string): URL | undefined => {
  try {
    return new URL(url)
  } catch {
    return undefined
  }
}

const urlProblem = (url: string): string | undefined => {
  const parsed = parseUrl(url)
  if (parsed === undefined || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
    return `url: expected an http or https URL, got ${JSON.stringify(url)}`
  }
  if (parsed.username !== "" || parsed.password !== "") {
    return "url: expected a URL without credentials (the password goes in the variable the secret ref names)"
  }
  return undefined
}

/**
 * The problems of a connection's input, one line each.
 *
 * @since 0.1.0
 * @category validation
 */
export const check = (input: ConnectInput): ReadonlyArray<string> => [
  ...[urlProblem(input.url)].filter((p) => p !== undefined),
  ...(input.database.trim() === "" ? ["db: expected a database name"] : []),
  ...(input.login.trim() === "" ? ["login: expected a login"] : []),
  ...(Option.isNone(secretVariable(input.secretRef))
    ? [`secret ref: expected env:NAME, the environment variable that holds the password, got ${
      JSON.stringify(input.secretRef.startsWith("env:") ? input.secretRef : "…")
    }`]
    : [])
]

/**
 * Checks and stores (creates or replaces) the tenant's Odoo connection,
 * active. Fails with {@link InvalidInput} (nothing stored) when a field is
 * bad. A secret ref not of the form `env:NAME` is never echoed: it may be
 * a password given by mistake.
 *
 * @since 0.1.0
 * @category use cases
 */
export const connect = (
  tenantId: string,
  input: ConnectInput
): Effect.Effect<Tenant.OdooConnection, InvalidInput | UnknownTenant | Store.StoreError, Store.Store> =>
  Effect.gen(function*() {
    const tenant = yield* TenantSetup.existing(tenantId)
    const problems = check(input)
    if (problems.length > 0) return yield* new InvalidInput({ problems })
    const store = yield* Store.Store
    const repo = store.forTenant(tenant.id).tenants
    yield* repo.saveOdooConnection({
      active: true,
      url: input.url.trim(),
      database: input.database.trim(),
      login: input.login.trim(),
      secretRef: input.secretRef,
      createLeads: input.createLeads
    })
    return Option.getOrThrow(yield* repo.odooConnection)
  }).pipe(Effect.withSpan("OdooSetup.connect", { attributes: { tenant: tenantId } }))

/**
 * Why {@link test} could not reach the tenant's Odoo:
 * - `NoConnection`: the tenant has no active connection;
 * - `SecretNotSet`: the variable the secret ref names is not set;
 * - `Refused`: Odoo refused the login (wrong login, password or database);
 * - `Unreachable`: no answer from the URL (connection failed, timed out);
 * - `Failed`: any other answer (a server error, not an Odoo).
 *
 * @since 0.1.0
 * @category errors
 */
export class OdooTestFailed extends Schema.TaggedError<OdooTestFailed>()("OdooTestFailed", {
  reason: Schema.Literal("NoConnection", "SecretNotSet", "Refused", "Unreachable", "Failed"),
  detail: Schema.String
}) {
  override get message(): string {
    return this.detail
  }
}

const described = (connection: Tenant.OdooConnection) =>
  `${connection.url} (database ${connection.database}, login ${connection.login})`

const fromOdooError = (connection: Tenant.OdooConnection, error: Odoo.OdooError): OdooTestFailed => {
  switch (error.reason) {
    case "Unauthorized":
      return new OdooTestFailed({
        reason: "Refused",
        detail: `Odoo at ${described(connection)} refused the login: check the login, the password in ${
          Option.getOrElse(secretVariable(connection.secretRef), () => "the secret ref's variable")
        } and the database`
      })
    case "Transport":
    case "Timeout":
      return new OdooTestFailed({ reason: "Unreachable", detail: `cannot reach Odoo at ${connection.url}: ${error.message}` })
    default:
      return new OdooTestFailed({ reason: "Failed", detail: `Odoo at ${connection.url} failed: ${error.message}` })
  }
}

/**
 * What {@link test} found: the connection and the server's version.
 *
 * @since 0.1.0
 * @category models
 */
export interface Tested {
  readonly connection: Tenant.OdooConnection
  readonly serverVersion: string
}

/**
 * Logs in to the tenant's Odoo with its stored connection and reads the
 * server's version, or fails with {@link OdooTestFailed} saying why not.
 *
 * @since 0.1.0
 * @category use cases
 */
export const test = (
  tenantId: string
): Effect.Effect<
  Tested,
  OdooTestFailed | InvalidInput | UnknownTenant | Store.StoreError,
  Store.Store | OdooConnector.OdooConnector
> =>
  Effect.gen(function*() {
    const tenant = yield* TenantSetup.existing(tenantId)
    const store = yield* Store.Store
    const stored = yield* store.forTenant(tenant.id).tenants.odooConnection
    if (Option.isNone(stored) || !stored.value.active) {
      return yield* new OdooTestFailed({
        reason: "NoConnection",
        detail: `tenant ${tenant.id} has no active Odoo connection (add one with \`leadgraph odoo connect\`)`
      })
    }
    const connection = stored.value
    const connector = yield* OdooConnector.OdooConnector
    const serverVersion = yield* Effect.flatMap(Odoo.Odoo, (odoo) => odoo.serverVersion).pipe(
      Effect.provide(connector.connect(tenant.id, connection)),
      Effect.catchAll((error) =>
        // the connector reads the password when it builds: a missing variable
        ConfigError.isConfigError(error)
          ? Effect.fail(
            new OdooTestFailed({
              reason: "SecretNotSet",
              detail: `the variable ${
                Option.getOrElse(secretVariable(connection.secretRef), () => connection.secretRef)
              } (the connection's secret ref) is not set`
            })
          )
          : Effect.fail(fromOdooError(connection, error))
      )
    )
    return { connection, serverVersion }
  }).pipe(Effect.withSpan("OdooSetup.test", { attributes: { tenant: tenantId } }))

/**
 * One line for a stored connection, without its secret.
 *
 * @since 0.1.0
 * @category rendering
 */
export const connectionText = (tenantId: string, connection: Tenant.OdooConnection): string =>
  `tenant ${tenantId}: Odoo connection ${described(connection)}, password from ${connection.secretRef}, ${
    connection.createLeads ? "creates leads" : "no leads"
  }${connection.active ? "" : " (inactive)"}`

