/**
 * The parts of OpenAI's chat-completions wire format leadgraph reads, as
 * Schemas: the adapter decodes every answer with them (whatever the SDK's
 * types promise), and the fake server decodes requests with them.
 *
 * @internal
 */
import { Schema } from "effect"

/** Token usage of one completion. @internal */
export const Usage = Schema.Struct({
  prompt_tokens: Schema.NonNegativeInt,
  completion_tokens: Schema.NonNegativeInt,
  total_tokens: Schema.NonNegativeInt
})

/** One choice of a completion. @internal */
export const Choice = Schema.Struct({
  index: Schema.Number,
  message: Schema.Struct({
    role: Schema.Literal("assistant"),
    content: Schema.NullOr(Schema.String),
    refusal: Schema.optional(Schema.NullOr(Schema.String))
  }),
  finish_reason: Schema.String
})

/** A `chat.completion` object. @internal */
export const ChatCompletion = Schema.Struct({
  id: Schema.String,
  object: Schema.Literal("chat.completion"),
  created: Schema.Number,
  model: Schema.String,
  choices: Schema.NonEmptyArray(Choice),
  usage: Usage
})

/** The completion type. @internal */
export type ChatCompletion = typeof ChatCompletion.Type

/** The `error` member of an error body. @internal */
export const ErrorBody = Schema.Struct({
  error: Schema.Struct({
    message: Schema.String,
    type: Schema.optional(Schema.NullOr(Schema.String)),
    param: Schema.optional(Schema.NullOr(Schema.String)),
    code: Schema.optional(Schema.NullOr(Schema.String))
  })
})

const Content = Schema.Union(
  Schema.String,
  Schema.Array(Schema.Struct({ type: Schema.String, text: Schema.optional(Schema.String) }))
)

/** A request message (content as a string or text parts). @internal */
export const Message = Schema.Struct({
  role: Schema.Literal("system", "developer", "user", "assistant", "tool"),
  content: Content
})

/** `response_format`. @internal */
export const ResponseFormat = Schema.Union(
  Schema.Struct({
    type: Schema.Literal("json_schema"),
    json_schema: Schema.Struct({
      name: Schema.String,
      description: Schema.optional(Schema.String),
      schema: Schema.optional(Schema.Unknown),
      strict: Schema.optional(Schema.NullOr(Schema.Boolean))
    })
  }),
  Schema.Struct({ type: Schema.Literal("json_object", "text") })
)

/** A chat-completions request body. @internal */
export const ChatRequest = Schema.Struct({
  model: Schema.String,
  messages: Schema.NonEmptyArray(Message),
  response_format: Schema.optional(ResponseFormat),
  max_completion_tokens: Schema.optional(Schema.NullOr(Schema.Int)),
  max_tokens: Schema.optional(Schema.NullOr(Schema.Int)),
  temperature: Schema.optional(Schema.NullOr(Schema.Number)),
  seed: Schema.optional(Schema.NullOr(Schema.Int)),
  n: Schema.optional(Schema.NullOr(Schema.Int))
})

/** The request type. @internal */
export type ChatRequest = typeof ChatRequest.Type

/** The text of a message's content. @internal */
export const textOf = (content: typeof Content.Type): string =>
  typeof content === "string" ? content : content.map((p) => p.text ?? "").join("")
