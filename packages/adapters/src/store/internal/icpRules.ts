/**
 * The ICP rules repository: rules upserted by name (`icp_rules`), and whole
 * rule sets made active as numbered versions (`icp_rule_versions`).
 *
 * @internal
 */
import { IcpRule } from "@leadgraph/core"
import type { Store } from "@leadgraph/core"
import { Effect, Option, Schema } from "effect"
import { batched, type Context, count, lastByKey } from "./shared.js"

const decodeRules = Schema.decodeUnknown(Schema.Array(Schema.typeSchema(IcpRule.IcpRule)))

interface VersionRow {
  readonly version: number
  readonly rules: unknown
  readonly set_at: Date | string
}

/** @internal */
export const icpRules = ({ run, sql, tenantId }: Context): Store.IcpRules => {
  const upsert = (rules: ReadonlyArray<IcpRule.IcpRule>) =>
    batched(lastByKey(rules, (r) => r.name), (chunk) =>
      sql<{ n: number }>`WITH w AS (
        INSERT INTO icp_rules ${
        sql.insert(chunk.map((r) => ({
          tenant_id: tenantId,
          name: r.name,
          criteria: JSON.stringify(r.criteria),
          weight: r.weight,
          active: r.active
        })))
      }
        ON CONFLICT (tenant_id, name) DO UPDATE SET
          criteria = excluded.criteria, weight = excluded.weight, active = excluded.active, updated_at = now()
        WHERE (icp_rules.criteria, icp_rules.weight, icp_rules.active)
          IS DISTINCT FROM (excluded.criteria, excluded.weight, excluded.active)
        RETURNING 1
      ) SELECT count(*)::int AS n FROM w`.pipe(Effect.map(count)))

  const versionOf = (row: VersionRow) =>
    Effect.map(decodeRules(row.rules), (rules): IcpRule.RulesVersion => ({
      version: row.version,
      setAt: new Date(row.set_at),
      rules
    }))

  return {
    save: (rules) => run("icpRules.save", upsert(rules)),
    listActive: Effect.suspend(() =>
      run(
        "icpRules.listActive",
        sql`SELECT name, criteria, weight, active FROM icp_rules
          WHERE tenant_id = ${tenantId} AND active ORDER BY name`.pipe(Effect.flatMap(decodeRules))
      )
    ),
    replace: (rules) =>
      run(
        "icpRules.replace",
        Effect.gen(function*() {
          const sorted = lastByKey(rules, (r) => r.name).slice().sort((a, b) =>
            a.name < b.name ? -1 : a.name > b.name ? 1 : 0
          )
          const json = JSON.stringify(sorted)
          // one setter at a time per tenant: the next version number is taken under this lock
          yield* sql`SELECT 1 FROM tenants WHERE id = ${tenantId} FOR UPDATE`
          const [latest] = yield* sql<{ version: number; same: boolean }>`SELECT version,
              rules = ${json}::jsonb AS same
            FROM icp_rule_versions WHERE tenant_id = ${tenantId} ORDER BY version DESC LIMIT 1`
          if (latest !== undefined && latest.same) return { version: latest.version, changed: false }
          const version = (latest?.version ?? 0) + 1
          yield* sql`INSERT INTO icp_rule_versions (tenant_id, version, rules)
            VALUES (${tenantId}, ${version}, ${json}::jsonb)`
          yield* sql`DELETE FROM icp_rules WHERE tenant_id = ${tenantId}`
          if (sorted.length > 0) yield* upsert(sorted)
          return { version, changed: true }
        })
      ),
    version: (version) =>
      run(
        "icpRules.version",
        (version === undefined
          ? sql<VersionRow>`SELECT version, rules, set_at FROM icp_rule_versions
            WHERE tenant_id = ${tenantId} ORDER BY version DESC LIMIT 1`
          : sql<VersionRow>`SELECT version, rules, set_at FROM icp_rule_versions
            WHERE tenant_id = ${tenantId} AND version = ${version}`).pipe(
            Effect.flatMap((rows) =>
              rows[0] === undefined ? Effect.succeedNone : Effect.map(versionOf(rows[0]), Option.some)
            )
          )
      )
  }
}
