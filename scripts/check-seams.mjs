#!/usr/bin/env node
// Fails when a library's main entry reaches test code: no module that
// `@leadgraph/adapters` or `@leadgraph/core` loads (runtime imports, followed
// through the packages) may live under a `testing/` folder. Fakes, fixture
// data and test databases are reached only through
// `@leadgraph/adapters/testing`, so production bundles do not carry them.
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import madge from "madge"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const entries = ["packages/core/src/index.ts", "packages/adapters/src/index.ts"]
let failed = false
for (const entry of entries) {
  const graph = await madge(join(root, entry), {
    fileExtensions: ["ts"],
    tsConfig: join(root, "tsconfig.json"),
    detectiveOptions: { ts: { skipTypeImports: true } }
  })
  const tree = graph.obj()
  const base = dirname(join(root, entry))
  const reached = Object.keys(tree).map((f) => relative(root, resolve(base, f)))
  const testing = reached.filter((f) => /(^|\/)testing\//.test(f))
  if (testing.length > 0) {
    failed = true
    console.error(`check:seams: ${entry} loads test code:`)
    for (const f of testing) {
      const by = Object.entries(tree).filter(([, deps]) => deps.some((d) => relative(root, resolve(base, d)) === f))
        .map(([from]) => relative(root, resolve(base, from)))
      console.error(`  ${f} (imported by ${by.join(", ")})`)
    }
  } else {
    console.log(`check:seams: ${entry} loads ${reached.length} modules, none under testing/`)
  }
}
process.exit(failed ? 1 : 0)
