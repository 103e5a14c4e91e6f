/**
 * From an Effect Schema to an OpenAI strict structured-output JSON schema,
 * and back from the model's answer to what the Schema decodes.
 *
 * Effect's `JSONSchema.make` describes the Schema's encoded side. Strict mode
 * then wants: an object at the root, `additionalProperties: false` on every
 * object, every property listed in `required`. Optional properties are
 * therefore sent as nullable (`anyOf: [T, {type: "null"}]`), and
 * {@link dropOptionalNulls} removes the `null`s the model gives for them
 * before decoding. Records (free-form keys) and tuples cannot be expressed
 * in strict mode and are refused up front.
 *
 * The same checks, run by the fake OpenAI server, are {@link violations}.
 *
 * @internal
 */
import { Either, JSONSchema, type Schema } from "effect"

/** A JSON schema node, loosely typed. @internal */
export type Node = { readonly [key: string]: unknown }

const isNode = (u: unknown): u is Node => typeof u === "object" && u !== null && !Array.isArray(u)

const nullable = (node: Node): Node => {
  if (Array.isArray(node.anyOf) && node.anyOf.some((b) => isNode(b) && b.type === "null")) return node
  if (node.type === "null") return node
  const { description, ...rest } = node
  return description === undefined
    ? { anyOf: [rest, { type: "null" }] }
    : { description, anyOf: [rest, { type: "null" }] }
}

const strictNode = (node: Node, path: string, problems: Array<string>): Node => {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(node)) {
    if (key === "$schema" || key === "title") continue
    if (key === "patternProperties" || key === "additionalItems" || key === "prefixItems" || key === "propertyNames") {
      problems.push(`${path}: "${key}" is not supported in strict mode`)
      continue
    }
    out[key] = value
  }
  if (out.type === "object" || isNode(out.properties)) {
    const properties = isNode(out.properties) ? out.properties : {}
    if (out.additionalProperties !== undefined && out.additionalProperties !== false) {
      problems.push(`${path}: objects with free-form keys (records) are not supported in strict mode`)
    }
    const required = new Set(Array.isArray(out.required) ? out.required : [])
    out.type = "object"
    out.properties = Object.fromEntries(
      Object.entries(properties).map(([key, child]) => {
        const strict = strictNode(isNode(child) ? child : {}, `${path}.${key}`, problems)
        return [key, required.has(key) ? strict : nullable(strict)]
      })
    )
    out.required = Object.keys(properties)
    out.additionalProperties = false
  }
  if (Array.isArray(out.items)) problems.push(`${path}: tuples are not supported in strict mode`)
  else if (isNode(out.items)) out.items = strictNode(out.items, `${path}[]`, problems)
  for (const key of ["anyOf", "oneOf", "allOf"] as const) {
    if (Array.isArray(out[key])) {
      out[key] = (out[key] as Array<unknown>).map((b, i) => strictNode(isNode(b) ? b : {}, `${path}|${i}`, problems))
    }
  }
  if (isNode(out.$defs)) {
    out.$defs = Object.fromEntries(
      Object.entries(out.$defs).map(([k, d]) => [k, strictNode(isNode(d) ? d : {}, `#/$defs/${k}`, problems)])
    )
  }
  return out
}

/** A Schema's JSON schema and its strict form. @internal */
export interface Strict {
  /** What Effect generated: tells which properties are optional. */
  readonly original: Node
  /** What is sent as `response_format.json_schema.schema`. */
  readonly strict: Node
}

/**
 * The strict JSON schema of a Schema's encoded side, or the reasons it has
 * none.
 *
 * @internal
 */
export const make = <A, I>(schema: Schema.Schema<A, I>): Either.Either<Strict, string> => {
  let original: Node
  try {
    original = JSONSchema.make(schema) as unknown as Node
  } catch (e) {
    return Either.left(e instanceof Error ? e.message : String(e))
  }
  if (original.type !== "object") return Either.left("the root of a structured output must be an object (a struct)")
  const problems: Array<string> = []
  const strict = strictNode(original, "root", problems)
  return problems.length === 0 ? Either.right({ original, strict }) : Either.left(problems.join("; "))
}

const resolve = (node: Node, root: Node): Node => {
  if (typeof node.$ref === "string" && node.$ref.startsWith("#/$defs/") && isNode(root.$defs)) {
    const target = root.$defs[node.$ref.slice("#/$defs/".length)]
    return isNode(target) ? resolve(target, root) : node
  }
  return node
}

/**
 * Removes the `null`s the model gave for properties that are optional in
 * `original`, recursively, so the Schema decodes them as absent.
 *
 * @internal
 */
export const dropOptionalNulls = (value: unknown, original: Node): unknown => {
  const walk = (v: unknown, raw: Node): unknown => {
    const node = resolve(raw, original)
    if (Array.isArray(v)) return isNode(node.items) ? v.map((x) => walk(x, node.items as Node)) : v
    if (!isNode(v)) return v
    if (Array.isArray(node.anyOf)) {
      const branch = node.anyOf.map((b) => (isNode(b) ? resolve(b, original) : {})).find((b) => b.type === "object")
      return branch === undefined ? v : walk(v, branch)
    }
    if (!isNode(node.properties)) return v
    const required = new Set(Array.isArray(node.required) ? node.required : [])
    const props = node.properties
    return Object.fromEntries(
      Object.entries(v)
        .filter(([k, x]) => !(x === null && !required.has(k)))
        .map(([k, x]) => [k, isNode(props[k]) ? walk(x, props[k] as Node) : x])
    )
  }
  return walk(value, original)
}

/**
 * What strict mode forbids in a schema, as OpenAI words it: the root must
 * be an object, and every object must set `additionalProperties: false` and
 * list every property in `required`. Empty when the schema is acceptable.
 *
 * @internal
 */
export const violations = (schema: unknown): Array<string> => {
  const problems: Array<string> = []
  if (!isNode(schema) || schema.type !== "object") {
    return ["In context=(), schema must be a JSON Schema of 'type: \"object\"', got 'type: \"" +
      String(isNode(schema) ? schema.type : typeof schema) + "\"'."]
  }
  const visit = (node: unknown, context: Array<string>): void => {
    if (!isNode(node)) return
    const where = `In context=(${context.map((c) => `'${c}'`).join(", ")}${context.length === 1 ? "," : ""})`
    if (node.type === "object" || isNode(node.properties)) {
      if (node.additionalProperties !== false) {
        problems.push(`${where}, 'additionalProperties' is required to be supplied and to be false.`)
      }
      const props = isNode(node.properties) ? Object.keys(node.properties) : []
      const required = Array.isArray(node.required) ? node.required : []
      const missing = props.filter((p) => !required.includes(p))
      if (missing.length > 0) {
        problems.push(
          `${where}, 'required' is required to be supplied and to be an array including every key in properties. Missing '${missing[0]}'.`
        )
      }
      for (const p of props) visit((node.properties as Node)[p], [...context, "properties", p])
    }
    if (isNode(node.items)) visit(node.items, [...context, "items"])
    if (Array.isArray(node.anyOf)) node.anyOf.forEach((b, i) => visit(b, [...context, "anyOf", String(i)]))
    if (isNode(node.$defs)) for (const [k, d] of Object.entries(node.$defs)) visit(d, [...context, "$defs", k])
  }
  visit(schema, [])
  return problems
}
