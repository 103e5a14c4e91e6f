/**
 * Setting a tenant's ICP rules from an operator's file or request: the
 * input (a list of rules, or `{ rules: [...] }`) is checked against
 * `IcpRule.IcpRule`, with one line per problem naming the bad field
 * (`rules[2].weight: expected a number from 0 to 100, got 150`); nothing is
 * stored when any rule is bad. Each set of changed rules is stored as a new
 * numbered version that becomes the active set; setting the active rules
 * again stores nothing and says so.
 *
 * @since 0.1.0
 */
import { Effect, Either, Option, Schema } from "effect"
import * as IcpRule from "../enrichment/IcpRule.js"
import * as Store from "../enrichment/Store.js"
import { InvalidInput, problems } from "./Invalid.js"
import type { UnknownTenant } from "./Nightly.js"
import * as TenantSetup from "./TenantSetup.js"

const decodeRules = Schema.decodeUnknownEither(Schema.Array(IcpRule.IcpRule), {
  errors: "all",
  onExcessProperty: "error"
})

/** What each field of a rule expects, in words, by its path within the list. */
const expected = (path: ReadonlyArray<PropertyKey>): string | undefined => {
  if (path.length === 1) return "expected a rule: an object with name, criteria and weight"
  if (path.length === 3 && path[1] === "criteria") {
    return "expected a string, a number, true or false, null, or a list of strings"
  }
  switch (path[1]) {
    case "name":
      return "expected a non-empty name"
    case "criteria":
      return "expected an object of criteria by feature (for example { \"country\": [\"Germany\"] })"
    case "weight":
      return "expected a number from 0 to 100"
    case "active":
      return "expected true or false"
    default:
      return undefined
  }
}

/**
 * The rules of an input (a list of rules or `{ rules: [...] }`), or every
 * problem with them: bad fields, unknown fields, and names used twice.
 *
 * @since 0.1.0
 * @category validation
 */
export const decode = (input: unknown): Either.Either<ReadonlyArray<IcpRule.IcpRule>, InvalidInput> => {
  const list = Array.isArray(input)
    ? input
    : input !== null && typeof input === "object" && "rules" in input && Array.isArray(input.rules)
    ? input.rules as ReadonlyArray<unknown>
    : undefined
  if (list === undefined) {
    return Either.left(new InvalidInput({ problems: ["rules: expected a list of rules, or an object with a \"rules\" list"] }))
  }
  return Either.flatMap(
    Either.mapLeft(decodeRules(list), (error) =>
      new InvalidInput({ problems: problems(list, error, { root: "rules", expected }) })),
    (rules) => {
      const first = new Map<string, number>()
      const repeated = rules.flatMap((rule, i) => {
        const seen = first.get(rule.name)
        if (seen === undefined) first.set(rule.name, i)
        return seen === undefined ? [] : [`rules[${i}].name: ${JSON.stringify(rule.name)} is the name of rules[${seen}] too`]
      })
      return repeated.length > 0 ? Either.left(new InvalidInput({ problems: repeated })) : Either.right(rules)
    }
  )
}

/**
 * Checks `input` and makes its rules the tenant's active set: a new version
 * when they differ from the active one (`changed`), else nothing stored.
 *
 * @since 0.1.0
 * @category use cases
 */
export const set = (
  tenantId: string,
  input: unknown
): Effect.Effect<Store.Replaced, InvalidInput | UnknownTenant | Store.StoreError, Store.Store> =>
  Effect.gen(function*() {
    const tenant = yield* TenantSetup.existing(tenantId)
    const rules = yield* decode(input)
    const store = yield* Store.Store
    return yield* store.forTenant(tenant.id).icpRules.replace(rules)
  }).pipe(Effect.withSpan("IcpSetup.set", { attributes: { tenant: tenantId } }))

/**
 * A version of the tenant's rules (`undefined`: the active one); none when
 * the tenant has no version (or not that one).
 *
 * @since 0.1.0
 * @category use cases
 */
export const show = (
  tenantId: string,
  version?: number | undefined
): Effect.Effect<Option.Option<IcpRule.RulesVersion>, InvalidInput | UnknownTenant | Store.StoreError, Store.Store> =>
  Effect.gen(function*() {
    const tenant = yield* TenantSetup.existing(tenantId)
    const store = yield* Store.Store
    return yield* store.forTenant(tenant.id).icpRules.version(version)
  }).pipe(Effect.withSpan("IcpSetup.show", { attributes: { tenant: tenantId } }))

/**
 * One line for what {@link set} did.
 *
 * @since 0.1.0
 * @category rendering
 */
export const setText = (tenantId: string, replaced: Store.Replaced): string =>
  replaced.changed
    ? `tenant ${tenantId}: ICP rules version ${replaced.version} set (now active)`
    : `tenant ${tenantId}: ICP rules unchanged (version ${replaced.version} is active)`

/**
 * A rules version for people: its number, when it was set, and its rules
 * as JSON.
 *
 * @since 0.1.0
 * @category rendering
 */
export const versionText = (version: IcpRule.RulesVersion): string =>
  [
    `version ${version.version}, set ${version.setAt.toISOString()}, ${version.rules.length} rule(s)`,
    JSON.stringify(version.rules, null, 2)
  ].join("\n")
