/**
 * Odoo's JSON-RPC wire format (`POST {base}/jsonrpc`), as Schemas shared by
 * the live adapter and the fake server, and the translation of Odoo's error
 * envelope (always HTTP 200) into the shared vendor failure reasons.
 *
 * @internal
 */
import type { VendorError } from "@leadgraph/core"
import { Schema } from "effect"

/** The `params` of a call: a service (`common`, `object`), a method and positional args. @internal */
export const RpcParams = Schema.Struct({
  service: Schema.String,
  method: Schema.String,
  args: Schema.Array(Schema.Unknown)
})

/** A JSON-RPC 2.0 request; `method` is ignored by Odoo and `id` is echoed. @internal */
export const RpcRequest = Schema.Struct({
  jsonrpc: Schema.optional(Schema.String),
  method: Schema.optional(Schema.String),
  params: RpcParams,
  id: Schema.optional(Schema.Union(Schema.Number, Schema.String, Schema.Null))
})

/** The request type. @internal */
export type RpcRequest = typeof RpcRequest.Type

/** `error.data` of Odoo's error envelope. @internal */
export const RpcErrorData = Schema.Struct({
  name: Schema.String,
  message: Schema.String,
  arguments: Schema.optional(Schema.Array(Schema.Unknown)),
  context: Schema.optional(Schema.Unknown),
  debug: Schema.optional(Schema.String)
})

/** The error member of a failed call. @internal */
export const RpcError = Schema.Struct({
  code: Schema.Number,
  message: Schema.String,
  data: Schema.optional(RpcErrorData)
})

/** The error member type. @internal */
export type RpcError = typeof RpcError.Type

/** A successful answer: `result` holds the method's return value. @internal */
export const RpcSuccess = Schema.Struct({
  jsonrpc: Schema.Literal("2.0"),
  id: Schema.optional(Schema.Union(Schema.Number, Schema.String, Schema.Null)),
  result: Schema.Unknown
})

/** A failed answer (still HTTP 200). @internal */
export const RpcFailure = Schema.Struct({
  jsonrpc: Schema.Literal("2.0"),
  id: Schema.optional(Schema.Union(Schema.Number, Schema.String, Schema.Null)),
  error: RpcError
})

/**
 * Either answer. `RpcFailure` is tried first: a success must not have an
 * `error` member, and a body with neither does not decode.
 *
 * @internal
 */
export const RpcResponse = Schema.Union(RpcFailure, RpcSuccess)

/** The response type. @internal */
export type RpcResponse = typeof RpcResponse.Type

const unauthorized = new Set([
  "odoo.exceptions.AccessDenied",
  "odoo.exceptions.AccessError",
  "odoo.http.SessionExpiredException"
])

const badRequest = new Set([
  "odoo.exceptions.ValidationError",
  "odoo.exceptions.UserError",
  "odoo.exceptions.MissingError",
  "odoo.exceptions.RedirectWarning",
  "builtins.ValueError",
  "builtins.TypeError",
  "builtins.KeyError",
  "builtins.AttributeError",
  "builtins.NameError",
  "werkzeug.exceptions.NotFound",
  "werkzeug.exceptions.BadRequest"
])

/**
 * The reason an Odoo error envelope means: access problems are
 * `Unauthorized`, rejected values and unknown models or methods are
 * `BadRequest`, anything else (a database error, a crash) is `ServerError`.
 *
 * @internal
 */
export const reasonOfRpcError = (error: RpcError): VendorError.Reason => {
  const name = error.data?.name ?? ""
  if (unauthorized.has(name) || error.code === 100) return "Unauthorized"
  if (badRequest.has(name) || error.code === 404) return "BadRequest"
  return "ServerError"
}

/**
 * A short description of an Odoo error envelope, without its traceback
 * (`debug`), which may quote the call's arguments.
 *
 * @internal
 */
export const detailOfRpcError = (error: RpcError): string =>
  error.data === undefined ? error.message : `${error.data.name}: ${error.data.message}`

/** A search_read row: an id plus fields in Odoo's value conventions. @internal */
export const Row = Schema.Struct(
  { id: Schema.Int },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
)

/** The row type. @internal */
export type Row = typeof Row.Type

/** `search_read` result. @internal */
export const Rows = Schema.Array(Row)

/** `create` result for a single dict. @internal */
export const CreatedId = Schema.Int

/** `write` result. @internal */
export const Written = Schema.Literal(true)

/** `common.login` result: a uid, or `false` on bad credentials. @internal */
export const LoginResult = Schema.Union(Schema.Int, Schema.Literal(false))
