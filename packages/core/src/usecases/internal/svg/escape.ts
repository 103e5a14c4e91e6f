/**
 * Escaping of text from data for HTML and SVG (element text and quoted
 * attribute values alike).
 *
 * @internal
 */

const entities: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  "\"": "&quot;",
  "'": "&#39;"
}

/** `text` with `&`, `<`, `>`, `"` and `'` as entities. @internal */
export const escape = (text: string): string => text.replace(/[&<>"']/g, (c) => entities[c]!)

/** A number for SVG coordinates: at most two decimals. @internal */
export const num = (n: number): string => (Number.isFinite(n) ? String(Math.round(n * 100) / 100) : "0")
