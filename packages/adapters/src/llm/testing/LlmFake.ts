/**
 * An in-memory LLM for fast tests: the fake OpenAI's model without HTTP.
 *
 * @since 0.1.0
 */
import { Budget, Llm, PaidResults } from "@leadgraph/core"
import { Effect, Layer } from "effect"
import * as Service from "../internal/service.js"
import { defaults } from "../LlmLive.js"
import * as FakeModel from "./FakeModel.js"

/**
 * An in-memory LLM for fast tests: the fake OpenAI's model without HTTP
 * (schema-valid answers derived from the text, the same token counting),
 * drawing from the Budget like the live service. What it "pays" for is kept
 * in a `PaidResults` store of its own, in memory.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: { readonly model?: string; readonly maxOutputTokens?: number }): Layer.Layer<
  Llm.Llm,
  never,
  Budget.Budget
> =>
  Layer.effect(
    Llm.Llm,
    Effect.gen(function*() {
      const budget = yield* Budget.Budget
      let n = 0
      const complete: Service.Complete = (body) =>
        Effect.sync(() => {
          const text = body.messages.filter((m) => m.role === "user").map((m) => m.content).join("\n")
          const full = JSON.stringify(FakeModel.generate(body.response_format.json_schema.schema, text, `1:${body.response_format.json_schema.name}`))
          const cut = FakeModel.tokensOf(full) > body.max_completion_tokens
          const content = cut ? full.slice(0, body.max_completion_tokens * 4) : full
          const prompt = FakeModel.promptTokens(body.messages, body.response_format.json_schema.schema)
          const completion = cut ? body.max_completion_tokens : FakeModel.tokensOf(content)
          n++
          return {
            completion: {
              id: `chatcmpl-fake-${n}`,
              object: "chat.completion" as const,
              created: 0,
              model: body.model,
              choices: [{
                index: 0,
                message: { role: "assistant" as const, content, refusal: null },
                finish_reason: cut ? "length" : "stop"
              }],
              usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion }
            },
            requestId: `req_fake_${n}`
          }
        })
      return yield* Service.make(complete, budget, yield* PaidResults.makeMemory, {
        model: options?.model ?? defaults.model,
        maxOutputTokens: options?.maxOutputTokens ?? defaults.maxOutputTokens,
        resultTtl: defaults.resultTtl,
        rationaleTtl: defaults.rationaleTtl
      })
    })
  )
