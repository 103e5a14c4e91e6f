/**
 * Importing a tenant's companies from an operator's file: each row (from a
 * CSV or JSON Lines reader, with its line number) becomes a company, or is
 * rejected with its line and a reason while the others go on.
 *
 * A row gives `name` and `domain` or `website` (the domain is taken from
 * the website when it is missing), and optionally `country`, `size` (the
 * employee range, for example `51-200`) and `industry`; column names are
 * matched without regard to case or surrounding spaces. Every other
 * non-empty column is kept as one of the company's `attributes`. Domains
 * are normalised (`Company.normalizeDomain`: scheme, `www.`, case,
 * trailing dots, internationalised names as punycode).
 *
 * @since 0.1.0
 */
import { Chunk, Effect, Either, ParseResult, Schema, Stream } from "effect"
import * as Company from "../enrichment/Company.js"
import type { StoreError, TenantStore } from "../enrichment/Store.js"

/**
 * One row of an import file: its line number (1-based, as an editor shows
 * it) and its fields by column name.
 *
 * @since 0.1.0
 * @category models
 */
export interface Row {
  readonly line: number
  readonly fields: Readonly<Record<string, unknown>>
}

/**
 * A row that cannot be used: its line and why.
 *
 * @since 0.1.0
 * @category models
 */
export interface Rejected {
  readonly line: number
  readonly reason: string
}

/**
 * A usable row: the company it gives, and its other columns.
 *
 * @since 0.1.0
 * @category models
 */
export interface Accepted {
  readonly line: number
  readonly company: Company.CompanyInput
  readonly attributes: Readonly<Record<string, string>>
}

/**
 * The columns a row is read from; any other column is an attribute.
 *
 * @since 0.1.0
 * @category constants
 */
export const columns = ["name", "domain", "website", "country", "size", "industry"] as const

/** A field's text: trimmed, `null` when empty or absent; numbers and booleans as written. */
const textOf = (value: unknown): string | null => {
  if (value === null || value === undefined) return null
  if (typeof value === "string") return value.trim() === "" ? null : value.trim()
  if (typeof value === "number" || typeof value === "boolean") return String(value)
  return JSON.stringify(value)
}

const decodeDomain = Schema.decodeUnknownEither(Company.Domain)
const longest = 200

/** A value quoted for a message, cut when long. */
const quoted = (value: string): string => JSON.stringify(value.length > longest ? `${value.slice(0, longest)}…` : value)

/**
 * Reads one row: a company, or the reason it cannot be imported (no name,
 * no domain or website, a domain that is not one).
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseRow = (row: Row): Either.Either<Accepted, Rejected> => {
  const fields = new Map<string, string>()
  const attributes: Record<string, string> = {}
  for (const [key, value] of Object.entries(row.fields)) {
    const name = key.trim().toLowerCase()
    const text = textOf(value)
    if (text === null) continue
    if ((columns as ReadonlyArray<string>).includes(name)) fields.set(name, text)
    else attributes[key.trim()] = text
  }
  const reject = (reason: string) => Either.left<Rejected>({ line: row.line, reason })
  const name = fields.get("name")
  if (name === undefined) return reject("name is missing")
  const website = fields.get("website") ?? null
  const given = fields.get("domain") ?? website
  if (given === null) return reject("domain or website is missing")
  const domain = decodeDomain(Company.normalizeDomain(given))
  if (Either.isLeft(domain)) return reject(`${quoted(given)} is not a domain name`)
  const company = Schema.decodeUnknownEither(Company.CompanyInput)({
    name,
    domain: domain.right,
    website,
    country: fields.get("country") ?? null,
    employeeRange: fields.get("size") ?? null,
    industry: fields.get("industry") ?? null
  })
  if (Either.isLeft(company)) return reject(ParseResult.TreeFormatter.formatErrorSync(company.left))
  return Either.right({ line: row.line, company: company.right, attributes })
}

/**
 * Merges rows that name a company an earlier row of the same list named,
 * in order, as writing them one after the other would
 * (`Company.overlay`), attributes merged. Returns one row per company (at its
 * first line) and how many rows were merged into an earlier one.
 *
 * @since 0.1.0
 * @category parsing
 */
