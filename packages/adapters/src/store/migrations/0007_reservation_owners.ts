/**
 * Migration 7: budget reservations belong to owners, and are settled, not
 * deleted.
 *
 * - `budget_owners`: one row per owner of a ledger (a run in a process):
 *   its tenant, run, process, the day it counts, and `lease_until`, which
 *   the owner extends while it lives. A tenant table (row-level security,
 *   forced).
 * - `budget_reservations.owner_id`: the owner that made the reservation.
 *   Reservations made before this migration have none; they are settled as
 *   spent once their `reserved_until` has passed (at once when they have
 *   none), never released.
 * - `budget_reservations.settled_at`, `settled_as` and `used`: a
 *   reservation is open while `settled_at` is null; closing it records how
 *   (`committed` or `released` by its owner, or `in_flight_at_crash` when
 *   its owner died while it was open) and what its owner reported using
 *   (null when it never reported).
 * - `budget_ledger.in_flight_at_crash`: how many reservations of that
 *   tenant, budget and day were settled as in flight at a crash.
 *
 * @since 0.1.0
 * @internal
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { isolate } from "./0002_security.js"

/**
 * The tenant tables this migration adds.
 *
 * @internal
 */
export const tenantTables = ["budget_owners"] as const

/** @internal */
export const make = (appRole: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql.unsafe(`CREATE TABLE IF NOT EXISTS budget_owners (
      id uuid PRIMARY KEY,
      tenant_id text NOT NULL CHECK (tenant_id <> ''),
      run_id text,
      process text NOT NULL,
      day date NOT NULL,
      started_at timestamptz NOT NULL,
      lease_until timestamptz NOT NULL
    )`)
    yield* sql.unsafe(`CREATE INDEX IF NOT EXISTS budget_owners_tenant_idx ON budget_owners (tenant_id, lease_until)`)
    yield* sql.unsafe(`ALTER TABLE budget_reservations
      ADD COLUMN IF NOT EXISTS owner_id uuid REFERENCES budget_owners (id),
      ADD COLUMN IF NOT EXISTS settled_at timestamptz,
      ADD COLUMN IF NOT EXISTS settled_as text,
      ADD COLUMN IF NOT EXISTS used double precision`)
    yield* sql.unsafe(`ALTER TABLE budget_reservations DROP CONSTRAINT IF EXISTS budget_reservations_settled_check`)
    yield* sql.unsafe(`ALTER TABLE budget_reservations ADD CONSTRAINT budget_reservations_settled_check CHECK (
      (settled_at IS NULL AND settled_as IS NULL AND used IS NULL)
      OR (settled_at IS NOT NULL AND settled_as IN ('committed', 'released', 'in_flight_at_crash')
        AND (used IS NULL OR used >= 0)))`)
    yield* sql.unsafe(`CREATE INDEX IF NOT EXISTS budget_reservations_open_idx
      ON budget_reservations (tenant_id, budget) WHERE settled_at IS NULL`)
    yield* sql.unsafe(`ALTER TABLE budget_ledger ADD COLUMN IF NOT EXISTS in_flight_at_crash integer NOT NULL DEFAULT 0
      CHECK (in_flight_at_crash >= 0)`)
    for (const table of tenantTables) yield* isolate(table, appRole)
  })
