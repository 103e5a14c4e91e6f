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
 * Splits accepted rows into batches whose domains are distinct, keeping
 * their order: a domain seen again starts a new batch, so a later row
 * updates what the earlier one wrote.
 *
 * @since 0.1.0
 * @category parsing
 */
export const distinctBatches = (rows: ReadonlyArray<Accepted>): ReadonlyArray<ReadonlyArray<Accepted>> => {
  const batches: Array<Array<Accepted>> = []
  let current: Array<Accepted> = []
  let seen = new Set<string>()
  for (const row of rows) {
    if (seen.has(row.company.domain)) {
      batches.push(current)
      current = []
      seen = new Set()
    }
    seen.add(row.company.domain)
    current.push(row)
  }
  if (current.length > 0) batches.push(current)
  return batches
}

/**
 * What an import did: rows accepted (companies `added`, `updated` and left
 * `unchanged`) and `rejected`, with the first rejections ({@link defaults}
 * `.examples`) and their reasons.
 *
 * @since 0.1.0
 * @category models
 */
export interface Summary {
  readonly accepted: number
  readonly added: number
  readonly updated: number
  readonly unchanged: number
  readonly rejected: number
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
 * wrote (fields it gives win, fields it leaves empty are kept). Importing
 * the same file again adds and updates nothing, unless the file itself
 * gives one domain two different values (the later row wins each time).
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
  const empty: Summary = { accepted: 0, added: 0, updated: 0, unchanged: 0, rejected: 0, rejections: [] }
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
        let { added, unchanged, updated } = total
        for (const batch of distinctBatches(accepted)) {
          const done = yield* tenant.companies.importMany(batch)
          added += done.added
          updated += done.updated
          unchanged += done.unchanged
        }
        return {
          accepted: total.accepted + accepted.length,
          added,
          updated,
          unchanged,
          rejected: total.rejected + rejected.length,
          rejections: total.rejections.length >= examples
            ? total.rejections
            : [...total.rejections, ...rejected.slice(0, examples - total.rejections.length)]
        }
      }))
  )
}
