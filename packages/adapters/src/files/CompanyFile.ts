/**
 * Reading an operator's company file, row by row, for `CompanyImport`: CSV
 * (a header row, then one company per record; `csv-parse`, so quoted
 * fields, embedded newlines and a byte-order mark are handled) or JSON Lines
 * (one JSON object per line). The file is streamed, never read whole: a
 * file of any length imports in constant memory.
 *
 * A record that cannot be read (a CSV record with a broken quote, a line
 * that is not a JSON object) becomes a rejection with its line number; the
 * rows after it are still read. A file that cannot be opened fails with
 * {@link CompanyFileError}.
 *
 * @since 0.1.0
 */
import type { CompanyImport } from "@leadgraph/core"
import { parse } from "csv-parse"
import { Either, Option, Schema, Stream } from "effect"
import { open } from "node:fs/promises"
import { createInterface } from "node:readline"
import { Readable } from "node:stream"

/**
 * The formats a company file may be in.
 *
 * @since 0.1.0
 * @category models
 */
export type Format = "csv" | "jsonl"

/**
 * The file cannot be read: it does not exist (`NotFound`), it cannot be
 * opened or read (`Unreadable`), or its format is not known (`Format`).
 *
 * @since 0.1.0
 * @category errors
 */
export class CompanyFileError extends Schema.TaggedError<CompanyFileError>()("CompanyFileError", {
  path: Schema.String,
  reason: Schema.Literal("NotFound", "Unreadable", "Format"),
  detail: Schema.String
}) {
  override get message(): string {
    return `${this.path}: ${this.detail}`
  }
}

/**
 * A file's format from its name: `.csv` is CSV; `.jsonl`, `.ndjson` and
 * `.json` are JSON Lines.
 *
 * @since 0.1.0
 * @category parsing
 */
export const formatOf = (path: string): Option.Option<Format> => {
  const name = path.toLowerCase()
  if (name.endsWith(".csv")) return Option.some("csv")
  if (name.endsWith(".jsonl") || name.endsWith(".ndjson") || name.endsWith(".json")) return Option.some("jsonl")
  return Option.none()
}

/** A read error as the file's error. */
const fileError = (path: string) => (cause: unknown): CompanyFileError => {
  const code = typeof cause === "object" && cause !== null && "code" in cause ? String(cause.code) : ""
  return code === "ENOENT"
    ? new CompanyFileError({ path, reason: "NotFound", detail: "no such file" })
    : new CompanyFileError({
      path,
      reason: "Unreadable",
      detail: code === "" ? "the file cannot be read" : `the file cannot be read (${code})`
    })
}

type Read = Either.Either<CompanyImport.Row, CompanyImport.Rejected>

/** The file opened for reading (so a missing file fails here, not in a pipe), and its first read error, if any. */
const openFile = async (path: string) => {
  const input = (await open(path, "r")).createReadStream()
  const failed: { error?: unknown } = {}
  input.on("error", (error) => void (failed.error ??= error))
  return { input, failed }
}

/** Where rows are read from: a file opened, or bytes in memory. */
type Source = () => Promise<{ readonly input: Readable; readonly failed: { error?: unknown } }>

/** CSV records with their line numbers; a record that cannot be parsed is a rejection, and reading goes on. */
const csvRows = (source: Source): AsyncIterable<Read> => ({
  async *[Symbol.asyncIterator]() {
    const skipped: Array<Read> = []
    const { failed, input } = await source()
    const parser = input.pipe(parse({
      bom: true,
      columns: (header: Array<string>) => header.map((h) => h.trim()),
      skip_empty_lines: true,
      relax_column_count: true,
      skip_records_with_error: true,
      info: true,
      on_skip: (error) => {
        const line = (error as { readonly lines?: number } | undefined)?.lines ?? 0
        skipped.push(Either.left({ line, reason: `not a CSV record: ${error?.message ?? "unreadable"}` }))
      }
    }))
    input.on("error", (error) => parser.destroy(error))
    for await (const { info, record } of parser as AsyncIterable<{ readonly info: { readonly lines: number }; readonly record: Record<string, string> }>) {
      while (skipped.length > 0) yield skipped.shift()!
      yield Either.right({ line: info.lines, fields: record })
    }
    while (skipped.length > 0) yield skipped.shift()!
    if (failed.error !== undefined) throw failed.error
  }
})

/** JSON Lines with their line numbers; blank lines are skipped, a line that is not a JSON object is a rejection. */
const jsonRows = (source: Source): AsyncIterable<Read> => ({
  async *[Symbol.asyncIterator]() {
    const { failed, input } = await source()
    const lines = createInterface({ input, crlfDelay: Infinity })
    input.on("error", () => lines.close())
    let line = 0
    for await (const text of lines) {
      line++
      if (text.trim() === "") continue
      let value: unknown
      try {
        value = JSON.parse(line === 1 ? text.replace(/^\uFEFF/, "") : text)
      } catch {
        yield Either.left({ line, reason: "not JSON" })
        continue
      }
      yield typeof value === "object" && value !== null && !Array.isArray(value)
        ? Either.right({ line, fields: value as Record<string, unknown> })
        : Either.left({ line, reason: "not a JSON object" })
    }
    if (failed.error !== undefined) throw failed.error
  }
})

/**
 * The rows of a company file, in order, streamed (for
 * `CompanyImport.run`). The format is given, or taken from the file's
 * name ({@link formatOf}).
 *
 * @since 0.1.0
 * @category reading
 */
export const rows = (
  path: string,
  format?: Format
): Stream.Stream<Either.Either<CompanyImport.Row, CompanyImport.Rejected>, CompanyFileError> => {
  const chosen = format ?? Option.getOrUndefined(formatOf(path))
  if (chosen === undefined) {
    return Stream.fail(
      new CompanyFileError({ path, reason: "Format", detail: "unknown format: name the file .csv or .jsonl, or give the format" })
    )
  }
  const source = () => openFile(path)
  return Stream.fromAsyncIterable(chosen === "csv" ? csvRows(source) : jsonRows(source), fileError(path))
}

/**
 * The rows of a company file already in memory (an HTTP request's body),
 * in order, as {@link rows} reads them from a file.
 *
 * @since 0.1.0
 * @category reading
 */
export const rowsOfBytes = (
  bytes: Uint8Array | string,
  format: Format,
  name = "body"
): Stream.Stream<Either.Either<CompanyImport.Row, CompanyImport.Rejected>, CompanyFileError> => {
  const source = () => Promise.resolve({ input: Readable.from([Buffer.from(bytes)]), failed: {} })
  return Stream.fromAsyncIterable(format === "csv" ? csvRows(source) : jsonRows(source), fileError(name))
}
