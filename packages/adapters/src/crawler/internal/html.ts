/**
 * A linear-time HTML event scanner: htmlparser2's `Tokenizer` (a state
 * machine over the characters, entities decoded) with our own stack of open
 * elements. htmlparser2's `Parser` keeps its stack with `unshift`/`indexOf`,
 * so deeply nested tags and close tags that match nothing cost time in the
 * square of the depth (16,000 nested `<div>`s: 2 s); here the stack is an
 * array used from its end, and a count per tag name tells in O(1) whether a
 * close tag matches anything, so each element is pushed and popped once.
 *
 * The handler sees `open` (with the attributes), `text` and `close` events,
 * balanced: every opened element is closed once, void elements right after
 * they open, unclosed ones at the end of the document. Like htmlparser2,
 * some open tags imply the close of an open one (`<p>` before a block,
 * `<li>` after `<li>`, table cells, options), `</br>` is a `<br>`, and
 * self-closing syntax counts only inside `<svg>` and `<math>`. Like
 * Chromium's parser, the tree is at most 512 elements deep: an element
 * opened deeper is closed at once (its text goes to the element at depth
 * 512). Consecutive text (runs broken by character references) reaches the
 * handler as one string.
 *
 * @internal
 */
import { Tokenizer } from "htmlparser2"
import type { TokenizerCallbacks } from "htmlparser2"

/** @internal */
export interface Handler {
  /** An element opened; `attributes` keeps the first value of each (lower-case) name. */
  readonly open: (name: string, attributes: ReadonlyMap<string, string>) => void
  /** Character data, entities decoded (raw inside `<script>` and `<style>`). */
  readonly text: (data: string) => void
  /** An element closed (explicitly, implied, or at the end of the document). */
  readonly close: (name: string) => void
}

const voidElements = new Set([
  "area", "base", "basefont", "br", "col", "command", "embed", "frame", "hr", "img", "input", "isindex", "keygen",
  "link", "meta", "param", "source", "track", "wbr"
])

const pTag = new Set(["p"])
const formTags = new Set(["input", "option", "optgroup", "select", "button", "datalist", "textarea"])
const tableSectionTags = new Set(["thead", "tbody"])
const ddtTags = new Set(["dd", "dt"])
const rtpTags = new Set(["rt", "rp"])
// htmlparser2's table: opening the key closes an open element of these names at the top of the stack.
const openImpliesClose = new Map<string, ReadonlySet<string>>([
  ["tr", new Set(["tr", "th", "td"])], ["th", new Set(["th"])], ["td", new Set(["thead", "th", "td"])],
  ["body", new Set(["head", "link", "script"])], ["li", new Set(["li"])], ["option", new Set(["option"])],
  ["optgroup", new Set(["optgroup", "option"])], ["dd", ddtTags], ["dt", ddtTags], ["rt", rtpTags], ["rp", rtpTags],
  ["tbody", tableSectionTags], ["tfoot", tableSectionTags],
  ...["select", "input", "output", "button", "datalist", "textarea"].map((t) => [t, formTags] as const),
  ...["p", "h1", "h2", "h3", "h4", "h5", "h6", "address", "article", "aside", "blockquote", "details", "div", "dl",
    "fieldset", "figcaption", "figure", "footer", "form", "header", "hr", "main", "nav", "ol", "pre", "section",
    "table", "ul"].map((t) => [t, pTag] as const)
])

const foreign = new Set(["svg", "math"])

/** Chromium's limit (kMaximumHTMLParserDOMTreeDepth): deeper elements are not nested further. */
const maxDepth = 512

/**
 * Scans a whole document, calling `handler` for each event. Time and memory
 * are linear in `html`.
 *
 * @internal
 */
export const scan = (html: string, handler: Handler): void => {
  const stack: Array<string> = []
  const open = new Map<string, number>()
  let foreignDepth = 0
  let tag = ""
  let attributes = new Map<string, string>()
  let attributeName = ""
  let attributeValue = ""

  const push = (name: string) => {
    stack.push(name)
    open.set(name, (open.get(name) ?? 0) + 1)
    if (foreign.has(name)) foreignDepth++
  }
  const pop = () => {
    const name = stack.pop()!
    open.set(name, open.get(name)! - 1)
    if (foreign.has(name)) foreignDepth--
    handler.close(name)
  }
  // Text is held until the next tag, so that a run broken by character references is one string.
  const pending: Array<string> = []
  const flush = () => {
    if (pending.length === 0) return
    handler.text(pending.length === 1 ? pending[0]! : pending.join(""))
    pending.length = 0
  }
  /** Opens an element; true when it stays open (on the stack). */
  const emitOpen = (name: string, attrs: ReadonlyMap<string, string>): boolean => {
    const implied = openImpliesClose.get(name)
    if (implied !== undefined) {
      while (stack.length > 0 && implied.has(stack[stack.length - 1]!)) pop()
    }
    if (voidElements.has(name) || stack.length >= maxDepth) {
      handler.open(name, attrs)
      handler.close(name)
      return false
    }
    push(name)
    handler.open(name, attrs)
    return true
  }
  const noAttributes: ReadonlyMap<string, string> = new Map()

  const callbacks: TokenizerCallbacks = {
    ontext: (start, end) => void pending.push(html.slice(start, end)),
    ontextentity: (codePoint) => void pending.push(String.fromCodePoint(codePoint)),
    onopentagname: (start, end) => {
      flush()
      tag = html.slice(start, end).toLowerCase()
      attributes = new Map()
    },
    onattribname: (start, end) => {
      attributeName = html.slice(start, end).toLowerCase()
      attributeValue = ""
    },
    onattribdata: (start, end) => {
      attributeValue += html.slice(start, end)
    },
    onattribentity: (codePoint) => {
      attributeValue += String.fromCodePoint(codePoint)
    },
    onattribend: () => {
      if (!attributes.has(attributeName)) attributes.set(attributeName, attributeValue)
      attributeValue = ""
    },
    onopentagend: () => void emitOpen(tag, attributes),
    onselfclosingtag: () => {
      // Self-closing syntax means something only in foreign content.
      if (emitOpen(tag, attributes) && foreignDepth > 0) pop()
    },
    onclosetag: (start, end) => {
      flush()
      const name = html.slice(start, end).toLowerCase()
      if (voidElements.has(name)) {
        if (name === "br") emitOpen("br", noAttributes)
        return
      }
      if ((open.get(name) ?? 0) === 0) return
      while (stack[stack.length - 1] !== name) pop()
      pop()
    },
    oncomment: () => {},
    oncdata: () => {},
    ondeclaration: () => {},
    onprocessinginstruction: () => {},
    onend: () => {
      flush()
      while (stack.length > 0) pop()
    }
  }
  const tokenizer = new Tokenizer({ xmlMode: false, decodeEntities: true }, callbacks)
  tokenizer.write(html)
  tokenizer.end()
}
