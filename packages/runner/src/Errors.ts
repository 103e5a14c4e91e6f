/**
 * How the CLI reports what stopped a command: one readable line per error
 * (never `[object Object]`, never an empty message, never a password from a
 * URL) and the process exit code: 0 when it went well, 1 for a failure, 2
 * for a usage error (an unknown command or flag, a bad flag value, an
 * unknown tenant, a setting in the environment that is missing or wrong:
 * the command line or the environment has to change, and nothing ran), 130
 * when interrupted. Pure: it reads nothing and writes nothing.
 *
 * @since 0.1.0
 */
import { HelpDoc, ValidationError } from "@effect/cli"
import { Cause, ConfigError } from "effect"
import { stripAnsi } from "./Output.js"

/**
 * The exit code of a command that ended with `cause`.
 *
 * @since 0.1.0
 * @category models
 */
export type ExitCode = 1 | 2 | 130

const tagOf = (u: unknown): string | undefined =>
  typeof u === "object" && u !== null && "_tag" in u && typeof u._tag === "string" ? u._tag : undefined

/**
 * Errors that mean "change the command line or the environment": the
 * runner's `UsageError`, core's `UnknownTenant`, `@effect/cli`'s
 * `ValidationError`s, a `ConfigError`, and missing vendor keys.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isUsageError = (error: unknown): boolean =>
  ValidationError.isValidationError(error) || ConfigError.isConfigError(error) ||
  ["UsageError", "UnknownTenant", "MissingVendorKeys"].includes(tagOf(error) ?? "")

/**
 * The exit code for a command that ended with `cause`: 130 when it was
 * interrupted (and nothing failed), 2 when every failure is a usage error
 * ({@link isUsageError}), 1 otherwise.
 *
 * @since 0.1.0
 * @category rendering
 */
export const exitCode = (cause: Cause.Cause<unknown>): ExitCode => {
  if (Cause.isInterruptedOnly(cause)) return 130
  const failures = Cause.failures(cause)
  if (Cause.isDie(cause) || failures.length === 0) return 1
  return [...failures].every(isUsageError) ? 2 : 1
}

/**
 * `text` with the password of every URL in it (and `password=` settings)
 * replaced by `***`.
 *
 * @since 0.1.0
 * @category rendering
 */
export const maskSecrets = (text: string): string =>
  text
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)[^@/\s]*@/gi, "$1***@")
    .replace(/\b(password|passwd|pwd)=[^\s&;]*/gi, "$1=***")

const oneLine = (text: string): string => maskSecrets(stripAnsi(text)).replace(/\s+/g, " ").trim()

const messageOf = (u: unknown): string => {
  if (typeof u !== "object" || u === null || !("message" in u)) return ""
  const message = (u as { readonly message: unknown }).message
  return typeof message === "string" ? message : ""
}

const causeOf = (u: unknown): unknown =>
  typeof u === "object" && u !== null && "cause" in u ? (u as { readonly cause: unknown }).cause : undefined

const configLeaves = (error: ConfigError.ConfigError): Array<string> => {
  const name = (path: ReadonlyArray<string>) => (path.length === 0 ? "a setting" : path.join("_"))
  switch (error._op) {
    case "And":
      return [...configLeaves(error.left), ...configLeaves(error.right)]
    case "Or":
      return [[...configLeaves(error.left), ...configLeaves(error.right)].join(" or ")]
    case "MissingData":
      return [`${name(error.path)} is not set`]
    case "InvalidData":
      return [`${name(error.path)} ${error.message}`]
    case "SourceUnavailable":
      return [`${name(error.path)} cannot be read: ${error.message}`]
    case "Unsupported":
      return [`${name(error.path)}: ${error.message}`]
  }
}

/** A Node system error (`EADDRINUSE`, `ENOENT`...) as a sentence, when it is one. */
const systemError = (u: unknown): string | undefined => {
  if (typeof u !== "object" || u === null || !("code" in u)) return undefined
  const e = u as { readonly code?: unknown; readonly port?: unknown; readonly address?: unknown; readonly path?: unknown }
  if (e.code === "EADDRINUSE") {
    const port = e.port === undefined ? "the port" : `port ${String(e.port)}`
    const on = e.address === undefined ? "" : ` on ${String(e.address)}`
    return `${port}${on} is in use; give --port or stop the other process`
  }
  if (e.code === "EACCES" && e.port !== undefined) {
    return `no permission to listen on port ${String(e.port)} (ports below 1024 need privileges); give --port`
  }
  if (e.code === "EADDRNOTAVAIL" && e.address !== undefined) {
    return `${String(e.address)} is not an address of this machine; give --host`
  }
  return undefined
}

