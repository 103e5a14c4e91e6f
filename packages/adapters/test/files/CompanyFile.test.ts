import { describe, expect, it } from "@effect/vitest"
import { CompanyFile } from "@leadgraph/adapters"
import { Chunk, Effect, Either, Stream } from "effect"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const dir = mkdtempSync(join(tmpdir(), "company-file-"))
const file = (name: string, text: string) => {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}
const read = (path: string, format?: CompanyFile.Format) =>
  Effect.map(Stream.runCollect(CompanyFile.rows(path, format)), Chunk.toReadonlyArray)

describe("CompanyFile.rows", () => {
  it.effect("reads CSV records with their line numbers: a BOM, quoted fields over two lines, a broken record skipped", () =>
    Effect.gen(function*() {
      const path = file("companies.csv", [
        "\uFEFFname , domain,country,CRM owner",
        "Acme,acme.example,Germany,jane",
        "\"Beta, Inc.\",beta.example,\"United",
        "States\",",
        "Bad,\"bad.example,x",
        ""
      ].join("\n"))
      const rows = yield* read(path)
      expect(rows[0]).toEqual(Either.right({
        line: 2,
        fields: { name: "Acme", domain: "acme.example", country: "Germany", "CRM owner": "jane" }
      }))
      expect(rows[1]).toEqual(Either.right({
        line: 4,
        fields: { name: "Beta, Inc.", domain: "beta.example", country: "United\nStates", "CRM owner": "" }
      }))
      expect(rows).toHaveLength(3)
      expect(Either.isLeft(rows[2]!)).toBe(true)
    }))

  it.effect("reads JSON Lines: blank lines skipped, a line that is not a JSON object rejected with its number", () =>
    Effect.gen(function*() {
      const path = file("companies.jsonl", [
        JSON.stringify({ name: "Acme", domain: "acme.example", employees: 120 }),
        "",
        "{not json",
        "[1, 2]",
        JSON.stringify({ name: "Beta", website: "https://beta.example" })
      ].join("\r\n"))
      expect(yield* read(path)).toEqual([
        Either.right({ line: 1, fields: { name: "Acme", domain: "acme.example", employees: 120 } }),
        Either.left({ line: 3, reason: "not JSON" }),
        Either.left({ line: 4, reason: "not a JSON object" }),
        Either.right({ line: 5, fields: { name: "Beta", website: "https://beta.example" } })
      ])
    }))

  it.effect("a missing file or an unknown format fails with a CompanyFileError naming the file", () =>
    Effect.gen(function*() {
      const missing = yield* Effect.flip(read(join(dir, "nope.csv")))
      expect(missing).toMatchObject({ _tag: "CompanyFileError", reason: "NotFound" })
      expect(missing.message).toBe(`${join(dir, "nope.csv")}: no such file`)
      const unknown = yield* Effect.flip(read(file("companies.txt", "name\n")))
      expect(unknown.reason).toBe("Format")
      expect(yield* read(file("companies.txt", "name,domain\nA,a.example\n"), "csv")).toHaveLength(1)
    }))
})
