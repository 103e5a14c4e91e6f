/**
 * Acceptance: `leadgraph companies import` through the real binary, on the
 * embedded database and, with `DATABASE_URL`, on a scratch schema of
 * Postgres. A CSV with a BOM, a website instead of a domain, an
 * internationalised name, the same company again, a row without a
 * name and extra columns; then the same file again, and a JSON Lines file
 * that updates one company; a dry run over them with no vendor key set.
 */
import { Database, StoreLive } from "@leadgraph/adapters"
import { type Company, Store, Tenant } from "@leadgraph/core"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { baseEnv, type Child, cleanUp, scratch, start } from "./cli.js"

const targets = process.env.DATABASE_URL === undefined ? ["pglite"] : ["pglite", "postgres"]
const tenant = Tenant.TenantId.make("importer")

/** Runs `leadgraph <args>` to its end: exit code and stdout lines. */
const cli = async (args: ReadonlyArray<string>, options: { readonly cwd: string; readonly env: NodeJS.ProcessEnv }, children: Array<Child>) => {
  const child = start(args, options)
  children.push(child)
  const code = await child.exited
  return { code, lines: child.lines, stderr: child.stderr() }
}

describe("acceptance: `leadgraph companies import`", () => {
  for (const label of targets) {
    it(`${label}: imports a CSV and a JSON Lines file, names rejected lines, and a second import changes nothing`, async () => {
      const work = mkdtempSync(join(tmpdir(), "lg-import-"))
      const database = label === "postgres" ? await scratch("import", process.env.DATABASE_URL!) : undefined
      const env = { ...baseEnv(), ...(database === undefined ? {} : { DATABASE_URL: database.url }) }
      const children: Array<Child> = []
      try {
        const csv = join(work, "companies.csv")
        writeFileSync(csv, [
          "\uFEFFName,Website,Country,size,CRM owner",
          "Acme GmbH,https://www.acme.example/en/,Germany,51-200,jane",
          "Bücher AG,bücher.example,Switzerland,,",
          ",nameless.example,,,",
          "Acme GmbH,https://www.acme.example/en/,,,jane",
          ""
        ].join("\r\n"))
        const created = await cli(["tokens", "create", "--tenant", tenant, "--create-tenant"], { cwd: work, env }, children)
        expect(created.code, created.stderr).toBe(0)

        const first = await cli(["companies", "import", csv, "--tenant", tenant], { cwd: work, env }, children)
        expect(first.code, first.stderr).toBe(0)
        expect(first.lines).toEqual([
          "3 row(s) accepted, 1 rejected; companies: 2 added, 0 updated, 0 unchanged; 1 row(s) repeated a company above them",
          "  line 4: name is missing"
        ])
        const again = await cli(["companies", "import", csv, "--tenant", tenant], { cwd: work, env }, children)
        expect(again.lines[0]).toBe(
          "3 row(s) accepted, 1 rejected; companies: 0 added, 0 updated, 2 unchanged; 1 row(s) repeated a company above them"
        )

        const jsonl = join(work, "update.jsonl")
        writeFileSync(jsonl, `${JSON.stringify({ name: "Acme GmbH", domain: "acme.example", industry: "robotics" })}\n`)
        const update = await cli(["companies", "import", jsonl, "--tenant", tenant], { cwd: work, env }, children)
        expect(update.lines[0]).toBe("1 row(s) accepted, 0 rejected; companies: 0 added, 1 updated, 0 unchanged")

        // a dry run over the imported companies needs no vendor key (none is set here); a real run names them
        const dry = await cli(["run", "--tenant", tenant, "--dry-run"], { cwd: work, env }, children)
        expect(dry.code, dry.stderr).toBe(0)
        expect(dry.lines.some((l) => l.startsWith("forecast spend"))).toBe(true)
        expect(dry.lines.join("\n")).toContain(`dry run`)
        expect(dry.lines.join("\n")).toContain(`for ${tenant}: 2 companies`)
        const real = await cli(["run", "--tenant", tenant], { cwd: work, env }, children)
        // a usage error: the environment lacks the keys
        expect(real.code).toBe(2)
        expect(real.stderr).toContain("TAVILY_API_KEY")

        const unknown = await cli(["companies", "import", csv, "--tenant", "nobody"], { cwd: work, env }, children)
        expect(unknown.code).toBe(2)
        expect(unknown.stderr).toContain("no tenant \"nobody\"")

        const db = database === undefined
          ? Database.layerEmbedded({ dataDir: join(work, Database.defaultDataDir) })
          : Database.layerUrl({ url: Redacted.make(database.url), maxConnections: 2 })
        const stored = await Effect.runPromise(Effect.gen(function*() {
          const store = (yield* Store.Store).forTenant(tenant)
          return yield* store.companies.findByDomains(["acme.example", "xn--bcher-kva.example"] as Array<Company.Domain>)
        }).pipe(Effect.provide(StoreLive.layer().pipe(Layer.provide(db)))))
        expect(stored.map((c) => [c.domain, c.name, c.country, c.employeeRange, c.industry])).toEqual([
          ["acme.example", "Acme GmbH", "Germany", "51-200", "robotics"],
          ["xn--bcher-kva.example", "Bücher AG", "Switzerland", null, null]
        ])
      } finally {
        await cleanUp(children, "SIGTERM", database, work)
      }
    }, 120_000)
  }
})
