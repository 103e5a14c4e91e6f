/**
 * The records of a fake Odoo: a tiny in-memory ORM for `res.partner` (with
 * `ref`, its free "Reference" field) and `crm.lead`, with Odoo's value
 * conventions (unset reads as `false`, many2one reads as `[id, "Display
 * Name"]` and is written as an id, HTML fields come back wrapped in `<p>`),
 * domain evaluation (`=`, `!=`, `like`,
 * `ilike`, `=like`, `=ilike`, `in`, `not in`, `<`, `<=`, `>`, `>=` and the
 * prefix operators `&`, `|`, `!`), `active` filtering, and the exceptions
 * Odoo raises (`ValidationError`, `MissingError`, `ValueError`, `UserError`).
 * Like one `execute_kw` in Odoo, a `create` or `write` is all or nothing.
 *
 * The fake JSON-RPC server and the in-memory `layerFake` both run on it.
 *
 * @since 0.1.0
 */

/**
 * An exception as Odoo would raise it: `name` is the Python class path that
 * lands in the JSON-RPC error's `data.name`.
 *
 * @since 0.1.0
 * @category errors
 */
export class OdooException extends Error {
  constructor(readonly exceptionName: string, message: string) {
    super(message)
    this.name = exceptionName
  }
}

type FieldType = "char" | "boolean" | "float" | "html" | "selection" | "many2one" | "one2many"

interface Field {
  readonly type: FieldType
  readonly relation?: string
  readonly inverse?: string
  readonly selection?: ReadonlyArray<string>
  readonly default?: unknown
  readonly computed?: boolean
}

const partnerFields: Record<string, Field> = {
  name: { type: "char" },
  display_name: { type: "char", computed: true },
  is_company: { type: "boolean", default: false },
  company_type: { type: "selection", selection: ["person", "company"], computed: true },
  parent_id: { type: "many2one", relation: "res.partner" },
  child_ids: { type: "one2many", relation: "res.partner", inverse: "parent_id", computed: true },
  email: { type: "char" },
  phone: { type: "char" },
  ref: { type: "char" },
  website: { type: "char" },
  function: { type: "char" },
  type: { type: "selection", selection: ["contact", "invoice", "delivery", "other"], default: "contact" },
  street: { type: "char" },
  city: { type: "char" },
  vat: { type: "char" },
  comment: { type: "html" },
  active: { type: "boolean", default: true }
}

const leadFields: Record<string, Field> = {
  name: { type: "char" },
  display_name: { type: "char", computed: true },
  type: { type: "selection", selection: ["lead", "opportunity"], default: "lead" },
  partner_id: { type: "many2one", relation: "res.partner" },
  partner_name: { type: "char" },
  contact_name: { type: "char" },
  email_from: { type: "char" },
  phone: { type: "char" },
  website: { type: "char" },
  function: { type: "char" },
  expected_revenue: { type: "float", default: 0 },
  probability: { type: "float", default: 10 },
  description: { type: "html" },
  active: { type: "boolean", default: true }
}

const models: Record<string, Record<string, Field>> = { "res.partner": partnerFields, "crm.lead": leadFields }

type Row = Record<string, unknown> & { id: number }

/**
 * Counts of what the database did, for tests: records created, `write`
 * calls that succeeded (whether or not they changed anything, as in Odoo,
 * where every write bumps `write_date`) and records whose stored values
 * changed.
 *
 * @since 0.1.0
 * @category models
 */
export interface Stats {
  readonly creates: number
  readonly writes: number
  readonly changed: number
}

/**
 * The in-memory database: `execute(model, method, args, kwargs)` behaves like
 * `object.execute_kw` after authentication.
 *
 * @since 0.1.0
 * @category models
 */
export interface OdooDatabase {
  /** Runs an ORM method; throws {@link OdooException} as Odoo would raise it. */
  readonly execute: (model: string, method: string, args: ReadonlyArray<unknown>, kwargs: Record<string, unknown>) => unknown
  /** Every record of a model, as `read` returns them (including inactive ones). */
  readonly all: (model: string) => ReadonlyArray<Record<string, unknown>>
  /** What the database did so far. */
  readonly stats: () => Stats
}

