/**
 * Crawl checkpoints without page texts, for runs that do not keep crawl
 * corpora (`PERSIST_CRAWL_CORPUS` off): a crawl's checkpoint keeps its
 * signals and drops its texts, and is restored only when every step that
 * reads the text is restored too; otherwise the crawl runs again (it costs
 * no vendor credit).
 *
 * @since 0.1.0
 */
import type * as Checkpoint from "../../engine/Checkpoint.js"
import { Effect, Option } from "effect"

/**
 * The steps that read the crawl's text (the others read only its signals).
 *
 * @since 0.1.0
 * @category constants
 */
export const readsCrawlText: ReadonlyArray<string> = ["search", "extract", "score"]

/**
 * A checkpoint store that keeps crawl checkpoints without their texts.
 *
 * @since 0.1.0
 * @category constructors
 */
export const withoutCorpora = (checkpoint: Checkpoint.Service): Checkpoint.Service => ({
  ...checkpoint,
  load: (key) =>
    key.step !== "crawl" ? checkpoint.load(key) : Effect.flatMap(
      Effect.forEach(readsCrawlText, (step) => checkpoint.load({ ...key, step })),
      (loaded) => loaded.every(Option.isSome) ? checkpoint.load(key) : Effect.succeedNone
    ),
  save: (key, encoded) => {
    if (key.step !== "crawl" || typeof encoded !== "object" || encoded === null) return checkpoint.save(key, encoded)
    const crawl = encoded as { readonly pages?: ReadonlyArray<object> }
    return checkpoint.save(key, {
      ...encoded,
      corpus: "",
      pages: (crawl.pages ?? []).map((p) => ({ ...p, text: "" }))
    })
  }
})
