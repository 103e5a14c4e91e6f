#!/usr/bin/env node
// Fails, listing file:line, when library code reads the environment
// (conventions 7 and anti-pattern 2: `Config` is read only in `layerConfig`
// and in the runner). `process.env` is allowed in packages/runner/src, tests,
// bench, scripts and examples; this checks packages/core/src and
// packages/adapters/src.
//
// It parses each file with the TypeScript compiler (already a devDependency),
// so a `process.env` inside a comment or a string is not reported, and it
// catches `process.env`, `process?.env`, `process["env"]`,
// `globalThis.process.env`, `const { env } = process` and
// `import { env } from "node:process"` (and `p.env` after
// `import * as p from "node:process"`).
//
// Usage: node scripts/check-env.mjs [dir ...]   (default: the two dirs above)
import { readdirSync, readFileSync, statSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const dirs = process.argv.slice(2).length > 0
  ? process.argv.slice(2).map((d) => resolve(d))
  : ["packages/core/src", "packages/adapters/src"].map((d) => join(root, d))

const walk = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return name === "node_modules" ? [] : walk(path)
    return /\.(c|m)?tsx?$/.test(name) && !name.endsWith(".d.ts") ? [path] : []
  })

// `process`, plus any local name bound to the module by
// `import p from "node:process"` or `import * as p from "node:process"`.
let processNames = new Set(["process"])
const isProcess = (node) =>
  (ts.isIdentifier(node) && processNames.has(node.text)) ||
  (ts.isPropertyAccessExpression(node) && node.name.text === "process" &&
    ts.isIdentifier(node.expression) && node.expression.text === "globalThis")

const isEnvName = (node) =>
  ts.isIdentifier(node) ? node.text === "env" : ts.isStringLiteralLike(node) && node.text === "env"

const findings = []
for (const file of dirs.flatMap(walk)) {
  const text = readFileSync(file, "utf8")
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
  processNames = new Set(["process"])
  for (const s of source.statements) {
    if (!ts.isImportDeclaration(s) || !ts.isStringLiteral(s.moduleSpecifier)) continue
    if (!["process", "node:process"].includes(s.moduleSpecifier.text)) continue
    const named = s.importClause?.namedBindings
    if (s.importClause?.name) processNames.add(s.importClause.name.text)
    if (named && ts.isNamespaceImport(named)) processNames.add(named.name.text)
  }
  const report = (node, what) => {
    const { line } = source.getLineAndCharacterOfPosition(node.getStart(source))
    findings.push(`${relative(process.cwd(), file)}:${line + 1}: ${what}`)
  }
  const visit = (node) => {
    if (ts.isPropertyAccessExpression(node) && node.name.text === "env" && isProcess(node.expression)) {
      report(node, node.getText(source))
    } else if (
      ts.isElementAccessExpression(node) && isProcess(node.expression) && isEnvName(node.argumentExpression)
    ) {
      report(node, node.getText(source))
    } else if (
      ts.isVariableDeclaration(node) && node.initializer && isProcess(node.initializer) &&
      ts.isObjectBindingPattern(node.name) &&
      node.name.elements.some((e) => isEnvName(e.propertyName ?? e.name))
    ) {
      report(node, `destructures env from process`)
    } else if (
      ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier) &&
      ["process", "node:process"].includes(node.moduleSpecifier.text)
    ) {
      const named = node.importClause?.namedBindings
      const importsEnv = named && ts.isNamedImports(named) &&
        named.elements.some((e) => (e.propertyName ?? e.name).text === "env")
      if (importsEnv) report(node, `imports env from "${node.moduleSpecifier.text}"`)
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
}

const where = dirs.map((d) => relative(root, d) || ".").join(", ")
if (findings.length > 0) {
  console.error(`check:env: process.env is read only in packages/runner (and tests, bench, scripts, examples):`)
  for (const f of findings) console.error(`  ${f}`)
  process.exit(1)
}
console.log(`check:env: no process.env in ${where}`)