const fail = (name: string, message: string): never => {
  throw new OdooException(name, message)
}

const fieldsOf = (model: string): Record<string, Field> =>
  models[model] ?? fail("builtins.KeyError", `'${model}'`)

const likeToRegExp = (pattern: string, caseInsensitive: boolean, anchored: boolean): RegExp => {
  const body = pattern.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/%/g, ".*").replace(/_/g, ".")
  return new RegExp(anchored ? `^${body}$` : body, caseInsensitive ? "is" : "s")
}

const htmlWrap = (value: unknown): unknown =>
  typeof value === "string" && value !== "" && !value.trimStart().startsWith("<") ? `<p>${value}</p>` : value

/**
 * A fresh, empty database. Ids start at `firstId` (Odoo's own partners take
 * the low ids, so the default is 7).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options?: { readonly firstId?: number }): OdooDatabase => {
  const tables = new Map<string, Map<number, Row>>(Object.keys(models).map((m) => [m, new Map()]))
  let nextId = options?.firstId ?? 7
  let creates = 0
  let writes = 0
  let changed = 0
  const table = (model: string) => {
    fieldsOf(model)
    return tables.get(model)!
  }

  const displayName = (model: string, row: Row): string => {
    if (model === "res.partner" && typeof row.parent_id === "number" && row.name) {
      const parent = table("res.partner").get(row.parent_id)
      if (parent) return `${String(parent.name)}, ${String(row.name)}`
    }
    return typeof row.name === "string" ? row.name : ""
  }

  const readValue = (model: string, row: Row, field: string): unknown => {
    const spec = fieldsOf(model)[field]
    if (field === "id") return row.id
    if (spec === undefined) return fail("builtins.ValueError", `Invalid field '${field}' on model '${model}'`)
    if (field === "display_name") return displayName(model, row)
    if (field === "company_type") return row.is_company === true ? "company" : "person"
    if (spec.type === "one2many") {
      return [...table(spec.relation!).values()].filter((r) => r[spec.inverse!] === row.id && r.active !== false)
        .map((r) => r.id)
    }
    const value = row[field]
    if (spec.type === "many2one") {
      if (typeof value !== "number") return false
      const target = table(spec.relation!).get(value)
      return target ? [value, displayName(spec.relation!, target)] : false
    }
    if (value === undefined || value === null || value === "") return spec.type === "float" ? 0 : false
    return value
  }

  const coerce = (model: string, field: string, value: unknown): unknown => {
    const spec = fieldsOf(model)[field]
    if (spec === undefined || field === "id") {
      return fail("builtins.ValueError", `Invalid field '${field}' in '${model}'`)
    }
    if (spec.computed && field !== "company_type") {
      return fail("builtins.ValueError", `Field '${field}' on '${model}' cannot be written`)
    }
    if (value === false || value === null) return spec.type === "boolean" ? false : undefined
    switch (spec.type) {
      case "boolean":
        return value === true
      case "float":
        return typeof value === "number" ? value : fail("builtins.ValueError", `Wrong value for ${model}.${field}: ${JSON.stringify(value)}`)
      case "many2one": {
        const id = typeof value === "number" ? value : fail("builtins.ValueError", `Wrong value for ${model}.${field}: ${JSON.stringify(value)}`)
        if (!table(spec.relation!).has(id)) {
          return fail("odoo.exceptions.MissingError", "Record does not exist or has been deleted.")
        }
        return id
      }
      case "selection":
        return spec.selection!.includes(String(value))
          ? value
          : fail("builtins.ValueError", `Wrong value for ${model}.${field}: '${String(value)}'`)
      case "html":
        return typeof value === "string" ? htmlWrap(value) : fail("builtins.ValueError", `Wrong value for ${model}.${field}`)
      default:
        return typeof value === "string" ? value : fail("builtins.ValueError", `Wrong value for ${model}.${field}`)
    }
  }

  const assign = (model: string, row: Row, vals: Record<string, unknown>): boolean => {
    let changed = false
    for (const [field, raw] of Object.entries(vals)) {
      if (field === "company_type") {
        changed = assign(model, row, { is_company: raw === "company" }) || changed
        continue
      }
      if (field === "website" && typeof raw === "string" && raw !== "" && !/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
        // res.partner._clean_website: a bare host gets a scheme
        changed = assign(model, row, { website: `http://${raw}` }) || changed
        continue
      }
      const value = coerce(model, field, raw)
      if (row[field] !== value) {
        row[field] = value
        changed = true
      }
    }
    return changed
  }

  const check = (model: string, row: Row): void => {
    if (model === "res.partner" && row.type === "contact" && !row.name) {
      fail("odoo.exceptions.ValidationError", "Contacts require a name")
    }
    if (model === "crm.lead") {
      if (!row.name) fail("odoo.exceptions.ValidationError", "The field 'Opportunity' is required")
      const p = row.probability
      if (typeof p === "number" && (p < 0 || p > 100)) {
        fail("odoo.exceptions.ValidationError", "The probability of closing the deal should be between 0% and 100%!")
      }
    }
  }

  const compare = (model: string, row: Row, field: string, op: string, value: unknown): boolean => {
    const stored = field === "id" ? row.id : readValue(model, row, field)
    const v = Array.isArray(stored) && stored.length === 2 && typeof stored[0] === "number" ? stored[0] : stored
    const text = (x: unknown) => (x === false ? "" : String(x))
    switch (op) {
      case "=":
        return v === value
      case "!=":
        return v !== value
      case "like":
      case "ilike":
      case "not like":
      case "not ilike": {
        const hit = v !== false && likeToRegExp(`%${String(value)}%`, op.includes("ilike"), false).test(text(v))
        return op.startsWith("not") ? !hit : hit
      }
      case "=like":
      case "=ilike":
        return v !== false && likeToRegExp(String(value), op === "=ilike", true).test(text(v))
      case "in":
      case "not in": {
        const list = Array.isArray(value) ? value : fail("builtins.ValueError", `Invalid domain value for ${op}`)
        const hit = list.includes(v)
        return op === "in" ? hit : !hit
      }
      case "<":
      case "<=":
      case ">":
      case ">=": {
        if (v === false) return false
        const a = v as number | string
        const b = value as number | string
        return op === "<" ? a < b : op === "<=" ? a <= b : op === ">" ? a > b : a >= b
      }
      default:
        return fail("builtins.ValueError", `Invalid leaf ${JSON.stringify([field, op, value])}`)
    }
  }

  const matcher = (model: string, domain: ReadonlyArray<unknown>): (row: Row) => boolean => {
    let i = 0
    const parse = (): (row: Row) => boolean => {
      const item = domain[i++]
      if (item === "&" || item === "|") {
        const a = parse()
        const b = parse()
        return item === "&" ? (r) => a(r) && b(r) : (r) => a(r) || b(r)
      }
      if (item === "!") {
        const a = parse()
        return (r) => !a(r)
      }
      if (Array.isArray(item) && item.length === 3 && typeof item[0] === "string" && typeof item[1] === "string") {
        const [field, op, value] = item as [string, string, unknown]
        if (field !== "id" && fieldsOf(model)[field] === undefined) {
          fail("builtins.ValueError", `Invalid field ${model}.${field} in leaf ${JSON.stringify(item)}`)
        }
        return (r) => compare(model, r, field, op, value)
      }
      return fail("builtins.ValueError", `Invalid leaf ${JSON.stringify(item)}`)
    }
    const terms: Array<(row: Row) => boolean> = []
    while (i < domain.length) terms.push(parse())
    const mentionsActive = domain.some((t) => Array.isArray(t) && t[0] === "active")
    return (r) => (mentionsActive || r.active !== false) && terms.every((t) => t(r))
  }

  const search = (model: string, domain: unknown, kwargs: Record<string, unknown>): Array<Row> => {
    if (!Array.isArray(domain)) return fail("builtins.ValueError", "Invalid domain")
    const match = matcher(model, domain)
    const rows = [...table(model).values()].filter(match)
    if (typeof kwargs.order === "string" && /^id\s+desc$/i.test(kwargs.order.trim())) rows.reverse()
    const offset = typeof kwargs.offset === "number" ? kwargs.offset : 0
    const limit = typeof kwargs.limit === "number" ? kwargs.limit : undefined
    return rows.slice(offset, limit === undefined ? undefined : offset + limit)
  }

  const project = (model: string, row: Row, fields: unknown): Record<string, unknown> => {
    const names = Array.isArray(fields) && fields.length > 0 ? (fields as Array<string>) : Object.keys(fieldsOf(model))
    const out: Record<string, unknown> = { id: row.id }
    for (const f of names) out[f] = readValue(model, row, f)
    return out
  }

  const browse = (model: string, ids: unknown): Array<Row> => {
    const list = typeof ids === "number" ? [ids] : Array.isArray(ids) ? ids : fail("builtins.TypeError", "ids must be a list")
    return list.map((id) => table(model).get(id as number) ?? fail(
      "odoo.exceptions.MissingError",
      `Record does not exist or has been deleted.\n(Record: ${model}(${String(id)},), User: 2)`
    ))
  }

  const prepare = (model: string, vals: unknown, id: number): Row => {
    if (typeof vals !== "object" || vals === null || Array.isArray(vals)) {
      return fail("builtins.TypeError", "create() values must be a dict")
    }
    const row: Row = { id }
    for (const [f, spec] of Object.entries(fieldsOf(model))) if (spec.default !== undefined) row[f] = spec.default
    assign(model, row, vals as Record<string, unknown>)
    check(model, row)
    return row
  }

  // Each execute_kw is one transaction in Odoo: a create or write that fails
  // on one record leaves every record of the call as it was.
  const createAll = (model: string, list: ReadonlyArray<unknown>): Array<number> => {
    const rows = list.map((vals, i) => prepare(model, vals, nextId + i))
    nextId += rows.length
    creates += rows.length
    for (const row of rows) table(model).set(row.id, row)
    return rows.map((r) => r.id)
  }

  const execute: OdooDatabase["execute"] = (model, method, args, kwargs) => {
    fieldsOf(model)
    switch (method) {
      case "search":
        return search(model, args[0], kwargs).map((r) => r.id)
      case "search_count":
        return search(model, args[0], {}).length
      case "search_read":
        return search(model, args[0], kwargs).map((r) => project(model, r, kwargs.fields ?? args[1]))
      case "read":
        return browse(model, args[0]).map((r) => project(model, r, kwargs.fields ?? args[1]))
      case "create":
        return Array.isArray(args[0]) ? createAll(model, args[0]) : createAll(model, [args[0]])[0]
      case "write": {
        const rows = browse(model, args[0])
        const vals = args[1]
        if (typeof vals !== "object" || vals === null) return fail("builtins.TypeError", "write() values must be a dict")
        const copies = rows.flatMap((row) => {
          const copy: Row = { ...row }
          if (!assign(model, copy, vals as Record<string, unknown>)) return []
          check(model, copy)
          return [copy]
        })
        writes++
        for (const copy of copies) table(model).set(copy.id, copy)
        changed += copies.length
        return true
      }
      case "unlink":
        for (const row of browse(model, args[0])) table(model).delete(row.id)
        return true
      default:
        return fail("builtins.AttributeError", `The method '${method}' does not exist on the model '${model}'`)
    }
  }

  return {
    execute,
    all: (model) => [...table(model).values()].map((r) => project(model, r, undefined)),
    stats: () => ({ creates, writes, changed })
  }
}
