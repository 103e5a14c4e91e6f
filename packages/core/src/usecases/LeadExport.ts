/**
 * The score export as files or HTTP bodies: CSV (RFC 4180: a header row,
 * fields with commas, quotes or line breaks quoted, quotes doubled, formulas
 * neutralised; written by `csv-stringify`, the `csv` project's writer) and JSON
 * (one array, written row by row). Both are streams, so 100,000 rows are
 * never held in memory at once.
 *
 * @since 0.1.0
 */
import type * as Score from "../enrichment/Score.js"
import * as CsvStringify from "csv-stringify/sync"
import { Chunk, Schema, Stream } from "effect"

/**
 * The CSV columns, in order.
 *
 * @since 0.1.0
 * @category constants
 */
export const columns = ["company_id", "name", "domain", "website", "score", "bucket", "rationale", "scored_at"] as const

/** `csv-stringify`'s options for the export; see {@link csv}. */
const options: CsvStringify.Options = {
  record_delimiter: "\r\n",
  // the library quotes a lone CR or LF only when told to once the record
  // delimiter is set; RFC 4180 and spreadsheets need them quoted
  quote_record_delimiter: true,
  escape_formulas: true
}

/**
 * One CSV field, quoted when it has to be and neutralised when a spreadsheet
 * would read it as a formula (see {@link csv}).
 *
 * @since 0.1.0
 * @category csv
 */
export const csvField = (value: string | number | null): string => CsvStringify.stringify([[value]], { ...options, eof: false })

/**
 * One CSV line (ending in CRLF).
 *
 * @since 0.1.0
 * @category csv
 */
export const csvLine = (values: ReadonlyArray<string | number | null>): string => csvLines([values])

/** Several CSV lines at once, each ending in CRLF; nothing for no lines. */
const csvLines = (lines: ReadonlyArray<ReadonlyArray<string | number | null>>): string =>
  lines.length === 0 ? "" : CsvStringify.stringify(lines as Array<Array<string | number | null>>, options)

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
 * The rows as CSV text, header first, written by `csv-stringify`: CRLF line
 * ends (RFC 4180), a field quoted only when it holds a comma, a quote or a
 * line break, and the library's `escape_formulas`: a text that a spreadsheet
 * would run as a formula (it starts with `=`, `+`, `-`, `@`, a tab or a
 * carriage return, or the full-width `＝`, `＋`, `－`, `＠` some spreadsheets
 * read as them) gets a leading `'`, as OWASP's CSV injection advice says, so
 * opening an export never runs what a web page or a vendor put in a
 * company's name or rationale. Numbers are written as they are. Each chunk
 * of rows is written in one call, so the rows stream through.
 *
 * @since 0.1.0
 * @category csv
 */
export const csv = <E, R>(rows: Stream.Stream<Score.ScoredLead, E, R>): Stream.Stream<string, E, R> =>
  Stream.concat(
    Stream.make(csvLine(columns)),
    // one text per chunk of rows (a page of the store's export), written by
    // the library in one call: the rows stream through, never all at once
    Stream.mapChunks(rows, (chunk) =>
      Chunk.isEmpty(chunk) ? Chunk.empty() : Chunk.of(csvLines(Chunk.toReadonlyArray(Chunk.map(chunk, csvValues)))))
  )

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
