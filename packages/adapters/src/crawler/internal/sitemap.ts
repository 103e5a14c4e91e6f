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

/** The next `tag` (lower-case ASCII, starting with `<`) at or after `from`, matched case-insensitively. */
const indexOfTag = (text: string, tag: string, from: number): number => {
  for (let i = text.indexOf("<", from); i >= 0; i = text.indexOf("<", i + 1)) {
    let j = 1
    while (j < tag.length && lowerAscii(text.charCodeAt(i + j)) === tag.charCodeAt(j)) j++
    if (j === tag.length) return i
  }
  return -1
}

const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c

/**
 * The `<loc>` URLs of a sitemap (or sitemap index) document, in order, at
 * most `limit` of them. A `<loc>` whose content holds white space or markup,
 * or is longer than 2,048 characters, is skipped; `&amp;` is unescaped.
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
    const end = indexOfTag(xml, close, begin)
    if (end < 0) break
    from = end + close.length
    let stop = end
    while (begin < stop && isSpace(xml.charCodeAt(begin))) begin++
    while (stop > begin && isSpace(xml.charCodeAt(stop - 1))) stop--
    if (stop === begin || stop - begin > maxUrlLength) continue
    const loc = xml.slice(begin, stop)
    let clean = true
    for (let i = 0; i < loc.length && clean; i++) {
      const c = loc.charCodeAt(i)
      if (isSpace(c) || c === 0x3c) clean = false
    }
    if (clean) out.push(loc.replaceAll("&amp;", "&"))
  }
  return out
}
