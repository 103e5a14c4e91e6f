/**
 * Acceptance: the README's road from the demo to a tenant of one's own,
 * through the real binary, command by command as a newcomer types them.
 * On the embedded database it starts with `demo` (whose database the later
 * commands share); with `DATABASE_URL`, on a scratch schema of Postgres,
 * without the demo (the demo always runs embedded). Then: the fake world
 * (`fakes`, with its fixture companies written as a CSV), `tenants add`,
 * `companies import`, `icp set` from the YAML example, `odoo connect` to the
 * fake Odoo and `odoo test`, a dry run, a run, `runs`, `runs show` and
 * `report` to an HTML file.
 */
import { describe, expect, it } from "@effect/vitest"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { baseEnv, type Child, cleanUp, scratch, start, startFakes } from "./cli.js"

const targets = process.env.DATABASE_URL === undefined ? ["pglite"] : ["pglite", "postgres"]
const rules = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "examples", "icp-rules.yaml")
const tenant = "my-company"

describe("acceptance: from the demo to one's own tenant", () => {
  for (const label of targets) {
    it(`${label}: import, ICP rules, Odoo, dry run, run, runs and the report, as the README shows`, async () => {
      const work = mkdtempSync(join(tmpdir(), "lg-newcomer-"))
      const database = label === "postgres" ? await scratch("newcomer", process.env.DATABASE_URL!) : undefined
      const base: NodeJS.ProcessEnv = { ...baseEnv(), ...(database === undefined ? {} : { DATABASE_URL: database.url }) }
      const children: Array<Child> = []
      const cli = async (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = base) => {
        const child = start(args, { cwd: work, env })
        children.push(child)
        const code = await child.exited
        const text = child.lines.join("\n")
        expect(code, `leadgraph ${args.join(" ")}: ${child.stderr()}`).toBe(0)
        return text
      }
      try {
        if (database === undefined) {
          const demo = await cli(["demo", "--companies", "4"])
          expect(demo).toContain("acme-industrial")
          expect(await cli(["runs"])).toMatch(/acme-industrial/)
        }

        const csv = join(work, "companies.csv")
        const { env: fakesEnv, fakes } = await startFakes(["--companies", "6", "--companies-out", csv], { cwd: work, env: base })
        children.push(fakes)
        const env: NodeJS.ProcessEnv = { ...base, ...fakesEnv }
        expect(readFileSync(csv, "utf8").split("\r\n")[0]).toBe("name,website")

        expect(await cli(["tenants", "add", tenant, "--name", "My Company"], env)).toContain(`added tenant ${tenant}`)
        expect(await cli(["companies", "import", csv, "--tenant", tenant], env)).toContain(
          "6 row(s) accepted, 0 rejected; companies: 6 added"
        )
        expect(await cli(["icp", "set", rules, "--tenant", tenant], env)).toMatch(/version 1/)
        expect(await cli(["icp", "show", "--tenant", tenant], env)).toContain("\"name\": \"Industrial\"")
        await cli([
          "odoo",
          "connect",
          "--tenant",
          tenant,
          "--url",
          env["LEADGRAPH_FAKE_ODOO_URL"]!,
          "--db",
          env["LEADGRAPH_FAKE_ODOO_DATABASE"]!,
          "--login",
          env["LEADGRAPH_FAKE_ODOO_LOGIN"]!,
          "--secret-ref",
          "env:LEADGRAPH_FAKE_ODOO_PASSWORD"
        ], env)
        expect(await cli(["odoo", "test", "--tenant", tenant], env)).toMatch(/version/i)
        expect(await cli(["tenants", "list"], env)).toMatch(new RegExp(`${tenant} +My Company +active`))

        const dry = await cli(["run", "--tenant", tenant, "--dry-run"], env)
        expect(dry).toContain(`for ${tenant}: 6 companies`)
        const ran = await cli(["run", "--tenant", tenant], env)
        expect(ran).toContain(tenant)

        const listed = (await cli(["runs", "--tenant", tenant], env)).split("\n")
        expect(listed[0]).toMatch(/^run +tenant +day +status/)
        expect(listed).toHaveLength(2)
        const [runId, runTenant, , status, done] = listed[1]!.split(/ +/)
        expect([runTenant, done]).toEqual([tenant, "6/6"])
        expect(["succeeded", "partial"]).toContain(status)

        expect(await cli(["runs", "show", runId!], env)).toContain(runId)
        const out = join(work, "report.html")
        expect(await cli(["report", runId!, "--out", out], env)).toBe(`wrote ${out}`)
        const html = readFileSync(out, "utf8")
        expect(html).toMatch(/^<!doctype html>/i)
        expect(html).toContain(tenant)
        expect(html.match(/<svg/g)?.length ?? 0).toBeGreaterThanOrEqual(5)
        expect(html).not.toMatch(/<(script|link)[^>]+(src|href)=["']https?:/i)
      } finally {
        await cleanUp(children, "SIGTERM", database, work)
      }
    }, 300_000)
  }
})