export const mergeRepeats = (
  rows: ReadonlyArray<Accepted>
): { readonly rows: ReadonlyArray<Accepted>; readonly repeated: number } => {
  const byDomain = new Map<string, Accepted>()
  for (const row of rows) {
    const before = byDomain.get(row.company.domain)
    if (before === undefined) {
      byDomain.set(row.company.domain, row)
      continue
    }
    byDomain.set(row.company.domain, {
      line: before.line,
      company: Company.overlay(before.company, row.company),
      attributes: { ...before.attributes, ...row.attributes }
    })
  }
  return { rows: [...byDomain.values()], repeated: rows.length - byDomain.size }
}

/**
 * What an import did: rows `accepted` and `rejected` (with the first
 * rejections, {@link defaults}`.examples`, and their reasons); companies
 * `added`, `updated` and left `unchanged` by the accepted rows; and rows
 * `repeated`: merged into a company an earlier row of the same batch named
 * (see {@link mergeRepeats}).
 *
 * @since 0.1.0
 * @category models
 */
export interface Summary {
  readonly accepted: number
  readonly rejected: number
  readonly added: number
  readonly updated: number
  readonly unchanged: number
  readonly repeated: number
  readonly rejections: ReadonlyArray<Rejected>
}

/**
 * Defaults: rows are written 1,000 at a time; 20 rejections are kept as
 * examples.
 *
 * @since 0.1.0
 * @category defaults
 */
export const defaults = { batchSize: 1_000, examples: 20 } as const

/**
 * Imports a stream of rows (a reader's rows, or its rejections of lines it
 * could not read) into a tenant's companies, `batchSize` rows at a time, so
 * memory stays flat however long the file. Rows are read with
 * {@link parseRow}; a domain that comes again updates what the earlier row
 * wrote (fields it gives win, fields it leaves empty are kept), merged in
 * memory within a batch ({@link mergeRepeats}) so each batch is one write.
 * Importing the same file again adds and updates nothing, unless the file
 * itself gives one domain two different values in different batches (the
 * later row wins each time).
 *
 * @since 0.1.0
 * @category running
 */
export const run = <E, R>(
  tenant: TenantStore,
  rows: Stream.Stream<Either.Either<Row, Rejected>, E, R>,
  options?: { readonly batchSize?: number | undefined; readonly examples?: number | undefined }
): Effect.Effect<Summary, E | StoreError, R> => {
  const examples = options?.examples ?? defaults.examples
  const empty: Summary = { accepted: 0, rejected: 0, added: 0, updated: 0, unchanged: 0, repeated: 0, rejections: [] }
  return rows.pipe(
    Stream.grouped(Math.max(1, options?.batchSize ?? defaults.batchSize)),
    Stream.runFoldEffect(empty, (total, chunk) =>
      Effect.gen(function*() {
        const accepted: Array<Accepted> = []
        const rejected: Array<Rejected> = []
        for (const read of Chunk.toReadonlyArray(chunk)) {
          const parsed = Either.flatMap(read, parseRow)
          if (Either.isRight(parsed)) accepted.push(parsed.right)
          else rejected.push(parsed.left)
        }
        const merged = mergeRepeats(accepted)
        const done = merged.rows.length === 0
          ? { added: 0, updated: 0, unchanged: 0 }
          : yield* tenant.companies.importMany(merged.rows)
        return {
          accepted: total.accepted + accepted.length,
          rejected: total.rejected + rejected.length,
          added: total.added + done.added,
          updated: total.updated + done.updated,
          unchanged: total.unchanged + done.unchanged,
          repeated: total.repeated + merged.repeated,
          rejections: total.rejections.length >= examples
            ? total.rejections
            : [...total.rejections, ...rejected.slice(0, examples - total.rejections.length)]
        }
      }))
  )
}

/**
 * A summary for people: the counts on one line, then each example
 * rejection on its own (`line 17: name is missing`).
 *
 * @since 0.1.0
 * @category rendering
 */
export const text = (summary: Summary): string => {
  const n = (x: number) => x.toLocaleString("en-US")
  const repeated = summary.repeated === 0 ? "" : `; ${n(summary.repeated)} row(s) repeated a company above them`
  const head = `${n(summary.accepted)} row(s) accepted, ${n(summary.rejected)} rejected; companies: ` +
    `${n(summary.added)} added, ${n(summary.updated)} updated, ${n(summary.unchanged)} unchanged${repeated}`
  const more = summary.rejected - summary.rejections.length
  return [
    head,
    ...summary.rejections.map((r) => `  line ${r.line}: ${r.reason}`),
    ...(more > 0 ? [`  … and ${n(more)} more`] : [])
  ].join("\n")
}
