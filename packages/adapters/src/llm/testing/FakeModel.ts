/**
 * The fake model behind the fake OpenAI server and the in-memory LLM Layer:
 * it answers a JSON schema with a value that conforms to it, derived
 * deterministically from the text it was given, and counts tokens the way
 * a tokenizer roughly would (about four characters a token).
 *
 * Derivation: a property `employees` takes the value of a line
 * `employees: 120` in the text when there is one (case and `_`/space
 * insensitive); enums take the first option the text mentions; nullable
 * properties the text says nothing about are `null`; everything else is
 * drawn from a generator seeded by the text, so the same text always gives
 * the same answer.
 *
 * @internal
 */
import * as Prng from "../../internal/testing/Prng.js"
import type { Node } from "../internal/strict.js"

const isNode = (u: unknown): u is Node => typeof u === "object" && u !== null && !Array.isArray(u)

/** Tokens a text counts for (ceil of characters / 4). @internal */
export const tokensOf = (text: string): number => Math.ceil(text.length / 4)

/**
 * Prompt tokens of a request as the fake counts them: 3 per request, 4 per
 * message plus its text, plus the response schema's JSON.
 *
 * @internal
 */
export const promptTokens = (messages: ReadonlyArray<{ readonly content: string }>, schema: unknown): number =>
  3 + messages.reduce((n, m) => n + 4 + tokensOf(m.content), 0) + (schema === undefined ? 0 : tokensOf(JSON.stringify(schema)))

const normalize = (s: string) => s.toLowerCase().replace(/[\s_-]+/g, "")

const lineValues = (text: string): Map<string, string> => {
  const out = new Map<string, string>()
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([A-Za-z][A-Za-z0-9 _-]{0,40}?)\s*[:=]\s*(.+?)\s*$/.exec(line)
    if (m && !out.has(normalize(m[1]!))) out.set(normalize(m[1]!), m[2]!)
  }
  return out
}

const typesOf = (node: Node): Array<string> =>
  Array.isArray(node.type) ? node.type.map(String) : typeof node.type === "string" ? [node.type] : []

/**
 * A value conforming to `schema` (a strict JSON schema), derived from `text`.
 *
 * @internal
 */
export const generate = (schema: Node, text: string, seed: string): unknown => {
  const prng = Prng.make(Prng.hash(`${seed}\u0000${text}`))
  const lines = lineValues(text)
  const words = text.split(/[^\p{L}\p{N}@.&'-]+/u).filter((w) => w.length > 1)
  const lower = text.toLowerCase()

  const resolve = (node: Node): Node => {
    if (typeof node.$ref === "string" && isNode(schema.$defs)) {
      const target = schema.$defs[node.$ref.replace("#/$defs/", "")]
      return isNode(target) ? resolve(target) : node
    }
    return node
  }

  const phrase = (min = 1, max = 4) => {
    if (words.length === 0) return "unknown"
    const start = Prng.int(prng, 0, words.length - 1)
    return words.slice(start, start + Prng.int(prng, min, max)).join(" ")
  }

  const number = (node: Node, integer: boolean, given: string | undefined): number => {
    const low = typeof node.minimum === "number" ? node.minimum : -Infinity
    const high = typeof node.maximum === "number" ? node.maximum : Infinity
    const parsed = given === undefined ? Number.NaN : Number(given.replace(/[,_\s]/g, ""))
    if (Number.isFinite(parsed) && parsed >= low && parsed <= high && (!integer || Number.isInteger(parsed))) return parsed
    const min = Number.isFinite(low) ? low : 0
    const max = Number.isFinite(high) ? high : Math.max(min, 1000)
    const x = min + prng() * (max - min)
    return integer ? Math.min(max, Math.ceil(x)) : Math.round(x * 100) / 100
  }

  const value = (raw: Node, name: string): unknown => {
    const node = resolve(raw)
    const given = lines.get(normalize(name))
    if (node.const !== undefined) return node.const
    if (Array.isArray(node.anyOf)) {
      const branches = node.anyOf.filter(isNode).map(resolve)
      const nonNull = branches.filter((b) => b.type !== "null")
      if (nonNull.length < branches.length && (given === undefined || /^(null|none|n\/a|unknown)$/i.test(given))) {
        return null
      }
      return value(nonNull[0] ?? {}, name)
    }
    const types = typesOf(node)
    if (types.includes("null") && given === undefined) return null
    if (Array.isArray(node.enum) && node.enum.length > 0) {
      const options = node.enum as Array<unknown>
      const mentioned = options.find((o) => typeof o === "string" && (given ?? lower).toLowerCase().includes(o.toLowerCase()))
      return mentioned ?? options[Prng.int(prng, 0, options.length - 1)]
    }
    const type = types.find((t) => t !== "null") ?? (isNode(node.properties) ? "object" : "string")
    switch (type) {
      case "object": {
        const props = isNode(node.properties) ? node.properties : {}
        return Object.fromEntries(Object.entries(props).map(([k, child]) => [k, value(isNode(child) ? child : {}, k)]))
      }
      case "array": {
        const item = isNode(node.items) ? node.items : {}
        const min = typeof node.minItems === "number" ? node.minItems : 0
        const max = typeof node.maxItems === "number" ? node.maxItems : 3
        const parts = given?.split(/\s*[,;]\s*/).filter((p) => p !== "") ?? []
        const itemType = typesOf(resolve(item))
        if (parts.length >= min && parts.length > 0 && itemType.includes("string")) return parts.slice(0, max)
        return Array.from({ length: Prng.int(prng, Math.max(min, 1), Math.max(min, Math.min(max, 3))) }, () => value(item, name))
      }
      case "integer":
        return number(node, true, given)
      case "number":
        return number(node, false, given)
      case "boolean":
        return given === undefined ? prng() < 0.5 : /^(true|yes|y|1)$/i.test(given)
      default: {
        let s = given ?? phrase()
        if (typeof node.maxLength === "number") s = s.slice(0, node.maxLength)
        if (typeof node.minLength === "number") s = s.padEnd(node.minLength, ".")
        return s
      }
    }
  }

  return value(schema, "")
}