/** What a cause chain says, innermost last: "a: b: c", each message once. */
const chain = (u: unknown, depth = 0): string => {
  if (u === undefined || u === null || depth > 4) return ""
  const own = systemError(u) ?? (typeof u === "string" ? u : messageOf(u))
  const inner = chain(causeOf(u), depth + 1)
  if (own === "") return inner
  return inner === "" || own.includes(inner) ? own : `${own}: ${inner}`
}

/**
 * One readable line for one error: its message when it has one; for a
 * `ConfigError` each variable with what is wrong with it; for a store error
 * what failed and why, with passwords masked; for a busy port its number
 * and what to do; for `@effect/cli`'s errors their text without colour;
 * otherwise the error's tag and what its cause says. Never empty and never
 * `[object Object]`.
 *
 * @since 0.1.0
 * @category rendering
 */
export const describe = (error: unknown): string => {
  if (ConfigError.isConfigError(error)) return oneLine(configLeaves(error).join("; "))
  if (ValidationError.isValidationError(error)) {
    const text = oneLine(HelpDoc.toAnsiText(error.error))
    return text === "" ? "bad command line (see --help)" : text
  }
  const tag = tagOf(error)
  if (tag === "ServeError") {
    const known = systemError(causeOf(error))
    if (known !== undefined) return oneLine(known)
    const text = chain(causeOf(error))
    return oneLine(text === "" ? "the HTTP server could not start" : `the HTTP server could not start: ${text}`)
  }
  if (tag === "StoreError") {
    const cause = causeOf(error)
    // the embedded database held by another process: its own message says what to do
    if (tagOf(cause) === "DatabaseLocked") return oneLine(messageOf(cause))
    const inner = chain(cause)
    const own = messageOf(error)
    return oneLine(inner === "" || own.includes(inner) ? own : `${own}: ${inner}`)
  }
  if (error instanceof Error || (typeof error === "object" && error !== null)) {
    const text = chain(error)
    if (text !== "") return oneLine(tag === undefined || text.includes(tag) || messageOf(error) !== "" ? text : `${tag}: ${text}`)
    if (tag !== undefined) return tag
    if (error instanceof Error && error.name !== "") return error.name
    const json = safeJson(error)
    return oneLine(json === undefined || json === "{}" ? "unknown error" : json.slice(0, 300))
  }
  const text = oneLine(String(error))
  return text === "" ? "unknown error" : text
}

const safeJson = (u: unknown): string | undefined => {
  try {
    return JSON.stringify(u)
  } catch {
    return undefined
  }
}

/**
 * The lines to print for a command that ended with `cause`, without the
 * `leadgraph: ` prefix: one per failure (`@effect/cli`'s errors excepted,
 * which it prints itself), one per defect (`unexpected error: ...`,
 * followed by its stack with `debug`), none for an interruption.
 *
 * @since 0.1.0
 * @category rendering
 */
export const describeCause = (cause: Cause.Cause<unknown>, options?: { readonly debug?: boolean }): ReadonlyArray<string> => {
  if (Cause.isInterruptedOnly(cause)) return []
  const failures = [...Cause.failures(cause)].filter((e) => !ValidationError.isValidationError(e)).map(describe)
  const defects = [...Cause.defects(cause)].flatMap((defect) => {
    const line = `unexpected error: ${describe(defect)}`
    const stack = options?.debug === true && defect instanceof Error && defect.stack !== undefined
      ? [maskSecrets(defect.stack)]
      : []
    return [line, ...stack]
  })
  const lines = [...new Set(failures), ...defects]
  const printedByCli = [...Cause.failures(cause)].some(ValidationError.isValidationError)
  return lines.length === 0 && !printedByCli ? ["unknown error"] : lines
}
