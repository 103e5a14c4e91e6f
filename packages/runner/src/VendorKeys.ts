/**
 * The paid vendors' keys as a precondition: which of their variables
 * (`Vendors.keyVariables` of `@leadgraph/adapters`) are not set, and the
 * error that names them. A real run (`run`, `nightly`, `schedule`) and an
 * HTTP kickoff check them before anything starts; a dry run needs none.
 *
 * @since 0.1.0
 */
import { Vendors } from "@leadgraph/adapters"
import { Config, type ConfigError, Effect, Option, Schema } from "effect"

/**
 * Vendor keys are not set: `variables` names them. Nothing was started or
 * recorded.
 *
 * @since 0.1.0
 * @category errors
 */
export class MissingVendorKeys extends Schema.TaggedError<MissingVendorKeys>()("MissingVendorKeys", {
  variables: Schema.Array(Schema.String)
}) {
  override get message(): string {
    return `vendor keys not set: ${this.variables.join(", ")} (a real run needs every vendor's key; a dry run needs none)`
  }
}

/**
 * The vendor key variables that are unset or empty, in
 * `Vendors.keyVariables` order.
 *
 * @since 0.1.0
 * @category config
 */
export const missing: Config.Config<ReadonlyArray<string>> = Config.all(
  Vendors.keyVariables.map((name) =>
    Config.option(Config.string(name)).pipe(
      Config.map((value) => (Option.isNone(value) || value.value.trim() === "" ? [name] : []))
    )
  )
).pipe(Config.map((names) => names.flat()))

/**
 * Fails with {@link MissingVendorKeys} unless every vendor key is set.
 *
 * @since 0.1.0
 * @category config
 */
export const required: Effect.Effect<void, MissingVendorKeys | ConfigError.ConfigError> = Effect.flatMap(
  missing,
  (variables) => (variables.length === 0 ? Effect.void : Effect.fail(new MissingVendorKeys({ variables })))
)
