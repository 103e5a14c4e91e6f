/**
 * Migration 18: what processes on one database coordinate through, besides
 * budgets and run locks. Neither table has a tenant: they hold no tenant
 * data, only the state of limits every process shares, so they are not
 * under row-level security; the application role may read, add and change
 * rows, never delete them or change the tables.
 *
 * `leadgraph_rate_limits`: one row per limiter key (a vendor and the
 * fingerprint of its API key, never the key itself), for the Postgres store
 * of `@effect/experimental`'s `RateLimiter` (`RateLimiterStoreSql`): a token
 * bucket (`tokens` at `refilled_at`, negative while callers wait for their
 * turn) and a fixed window (`window_count` until `window_expires_at`).
 *
 * `leadgraph_host_leases`: one row per crawled host (`SharedPoliteness`):
 * who holds its turn (`holder`, until `lease_until`, renewed while the
 * request runs, so a holder killed outright blocks the host no longer than
 * its lease), when its last request ended (`last_end_at`) and the longest
 * `Crawl-delay` a process last read for it (`crawl_delay_ms`).
 *
 * Three functions (SECURITY INVOKER, fixed `search_path`, executable by the
 * application role only) take a turn in one round trip, under the row's
 * lock, with the database's clock unless a time is passed (tests pass the
 * `TestClock`'s): `leadgraph_rate_limit_bucket` and
 * `leadgraph_rate_limit_window` (the store's two algorithms) and
 * `leadgraph_host_acquire` (a host's turn, or how long to wait for it:
 * negative while another process holds it, positive during the gap).
 *
 * @since 0.1.0
 * @internal
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

const ident = (name: string): string => `"${name.replace(/"/g, "\"\"")}"`

/**
 * The tables this migration adds.
 *
 * @internal
 */
export const tables = ["leadgraph_rate_limits", "leadgraph_host_leases"] as const

/**
 * The functions this migration adds.
 *
 * @internal
 */
export const functions = [
  "leadgraph_rate_limit_bucket(text, double precision, double precision, double precision, boolean, timestamptz)",
  "leadgraph_rate_limit_window(text, integer, double precision, integer, timestamptz)",
  "leadgraph_host_acquire(text, text, double precision, double precision, timestamptz)"
] as const

const millis = (expression: string) => `(extract(epoch FROM ${expression}) * 1000)::double precision`

