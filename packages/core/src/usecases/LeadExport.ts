/**
 * The score export as files or HTTP bodies: CSV (RFC 4180: a header row,
 * fields with commas, quotes or line breaks quoted, quotes doubled, formulas
 * neutralised) and JSON
 * (one array, written row by row). Both are streams, so 100,000 rows are
 * never held in memory at once.
 *
 * @since 0.1.0
 */
import type * as Score from "../enrichment/Score.js"
import { Schema, Stream } from "effect"

/**
 * The CSV columns, in order.
 *
 * @since 0.1.0
 * @category constants
 */
export const columns = ["company_id", "name", "domain", "website", "score", "bucket", "rationale", "scored_at"] as const

/**
 * One CSV field, quoted when it has to be. A text that a spreadsheet would
 * read as a formula (it starts with `=`, `+`, `-`, `@`, a tab or a carriage
 * return) is neutralised with a leading `'`, as OWASP's CSV injection
 * advice says, so opening an export never runs what a web page or a vendor
 * put in a company's name or rationale. Numbers are written as they are.
 *
 * @since 0.1.0
 * @category csv
 */
export const csvField = (value: string | number | null): string => {
  if (value === null) return ""
  const s = typeof value === "string" && /^[=+\-@\t\r]/.test(value) ? `'${value}` : String(value)
  return /[",\r\n]/.test(s) ? `"${s.replaceAll("\"", "\"\"")}"` : s
}

/**
 * One CSV line (ending in CRLF).
 *
 * @since 0.1.0
 * @category csv
 */
export const csvLine = (values: ReadonlyArray<string | number | null>): string => `${values.map(csvField).join(",")}\r\n`

/**
 * An export row as CSV values, in {@link columns} order.
 *
 * @since 0.1.0
 * @category csv
 */
export const csvValues = (row: Score.ScoredLead): ReadonlyArray<string | number | null> => [
  row.companyId,
  row.name,
  row.domain,
  row.website,
  row.score,
  row.bucket,
  row.rationale,
  row.scoredAt.toISOString()
]

/**
 * One row of the JSON export.
 *
 * @since 0.1.0
 * @category json
 */
export const Row = Schema.Struct({
  companyId: Schema.String,
  name: Schema.String,
  domain: Schema.String,
  website: Schema.NullOr(Schema.String),
  score: Schema.Number,
  bucket: Schema.Literal("high", "medium", "low"),
  rationale: Schema.NullOr(Schema.String),
  scoredAt: Schema.String
})

/**
 * @since 0.1.0
 * @category json
 */
export type Row = typeof Row.Type

/**
 * An export row as JSON.
 *
 * @since 0.1.0
 * @category json
 */
export const jsonRow = (row: Score.ScoredLead): Row => ({
  companyId: row.companyId,
  name: row.name,
  domain: row.domain,
  website: row.website,
  score: row.score,
  bucket: row.bucket,
  rationale: row.rationale,
  scoredAt: row.scoredAt.toISOString()
})

/**
 * The rows as CSV text, header first.
 *
 * @since 0.1.0
 * @category csv
 */
export const csv = <E, R>(rows: Stream.Stream<Score.ScoredLead, E, R>): Stream.Stream<string, E, R> =>
  Stream.concat(Stream.make(csvLine(columns)), Stream.map(rows, (row) => csvLine(csvValues(row))))

/**
 * The rows as one JSON array, an element per chunk.
 *
 * @since 0.1.0
 * @category json
 */
export const json = <E, R>(rows: Stream.Stream<Score.ScoredLead, E, R>): Stream.Stream<string, E, R> =>
  Stream.suspend(() => {
    let n = 0
    return Stream.concat(
      Stream.map(rows, (row) => `${n++ === 0 ? "[\n" : ",\n"}${JSON.stringify(jsonRow(row))}`),
      Stream.sync(() => (n === 0 ? "[]\n" : "\n]\n"))
    )
  })
