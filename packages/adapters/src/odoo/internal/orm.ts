/**
 * The ORM calls the Odoo upserts make, over any way of running `execute_kw`
 * (JSON-RPC in the live adapter, the in-memory database in the fake Layer),
 * and the comparison of desired values with stored ones in Odoo's value
 * conventions (unset is `false`, many2one is `[id, name]`, HTML fields may
 * come back wrapped in `<p>`). Everything sent is plain Odoo (12+):
 * prefix-notation domains, `create` with a list, `write` on several ids.
 *
 * @internal
 */
import { Odoo } from "@leadgraph/core"
import { Effect, Schema } from "effect"
import * as Protocol from "./protocol.js"

/** Runs one ORM method (`object.execute_kw` after login). @internal */
export type Execute = (
  model: string,
  method: string,
  args: ReadonlyArray<unknown>,
  kwargs?: Record<string, unknown>
) => Effect.Effect<unknown, Odoo.OdooError>

const decode = <A, I>(schema: Schema.Schema<A, I>, what: string) => (u: unknown) =>
  Schema.decodeUnknown(schema)(u).pipe(
    Effect.mapError((cause) =>
      new Odoo.OdooError({ reason: "BadResponse", detail: `unexpected ${what} result`, cause: cause.message })
    )
  )

const entities: Record<string, string> = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": "\"", "&#39;": "'", "&nbsp;": " " }

/** Plain text of an HTML value, whitespace collapsed. @internal */
export const htmlText = (html: string): string =>
  html.replace(/<br\s*\/?>/gi, "\n").replace(/<[^>]*>/g, " ")
    .replace(/&(amp|lt|gt|quot|#39|nbsp);/g, (e) => entities[e] ?? e)
    .replace(/\s+/g, " ").trim()

/** Plain text as an HTML paragraph, escaped. @internal */
export const textHtml = (text: string): string =>
  `<p>${text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")}</p>`

type Kind = "text" | "html" | "float" | "many2one"

/** A value to have in a field, and how to compare it with the stored one. @internal */
export interface Desired {
  readonly value: unknown
  readonly kind: Kind
}

const same = (stored: unknown, desired: Desired): boolean => {
  switch (desired.kind) {
    case "many2one":
      return (Array.isArray(stored) ? stored[0] : stored) === desired.value
    case "float":
      return typeof stored === "number" && Math.abs(stored - (desired.value as number)) < 1e-6
    case "html":
      return htmlText(typeof stored === "string" ? stored : "") === htmlText(String(desired.value))
    case "text":
      return (stored === false ? "" : stored) === desired.value
  }
}

/** A text field's desired value, trimmed; none when undefined. @internal */
export const text = (value: string | undefined): Desired | undefined =>
  value === undefined ? undefined : { value: value.trim(), kind: "text" }

/** A float field's desired value; none when undefined. @internal */
export const float = (value: number | undefined): Desired | undefined =>
  value === undefined ? undefined : { value, kind: "float" }

/** An HTML field's desired value from plain text; none when undefined. @internal */
export const html = (value: string | undefined): Desired | undefined =>
  value === undefined ? undefined : { value: textHtml(value), kind: "html" }

/** The fields that have a desired value. @internal */
export const compact = (fields: Record<string, Desired | undefined>): Record<string, Desired> =>
  Object.fromEntries(Object.entries(fields).filter((e): e is [string, Desired] => e[1] !== undefined))

/** The values to send for desired fields. @internal */
export const values = (fields: Record<string, Desired>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(fields).map(([k, d]) => [k, d.value]))

/** The desired fields whose stored values differ. @internal */
export const changes = (existing: Protocol.Row, desired: Record<string, Desired>): Record<string, Desired> =>
  Object.fromEntries(Object.entries(desired).filter(([k, d]) => !same(existing[k], d)))

/** The result of a create. @internal */
export const created = (id: number, vals: Record<string, unknown>) =>
  new Odoo.Upserted({ id, outcome: "created", fields: Object.keys(vals).sort() })

/** `write` of the same values to every id. @internal */
export const write = (execute: Execute, model: string, ids: ReadonlyArray<number>, vals: Record<string, unknown>) =>
  execute(model, "write", [ids, vals]).pipe(Effect.flatMap(decode(Protocol.Written, `${model}.write`)))

const CreatedIds = Schema.Array(Protocol.CreatedId)

/**
 * Creates records, one dict as a dict (an id back), several as a list (ids
 * back, in order; Odoo 12+).
 *
 * @internal
 */
export const createAll = (
  execute: Execute,
  model: string,
  vals: ReadonlyArray<Record<string, unknown>>
): Effect.Effect<ReadonlyArray<number>, Odoo.OdooError> =>
  vals.length === 1
    ? execute(model, "create", [vals[0]]).pipe(
      Effect.flatMap(decode(Protocol.CreatedId, `${model}.create`)),
      Effect.map((id) => [id])
    )
    : execute(model, "create", [vals]).pipe(
      Effect.flatMap(decode(CreatedIds, `${model}.create`)),
      Effect.filterOrFail(
        (ids) => ids.length === vals.length,
        () => new Odoo.OdooError({ reason: "BadResponse", detail: `${model}.create answered a wrong number of ids` })
      )
    )

/** `search_read` in id order. @internal */
export const searchRead = (
  execute: Execute,
  model: string,
  domain: ReadonlyArray<unknown>,
  fields: ReadonlyArray<string>
) =>
  execute(model, "search_read", [domain], { fields, order: "id asc" }).pipe(
    Effect.flatMap(decode(Protocol.Rows, `${model}.search_read`))
  )

/** Prefix-notation `|` over terms (Odoo's `OR`); one term stays as it is. @internal */
export const anyOf = (terms: ReadonlyArray<unknown>): ReadonlyArray<unknown> => [...terms.slice(1).map(() => "|"), ...terms]

/** Told what is about to be created or written, before the call. @internal */
export type Intend = (outcome: Odoo.Outcome, fields: ReadonlyArray<string>) => Effect.Effect<void>

const intendNothing: Intend = () => Effect.void

/**
 * Creates a record with `desired` plus `onCreate`, or writes to `existing`
 * the desired fields that differ (nothing when none do).
 *
 * @internal
 */
export const apply = (
  execute: Execute,
  model: string,
  existing: Protocol.Row | undefined,
  desired: Record<string, Desired>,
  onCreate: Record<string, unknown>,
  intend: Intend = intendNothing
): Effect.Effect<Odoo.Upserted, Odoo.OdooError> => {
  if (existing === undefined) {
    const vals = { ...onCreate, ...values(desired) }
    return intend("created", Object.keys(vals).sort()).pipe(
      Effect.zipRight(createAll(execute, model, [vals])),
      Effect.map(([id]) => created(id!, vals))
    )
  }
  const changed = changes(existing, desired)
  const fields = Object.keys(changed).sort()
  if (fields.length === 0) return Effect.succeed(new Odoo.Upserted({ id: existing.id, outcome: "unchanged", fields }))
  return intend("updated", fields).pipe(
    Effect.zipRight(write(execute, model, [existing.id], values(changed))),
    Effect.as(new Odoo.Upserted({ id: existing.id, outcome: "updated", fields }))
  )
}
