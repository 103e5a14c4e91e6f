#!/usr/bin/env node
// Fails when the sources have an import cycle (conventions: "madge or lint
// catches import cycles"). Uses madge with the root tsconfig, so the `.js`
// specifiers of relative imports resolve to the `.ts` files and the
// `@leadgraph/*` paths resolve to the other packages' sources: a cycle across
// packages is found too.
//
// Only runtime imports count: `import type` / `export type` edges are erased
// by the compiler and cannot make a module see another half-initialised. The
// cycles that go through type-only imports are listed as a note, not a
// failure.
//
// Usage: node scripts/check-cycles.mjs [dir ...]   (default: packages/*/src)
import { existsSync, readdirSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import madge from "madge"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const dirs = process.argv.slice(2).length > 0
  ? process.argv.slice(2).map((d) => resolve(d))
  : readdirSync(join(root, "packages"))
    .map((p) => join(root, "packages", p, "src"))
    .filter((d) => existsSync(d))

const cycles = async (skipTypeImports) => {
  const graph = await madge(dirs, {
    fileExtensions: ["ts"],
    tsConfig: join(root, "tsconfig.json"),
    detectiveOptions: {
      ts: { skipTypeImports },
      tsx: { skipTypeImports }
    }
  })
  return graph.circular()
}

const show = (cycle) => `  ${[...cycle, cycle[0]].join(" -> ")}`

const started = performance.now()
const runtime = await cycles(true)
const all = await cycles(false)
const key = (c) => [...c].sort().join("\0")
const runtimeKeys = new Set(runtime.map(key))
const typeOnly = all.filter((c) => !runtimeKeys.has(key(c)))
const where = dirs.map((d) => relative(root, d) || ".").join(", ")
const took = `${Math.round(performance.now() - started)} ms`

if (typeOnly.length > 0) {
  console.log(`note: ${typeOnly.length} cycle(s) only through \`import type\` (not a failure):`)
  for (const c of typeOnly) console.log(show(c))
}
if (runtime.length > 0) {
  console.error(`check:cycles: ${runtime.length} import cycle(s) in ${where}:`)
  for (const c of runtime) console.error(show(c))
  process.exit(1)
}
console.log(`check:cycles: no import cycle in ${where} (${took})`)
