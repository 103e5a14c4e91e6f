/**
 * What an operator sees from the real binary, through pipes: results on
 * stdout, one readable `leadgraph: ...` line per error on stderr, exit
 * codes (2 for usage errors, 1 for failures), and no ANSI code anywhere
 * when the output is not a terminal or `NO_COLOR` is set.
 */
import { mkdtempSync } from "node:fs"
import { createServer, type Server } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { baseEnv, type Child, cleanUp, start } from "./cli.js"

const work = mkdtempSync(join(tmpdir(), "lg-cli-output-"))
const children: Array<Child> = []

afterAll(() => cleanUp(children, "SIGTERM", undefined, work))

const leadgraph = async (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = {}) => {
  const child = start(args, { cwd: work, env: { ...baseEnv(), ...env } })
  children.push(child)
  const code = await child.exited
  return { code, out: child.lines.join("\n"), errors: child.logs.filter((l) => !l.startsWith("{")), stderr: child.stderr() }
}

const noAnsi = (text: string) => expect(text).not.toContain("\x1b[")

describe("acceptance: the CLI's output through pipes", () => {
  it("--help on stdout, without colour (piped, and with NO_COLOR)", async () => {
    for (const env of [{}, { NO_COLOR: "1" }]) {
      const help = await leadgraph(["run", "--help"], env)
      expect(help.code).toBe(0)
      expect(help.out).toContain("USAGE")
      expect(help.out).toContain("Environment: DATABASE_URL")
      noAnsi(help.out)
      noAnsi(help.stderr)
    }
  }, 240_000)

  it("usage errors: one line, exit 2", async () => {
    for (const args of [["graph", "--bogus"], ["run", "--limit", "abc"], ["bogus"]]) {
      const r = await leadgraph(args)
      expect(r.code, args.join(" ")).toBe(2)
      expect(r.out).toBe("")
      expect(r.errors.filter((l) => l.trim() !== ""), r.stderr).toHaveLength(1)
      expect(r.stderr).not.toContain("[object Object]")
      noAnsi(r.stderr)
    }
    const keys = await leadgraph(["run", "--tenant", "acme"], { LUSHA_API_KEY: "lusha-secret" })
    expect(keys.code).toBe(2)
    expect(keys.errors).toEqual([
      "leadgraph: vendor keys not set: TAVILY_API_KEY, ZEROBOUNCE_API_KEY, OPENAI_API_KEY (a real run needs every vendor's key; a dry run needs none)"
    ])
    expect(keys.stderr).not.toContain("lusha-secret")
    const setting = await leadgraph(["nightly"], { SCHED_TENANT_CONCURRENCY: "0" })
    expect(setting.code).toBe(2)
    expect(setting.errors).toEqual(["leadgraph: SCHED_TENANT_CONCURRENCY must be a whole number of at least 1"])
  }, 240_000)

  it("a busy port: its number and what to do, exit 1", async () => {
    const blocker: Server = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve))
    const port = (blocker.address() as { port: number }).port
    try {
      const r = await leadgraph(["serve", "--port", String(port)])
      expect(r.code, r.stderr).toBe(1)
      expect(r.errors).toEqual([`leadgraph: port ${port} on 127.0.0.1 is in use; give --port or stop the other process`])
      noAnsi(r.stderr)
    } finally {
      await new Promise((resolve) => blocker.close(resolve))
    }
  }, 240_000)
})
