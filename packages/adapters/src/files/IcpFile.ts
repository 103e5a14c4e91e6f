/**
 * Reading an operator's ICP rules file for `IcpSetup.set`: JSON or YAML,
 * chosen by the file's extension (`.json`; `.yaml`, `.yml`) or given. The
 * file is parsed whole (rules files are small) into plain data; checking it
 * against the rule schema is core's. A file that cannot be opened or parsed
 * fails with {@link IcpFileError}, naming the line of a syntax error.
 *
 * @since 0.1.0
 */
import { Effect, Option, Schema } from "effect"
import { readFile } from "node:fs/promises"
import { parse as parseYaml, YAMLParseError } from "yaml"

/**
 * The formats a rules file may be in.
 *
 * @since 0.1.0
 * @category models
 */
export type Format = "json" | "yaml"

/**
 * The largest rules file read, in bytes (1 MiB).
 *
 * @since 0.1.0
 * @category constants
 */
export const maxBytes = 1024 * 1024

/**
 * The file cannot be read: it does not exist (`NotFound`), it cannot be
 * read or is too large (`Unreadable`), its format is not known (`Format`),
 * or it is not valid JSON or YAML (`Syntax`).
 *
 * @since 0.1.0
 * @category errors
 */
export class IcpFileError extends Schema.TaggedError<IcpFileError>()("IcpFileError", {
  path: Schema.String,
  reason: Schema.Literal("NotFound", "Unreadable", "Format", "Syntax"),
  detail: Schema.String
}) {
  override get message(): string {
    return `${this.path}: ${this.detail}`
  }
}

/**
 * A file's format from its name: `.json` is JSON; `.yaml` and `.yml` are
 * YAML.
 *
 * @since 0.1.0
 * @category parsing
 */
export const formatOf = (path: string): Option.Option<Format> => {
  const name = path.toLowerCase()
  if (name.endsWith(".json")) return Option.some("json")
  if (name.endsWith(".yaml") || name.endsWith(".yml")) return Option.some("yaml")
  return Option.none()
}

/**
 * Parses a rules document's text: JSON, or YAML (1.2, a single document).
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (text: string, format: Format, path = "input"): Effect.Effect<unknown, IcpFileError> =>
  Effect.try({
    try: () => format === "json" ? JSON.parse(text.replace(/^\uFEFF/, "")) as unknown : parseYaml(text) as unknown,
    catch: (cause) =>
      new IcpFileError({
        path,
        reason: "Syntax",
        detail: cause instanceof YAMLParseError
          ? `not valid YAML: ${cause.message.split("\n")[0]}`
          : `not valid JSON: ${cause instanceof Error ? cause.message : String(cause)}`
      })
  })

const fileError = (path: string) => (cause: unknown): IcpFileError => {
  const code = typeof cause === "object" && cause !== null && "code" in cause ? String(cause.code) : ""
  return code === "ENOENT"
    ? new IcpFileError({ path, reason: "NotFound", detail: "no such file" })
    : new IcpFileError({ path, reason: "Unreadable", detail: `the file cannot be read${code === "" ? "" : ` (${code})`}` })
}

/**
 * Reads and parses a rules file, in `format` or the one its name says.
 *
 * @since 0.1.0
 * @category reading
 */
export const read = (path: string, format?: Format | undefined): Effect.Effect<unknown, IcpFileError> =>
  Effect.gen(function*() {
    const chosen = format ?? Option.getOrUndefined(formatOf(path))
    if (chosen === undefined) {
      return yield* new IcpFileError({
        path,
        reason: "Format",
        detail: "unknown format: name it .json, .yaml or .yml, or give --format json|yaml"
      })
    }
    const bytes = yield* Effect.tryPromise({ try: () => readFile(path), catch: fileError(path) })
    if (bytes.length > maxBytes) {
      return yield* new IcpFileError({ path, reason: "Unreadable", detail: `larger than ${maxBytes} bytes` })
    }
    return yield* parse(bytes.toString("utf8"), chosen, path)
  }).pipe(Effect.withSpan("IcpFile.read"))
