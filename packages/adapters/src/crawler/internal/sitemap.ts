/**
 * Sitemap parsing: the `<loc>` URLs of a sitemap or sitemap index, found by
 * plain scanning from one `<` to the next, so that the time is linear in the
 * document whatever it holds (no regular expression runs over its content).
 *
 * @internal
 */

const open = "<loc>"
const close = "</loc>"
/** A URL longer than this is not a page worth fetching (the sitemap protocol allows 2,048 characters). */
const maxUrlLength = 2048

const lowerAscii = (c: number): number => (c >= 0x41 && c <= 0x5a ? c + 0x20 : c)

/** `tag` (lower-case ASCII) at `at`, matched case-insensitively. */
const tagAt = (text: string, at: number, tag: string): boolean => {
  if (at + tag.length > text.length) return false
  for (let j = 0; j < tag.length; j++) {
    if (lowerAscii(text.charCodeAt(at + j)) !== tag.charCodeAt(j)) return false
  }
  return true
}

/** The next `tag` (lower-case ASCII, starting with `<`) at or after `from`, matched case-insensitively. */
const indexOfTag = (text: string, tag: string, from: number): number => {
  for (let i = text.indexOf("<", from); i >= 0; i = text.indexOf("<", i + 1)) {
    if (tagAt(text, i, tag)) return i
  }
  return -1
}

/** What `\s` matches in a regular expression, for one UTF-16 code unit. */
const isSpace = (c: number): boolean =>
  c <= 0x20
    ? c === 0x20 || (c >= 0x09 && c <= 0x0d)
    : c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f ||
      c === 0x205f || c === 0x3000 || c === 0xfeff

/**
 * The `<loc>` URLs of a sitemap (or sitemap index) document, in order, at
 * most `limit` of them. A `<loc>` whose content holds white space or markup,
 * or is longer than 2,048 characters, is skipped; `&amp;` is unescaped. (As
 * `/<loc>\s*([^<\s]+)\s*<\/loc>/gi` would read it, without the regular
 * expression's backtracking.)
 *
 * @internal
 */
export const sitemapLocations = (xml: string, limit = 1000): ReadonlyArray<string> => {
  const out: Array<string> = []
  let from = 0
  while (out.length < limit) {
    const start = indexOfTag(xml, open, from)
    if (start < 0) break
    let begin = start + open.length
    // The content ends at the next `<`, which must close the entry.
    const lt = xml.indexOf("<", begin)
    if (lt < 0) break
    if (!tagAt(xml, lt, close)) {
      from = lt
      continue
    }
    from = lt + close.length
    let stop = lt
    while (begin < stop && isSpace(xml.charCodeAt(begin))) begin++
    while (stop > begin && isSpace(xml.charCodeAt(stop - 1))) stop--
    if (stop === begin || stop - begin > maxUrlLength) continue
    const loc = xml.slice(begin, stop)
    let clean = true
    for (let i = 0; i < loc.length && clean; i++) clean = !isSpace(loc.charCodeAt(i))
    if (clean) out.push(loc.replaceAll("&amp;", "&"))
  }
  return out
}
