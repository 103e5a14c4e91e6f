/**
 * Vitest global setup: points `LEADGRAPH_TEST_PGLITE_TEMPLATE` at a dump
 * of a migrated PGlite, so each in-memory database of `TestDatabases`
 * starts from it (about 1 s) instead of being created and migrated again
 * (4 to 7 s). The dump is kept in `node_modules/.cache/leadgraph`, named
 * by a hash of the migrations' sources and PGlite's version, so it is
 * made again (about 10 s) only when one of those changes; older dumps are
 * removed then. A template already set in the environment is left as it is.
 */
import { createHash } from "node:crypto"
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..")
const store = join(root, "packages", "adapters", "src", "store")
const cache = join(root, "node_modules", ".cache", "leadgraph")

/** What the dump depends on: the migrations' sources and PGlite's package.json. */
const fingerprint = (): string => {
  const hash = createHash("sha256")
  const migrations = join(store, "migrations")
  const files = [
    join(store, "Migrations.ts"),
    ...readdirSync(migrations).sort().map((name) => join(migrations, name)),
    join(root, "node_modules", "@electric-sql", "pglite", "package.json")
  ]
  for (const file of files) hash.update(file.slice(root.length)).update("\u0000").update(readFileSync(file)).update("\u0000")
  return hash.digest("hex").slice(0, 16)
}

export default async function setup(): Promise<void> {
  if ((process.env["LEADGRAPH_TEST_PGLITE_TEMPLATE"] ?? "") !== "") return
  const name = `pglite-template-${fingerprint()}.tar`
  const path = join(cache, name)
  if (!existsSync(path)) {
    mkdirSync(cache, { recursive: true })
    // imported only here: loading the packages takes seconds
    const [{ TestDatabases }, { Effect }] = await Promise.all([import("@leadgraph/adapters/testing"), import("effect")])
    await Effect.runPromise(TestDatabases.writeTemplate(path))
    for (const old of readdirSync(cache)) {
      if (old.startsWith("pglite-template-") && old !== name) rmSync(join(cache, old), { force: true })
    }
  }
  process.env["LEADGRAPH_TEST_PGLITE_TEMPLATE"] = path
}