/** @internal */
export const make = (appRole: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql.unsafe(`CREATE TABLE IF NOT EXISTS leadgraph_rate_limits (
      key text PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 300),
      tokens double precision,
      refilled_at timestamptz,
      window_count integer,
      window_expires_at timestamptz,
      updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
    )`)
    yield* sql.unsafe(`CREATE TABLE IF NOT EXISTS leadgraph_host_leases (
      host text PRIMARY KEY CHECK (length(host) BETWEEN 1 AND 300),
      holder text,
      lease_until timestamptz,
      last_end_at timestamptz,
      crawl_delay_ms integer NOT NULL DEFAULT 0 CHECK (crawl_delay_ms >= 0),
      updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
    )`)
    for (const table of tables) {
      yield* sql.unsafe(`REVOKE ALL ON ${table} FROM PUBLIC`)
      yield* sql.unsafe(`GRANT SELECT, INSERT, UPDATE ON ${table} TO ${ident(appRole)}`)
    }
    const [here] = yield* sql<{ schema: string }>`SELECT current_schema() AS schema`
    const fn = `LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = pg_catalog, ${ident(here!.schema)}, pg_temp`

    // A continuous token bucket: `limit` tokens at most, one more every
    // `refill_ms`. Returns the tokens left after taking `p_tokens`: negative
    // when the caller has to wait (-remaining * refill_ms, exactly, since the
    // fraction is kept), and then stored only with `p_overflow` (the caller
    // waits for its turn; later callers queue behind it).
    yield* sql.unsafe(`CREATE OR REPLACE FUNCTION leadgraph_rate_limit_bucket(
        p_key text, p_tokens double precision, p_limit double precision, p_refill_ms double precision,
        p_overflow boolean, p_now timestamptz) RETURNS double precision ${fn} AS $$
      DECLARE
        v_now timestamptz := coalesce(p_now, clock_timestamp());
        v_tokens double precision;
        v_at timestamptz;
        v_level double precision;
        v_next double precision;
      BEGIN
        INSERT INTO leadgraph_rate_limits (key) VALUES (p_key) ON CONFLICT (key) DO NOTHING;
        SELECT r.tokens, r.refilled_at INTO v_tokens, v_at FROM leadgraph_rate_limits r WHERE r.key = p_key FOR UPDATE;
        IF v_tokens IS NULL OR v_at IS NULL THEN
          v_tokens := p_limit;
          v_at := v_now;
        END IF;
        v_level := least(p_limit, v_tokens + greatest(0, ${millis("v_now - v_at")}) / p_refill_ms);
        v_next := v_level - p_tokens;
        IF v_next >= 0 OR p_overflow THEN
          UPDATE leadgraph_rate_limits SET tokens = v_next, refilled_at = greatest(v_at, v_now),
            updated_at = clock_timestamp() WHERE key = p_key;
        END IF;
        RETURN CASE WHEN v_next >= 0 THEN floor(v_next) ELSE v_next END;
      END $$`)

    // A fixed window, as @effect/experimental's memory and Redis stores keep
    // it: the count and the milliseconds until the window expires.
    yield* sql.unsafe(`CREATE OR REPLACE FUNCTION leadgraph_rate_limit_window(
        p_key text, p_tokens integer, p_refill_ms double precision, p_limit integer, p_now timestamptz,
        OUT count integer, OUT ttl_ms double precision) ${fn} AS $$
      DECLARE
        v_now timestamptz := coalesce(p_now, clock_timestamp());
        v_count integer;
        v_expires timestamptz;
      BEGIN
        INSERT INTO leadgraph_rate_limits (key) VALUES (p_key) ON CONFLICT (key) DO NOTHING;
        SELECT r.window_count, r.window_expires_at INTO v_count, v_expires
          FROM leadgraph_rate_limits r WHERE r.key = p_key FOR UPDATE;
        IF v_count IS NULL OR v_expires IS NULL OR v_expires <= v_now THEN
          v_count := 0;
          v_expires := v_now;
        END IF;
        IF p_limit IS NOT NULL AND v_count + p_tokens > p_limit THEN
          count := v_count + p_tokens;
          ttl_ms := ${millis("v_expires - v_now")};
          RETURN;
        END IF;
        v_count := v_count + p_tokens;
        v_expires := v_expires + make_interval(secs => p_refill_ms * p_tokens / 1000);
        UPDATE leadgraph_rate_limits SET window_count = v_count, window_expires_at = v_expires,
          updated_at = clock_timestamp() WHERE key = p_key;
        count := v_count;
        ttl_ms := ${millis("v_expires - v_now")};
      END $$`)

    // A host's turn: 0 when `p_holder` now holds it for `p_lease_ms`;
    // negative while another holds it (minus the milliseconds its lease has
    // left: it may end sooner); positive while the host is in its gap after
    // the last request (the milliseconds until the gap ends: the larger of
    // `p_gap_ms` and the host's Crawl-delay). A lease that ran out counts as
    // a request that ended when the lease did.
    yield* sql.unsafe(`CREATE OR REPLACE FUNCTION leadgraph_host_acquire(
        p_host text, p_holder text, p_lease_ms double precision, p_gap_ms double precision, p_now timestamptz)
        RETURNS double precision ${fn} AS $$
      DECLARE
        v_now timestamptz := coalesce(p_now, clock_timestamp());
        v_row leadgraph_host_leases%ROWTYPE;
        v_ended timestamptz;
        v_ready timestamptz;
      BEGIN
        INSERT INTO leadgraph_host_leases (host) VALUES (p_host) ON CONFLICT (host) DO NOTHING;
        SELECT * INTO v_row FROM leadgraph_host_leases l WHERE l.host = p_host FOR UPDATE;
        IF v_row.holder IS NOT NULL AND v_row.lease_until > v_now THEN
          RETURN -greatest(1, ${millis("v_row.lease_until - v_now")});
        END IF;
        v_ended := CASE WHEN v_row.holder IS NULL THEN v_row.last_end_at
          ELSE greatest(v_row.last_end_at, v_row.lease_until) END;
        IF v_ended IS NOT NULL THEN
          v_ready := v_ended + make_interval(secs => greatest(p_gap_ms, v_row.crawl_delay_ms) / 1000);
          IF v_ready > v_now THEN
            RETURN greatest(1, ${millis("v_ready - v_now")});
          END IF;
        END IF;
        UPDATE leadgraph_host_leases SET holder = p_holder,
          lease_until = v_now + make_interval(secs => p_lease_ms / 1000),
          last_end_at = v_ended, updated_at = clock_timestamp() WHERE host = p_host;
        RETURN 0;
      END $$`)
    for (const f of functions) {
      yield* sql.unsafe(`REVOKE ALL ON FUNCTION ${f} FROM PUBLIC`)
      yield* sql.unsafe(`GRANT EXECUTE ON FUNCTION ${f} TO ${ident(appRole)}`)
    }
  })
