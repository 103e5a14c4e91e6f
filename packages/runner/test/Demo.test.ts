/**
 * The demo keeps its database: a second demo over the same directory finds
 * the first one's runs and takes every company again (`rerun`); `fresh`
 * starts afresh; and the per-tenant progress line is drawn only when asked
 * (a terminal).
 */
import { describe, expect, it } from "@effect/vitest"
import { NodeContext } from "@effect/platform-node"
import { Database, StoreLive } from "@leadgraph/adapters"
import { DemoWorld } from "@leadgraph/adapters/testing"
import { type Nightly, Store } from "@leadgraph/core"
import { Demo } from "@leadgraph/runner"
import { Effect, Layer, Option } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const companiesPerTenant = 3

const demo = (dir: string, options: { readonly fresh?: boolean; readonly progress?: (chunk: string) => void } = {}) =>
  Demo.run({
    companiesPerTenant,
    dataDir: join(dir, "pgdata"),
    outDir: dir,
    print: () => Effect.void,
    ...options
  }).pipe(Effect.scoped, Effect.provide(NodeContext.layer))

/** The runs the store holds for the first demo tenant, by id. */
const stored = (dir: string, ids: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const runs = (yield* Store.Store).forTenant(DemoWorld.tenants[0]!.id).runs
    return yield* Effect.forEach(ids, (id) => Effect.map(runs.get(id as never), Option.isSome))
  }).pipe(Effect.provide(StoreLive.layer().pipe(Layer.provide(Database.layerEmbedded({ dataDir: join(dir, "pgdata") })))))

const runIds = (result: Nightly.Result): ReadonlyArray<string> =>
  result.tenants.flatMap((t) => (t._tag === "Ran" && t.result._tag === "Finished" ? [t.result.runId] : []))

describe("Demo", () => {
  it.live("keeps its database: a second demo reruns over it, --fresh starts afresh; progress only when asked", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "lg-demo-"))
      try {
        const chunks: Array<string> = []
        const first = yield* demo(dir, { progress: (c) => void chunks.push(c) })
        const firstIds = runIds(first)
        expect(firstIds).toHaveLength(2)
        const line = chunks.at(-1)!
        for (const t of DemoWorld.tenants) expect(line).toContain(`${t.id} [`)
        expect(line).toContain(`${companiesPerTenant}/${companiesPerTenant}`)
        expect(line.endsWith("\n")).toBe(true)

        const second = yield* demo(dir)
        for (const t of second.tenants) {
          expect(t._tag === "Ran" && t.result._tag === "Finished" ? t.result.summary.targets.total : -1).toBe(companiesPerTenant)
        }
        expect(yield* stored(dir, [...firstIds, ...runIds(second)].filter((id) => id.startsWith(DemoWorld.tenants[0]!.id)))).toEqual([
          true,
          true
        ])

        yield* demo(dir, { fresh: true })
        expect(yield* stored(dir, firstIds.filter((id) => id.startsWith(DemoWorld.tenants[0]!.id)))).toEqual([false])
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    }), 600_000)
})
