/**
 * The crawler's CPU work as one pure function over plain data: a fetched
 * page is decoded in its charset and run through the extractor (`extract.ts`), a
 * sitemap is decoded as UTF-8 and scanned for its `<loc>` URLs. The parse
 * worker (`parseWorker.ts`) runs it off the event loop; with no worker
 * threads the crawler runs it in-thread. Tasks and results cross the thread
 * boundary by structured clone, the body's bytes by transfer.
 *
 * @internal
 */
import { decodeHtml } from "./decode.js"
import { extract, type Extracted } from "./extract.js"
import { sitemapLocations } from "./sitemap.js"

/** A fetched HTML page to decode and extract; `url` is the base for its links. @internal */
export interface PageTask {
  readonly kind: "page"
  readonly url: string
  readonly contentType: string | undefined
  readonly body: Uint8Array
}

/** A fetched sitemap (or sitemap index) document. @internal */
export interface SitemapTask {
  readonly kind: "sitemap"
  readonly body: Uint8Array
}

/** @internal */
export type Task = PageTask | SitemapTask

/** What a page held, and the charset it was decoded in. @internal */
export interface PageResult {
  readonly kind: "page"
  readonly charset: string
  readonly extracted: Extracted
}

/** The `<loc>` URLs of a sitemap, in order. @internal */
export interface SitemapResult {
  readonly kind: "sitemap"
  readonly locations: ReadonlyArray<string>
}

/** @internal */
export type Result = PageResult | SitemapResult

/**
 * Runs one task. Pure and synchronous: the same function runs in the parse
 * worker and, with no worker threads, on the calling thread.
 *
 * @internal
 */
export const runTask = (task: Task): Result => {
  switch (task.kind) {
    case "page": {
      const { charset, text } = decodeHtml(task.contentType, task.body)
      return { kind: "page", charset, extracted: extract(text, task.url) }
    }
    case "sitemap":
      return { kind: "sitemap", locations: sitemapLocations(new TextDecoder().decode(task.body)) }
  }
}

/**
 * The bytes as a view over an `ArrayBuffer` of their own, which can be
 * transferred to a worker: the same view when it already spans a whole,
 * non-shared buffer, else a copy. A `Buffer` from Node's pool (a slice of a
 * shared 8 KiB slab) or any other partial view is copied, so transferring
 * never detaches bytes someone else still reads.
 *
 * @internal
 */
export const ownBytes = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => {
  const buffer = bytes.buffer
  return buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength
    ? new Uint8Array(buffer)
    : new Uint8Array(bytes)
}

/**
 * A task ready to post: its body in a buffer of its own, and that buffer as
 * the transfer list. The caller must not read the task's body afterwards.
 *
 * @internal
 */
export const prepare = (task: Task): { readonly task: Task; readonly transfer: ReadonlyArray<ArrayBuffer> } => {
  const body = ownBytes(task.body)
  return { task: { ...task, body }, transfer: [body.buffer] }
}

/**
 * The parse worker's script, found next to the module this code was bundled
 * into: `parseWorker.js` beside `index.js` (ESM), `parseWorker.cjs` beside
 * `index.cjs` (CJS; tsup's `shims` turn `import.meta.url` into the file's
 * URL there), and `parseWorker.ts` beside this file when running from the
 * TypeScript sources (vitest, tsx).
 *
 * @internal
 */
export const defaultWorkerScript = (self: string = import.meta.url): URL => {
  const path = new URL(self).pathname
  const ext = /\.[cm]?ts$/.test(path) ? ".ts" : path.endsWith(".cjs") ? ".cjs" : ".js"
  return new URL(`./parseWorker${ext}`, self)
}
