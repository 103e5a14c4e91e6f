/**
 * What the pipeline benchmark's database does: the statements and
 * transactions `pg` sends (the client under `@effect/sql-pg`, for PGlite
 * and Postgres alike), the most frequent statements by text, and PGlite's
 * busy time. Patches `pg.Client.prototype.query` and
 * `PGlite.prototype.execProtocolRawStream` in the process that calls the
 * `patch` functions (the benchmark's child).
 */
import { PGlite } from "@electric-sql/pglite"
import { createRequire } from "node:module"
import { performance } from "node:perf_hooks"

/** PGlite's busy time: the socket server runs every statement through `execProtocolRawStream`, one at a time. */
export const pgliteBusy = { millis: 0, calls: 0 }
export const patchPglite = () => {
  const proto = PGlite.prototype as unknown as Record<string, (...args: Array<unknown>) => Promise<unknown>>
  const original = proto.execProtocolRawStream
  if (original === undefined) return false
  proto.execProtocolRawStream = async function(this: unknown, ...args: Array<unknown>) {
    const t0 = performance.now()
    try {
      return await original.apply(this, args)
    } finally {
      pgliteBusy.millis += performance.now() - t0
      pgliteBusy.calls++
    }
  }
  return true
}

/** SQL statements the run sends (through `pg`, under `@effect/sql-pg`), and its transactions. */
export const sqlCount = { statements: 0, transactions: 0 }
/** Statements by their text (whitespace collapsed, first 120 characters). */
export const sqlTexts = new Map<string, number>()
export const patchPg = () => {
  // the CommonJS module behind the `pg` that @effect/sql-pg imports (no types installed)
  const pg = createRequire(import.meta.url)("pg") as { readonly Client: { readonly prototype: unknown } }
  const proto = pg.Client.prototype as unknown as { query: (...args: Array<unknown>) => unknown }
  const original = proto.query
  proto.query = function(this: unknown, ...args: Array<unknown>) {
    const config = args[0] as string | { readonly text?: string } | undefined
    const text = typeof config === "string" ? config : config?.text ?? ""
    sqlCount.statements++
    const head = text.slice(0, 240).replace(/\s+/g, " ").trim().slice(0, 120)
    sqlTexts.set(head, (sqlTexts.get(head) ?? 0) + 1)
    if (/^\s*BEGIN/i.test(text)) sqlCount.transactions++
    return original.apply(this, args)
  }
}

/** Runs one statement on a connection of its own (the schema's owner dropping it). */
export const runAs = async (url: string, statement: string): Promise<void> => {
  type Client = { connect(): Promise<void>; query(text: string): Promise<unknown>; end(): Promise<void> }
  const pg = createRequire(import.meta.url)("pg") as { readonly Client: new(o: { connectionString: string }) => Client }
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(statement)
  } finally {
    await client.end()
  }
}
