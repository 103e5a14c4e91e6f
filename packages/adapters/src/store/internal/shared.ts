/**
 * What the repositories share: the scope runner they are built with, and
 * batching.
 *
 * @internal
 */
import type { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import type { Store, Tenant } from "@leadgraph/core"
import { Array as Arr, Effect } from "effect"
import type { ParseResult } from "effect"

/**
 * Runs one repository operation in the tenant's scope (a transaction as the
 * application role), translating its errors and tracing it.
 *
 * @internal
 */
export type Run = <A>(
  operation: string,
  effect: Effect.Effect<A, SqlError | ParseResult.ParseError | Store.StoreError>
) => Effect.Effect<A, Store.StoreError>

/** @internal */
export interface Context {
  readonly sql: SqlClient.SqlClient
  readonly tenantId: Tenant.TenantId
  readonly run: Run
}

/**
 * Rows per multi-row statement. Rows travel as one array parameter per
 * column (`unnest`), so a statement has a handful of parameters whatever
 * its size, and Postgres parses it once.
 *
 * @internal
 */
export const batchSize = 5000

/**
 * One array per column, for `unnest(...)`.
 *
 * @internal
 */
export const column = <A, B>(rows: ReadonlyArray<A>, f: (a: A) => B): Array<B> => rows.map(f)

/**
 * Writes `rows` in multi-row statements of at most {@link batchSize} rows and
 * sums what each reports written.
 *
 * @internal
 */
export const batched = <A, E>(
  rows: ReadonlyArray<A>,
  write: (chunk: ReadonlyArray<A>) => Effect.Effect<number, E>
): Effect.Effect<{ readonly written: number }, E> =>
  rows.length === 0
    ? Effect.succeed({ written: 0 })
    : Effect.reduce(Arr.chunksOf(rows, batchSize), 0, (n, chunk) => Effect.map(write(chunk), (m) => n + m)).pipe(
      Effect.map((written) => ({ written }))
    )

/**
 * Keeps the last row for each key: one multi-row upsert may not touch a row
 * twice.
 *
 * @internal
 */
export const lastByKey = <A>(rows: ReadonlyArray<A>, key: (a: A) => string): ReadonlyArray<A> => {
  const map = new Map<string, A>()
  for (const row of rows) {
    const k = key(row)
    map.delete(k)
    map.set(k, row)
  }
  return Array.from(map.values())
}

/** @internal */
export const count = (rows: ReadonlyArray<{ readonly n: number }>): number => rows[0]?.n ?? 0
