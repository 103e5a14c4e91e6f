#!/usr/bin/env node
// Writes a package's declarations: tsc (tsconfig.build.json) into dist/dts,
// then a CommonJS twin (.d.cts) of each file whose relative imports point at
// the other twins, so `require` consumers get types for what they load.
// Run from the package folder.
import { spawnSync } from "node:child_process"
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { join } from "node:path"

const out = "dist/dts"
rmSync(out, { recursive: true, force: true })
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc")
const r = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { stdio: "inherit" })
if (r.status !== 0) process.exit(r.status ?? 1)

const walk = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? walk(path) : [path]
  })
let count = 0
for (const file of walk(out).filter((f) => f.endsWith(".d.ts"))) {
  const text = readFileSync(file, "utf8").replace(
    /(from\s+|import\s*\(\s*)(["'])(\.{1,2}\/[^"']+)\.js\2/g,
    (_, lead, quote, path) => `${lead}${quote}${path}.cjs${quote}`
  )
  writeFileSync(file.replace(/\.d\.ts$/, ".d.cts"), text)
  count++
}
console.log(`declarations: ${count} files (.d.ts and .d.cts) in ${out}`)
