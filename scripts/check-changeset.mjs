#!/usr/bin/env node
// Passes when there is release information for the packages' current state:
// either at least one pending changeset in .changeset/ (any .md besides
// README.md), or the changesets were already applied by `changeset version`
// (every public package's CHANGELOG.md has a heading for its current version).
//
// This is deliberately simple: it needs no base branch, so it also runs on a
// single-branch clone. It cannot tell whether *this* change carries its own
// changeset (that needs a diff against the base branch: `changeset status
// --since=<base>` in a PR workflow), so it is not part of `npm run check`.
//
// Usage: node scripts/check-changeset.mjs [repo-root]
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), ".."))
const dir = join(root, ".changeset")

const pending = existsSync(dir)
  ? readdirSync(dir).filter((f) => f.endsWith(".md") && f.toLowerCase() !== "readme.md")
  : []
if (pending.length > 0) {
  console.log(`check:changeset: ${pending.length} pending changeset(s): ${pending.join(", ")}`)
  process.exit(0)
}

const workspaces = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).workspaces ?? []
const unreleased = []
for (const ws of workspaces) {
  const manifest = join(root, ws, "package.json")
  if (!existsSync(manifest)) continue
  const { name, version, private: isPrivate } = JSON.parse(readFileSync(manifest, "utf8"))
  if (isPrivate) continue
  const changelog = join(root, ws, "CHANGELOG.md")
  const text = existsSync(changelog) ? readFileSync(changelog, "utf8") : ""
  const heading = new RegExp(`^##\\s+${version.replace(/\./g, "\\.")}\\s*$`, "m")
  if (!heading.test(text)) unreleased.push(`${name}@${version}`)
}
if (unreleased.length > 0) {
  console.error(
    `check:changeset: no pending changeset in .changeset/ and no CHANGELOG entry for ${unreleased.join(", ")}.\n` +
      `Add one with \`npx changeset\`.`
  )
  process.exit(1)
}
console.log("check:changeset: no pending changeset; every public package's version has its CHANGELOG entry")
