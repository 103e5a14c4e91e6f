/**
 * An adversarial corpus for the crawler's text work: families of inputs
 * that real (or hostile) sites serve and that break naive parsers — long
 * runs of one character, deeply nested or unclosed tags, enormous
 * attributes, one huge line, unterminated comments, scripts and CDATA,
 * thousands of links — each generated at any size. The property tests and
 * `npm run bench -- crawl` use the same families, so that a time(2n)/time(n)
 * ratio printed by the bench is about the inputs the tests check.
 *
 * ```ts
 * for (const family of Adversarial.html) {
 *   const page = family.make(2 * 1024 * 1024)   // about 2 MB of that shape
 * }
 * ```
 *
 * @since 0.1.0
 */

/**
 * One family of inputs: a name, what it stresses, and a generator of an
 * input of about `size` characters (never more than `size`).
 *
 * @since 0.1.0
 * @category models
 */
export interface Family {
  readonly name: string
  readonly note: string
  readonly make: (size: number) => string
}

/** `unit` repeated to fill `size` characters, between `head` and `tail`. */
const fill = (head: string, unit: string, tail: string, size: number): string => {
  const room = Math.max(0, size - head.length - tail.length)
  const body = unit.repeat(Math.floor(room / unit.length))
  return head + body + tail
}

const doc = (open: string, close = "</body></html>") => ({
  head: `<!DOCTYPE html><html><head><title>t</title></head><body>${open}`,
  tail: close
})

const family = (name: string, note: string, open: string, unit: string, close = "", end = "</body></html>"): Family => ({
  name,
  note,
  make: (size) => {
    const d = doc(open, close + end)
    return fill(d.head, unit, d.tail, size)
  }
})

/**
 * Families of HTML pages, each made at any size; `make(n)` returns at most
 * `n` characters.
 *
 * @since 0.1.0
 * @category corpus
 */
export const html: ReadonlyArray<Family> = [
  family("spaces", "one run of spaces inside a paragraph", "<p>a", " ", "b</p>"),
  family("whitespace-mix", "tabs, newlines, form feeds and no-break spaces", "<p>a", " \t\n\r\f\u00a0", "b</p>"),
  family("one-line", "one line of words with no newline", "<p>", "lorem ipsum dolor sit amet ", "</p>"),
  family("letters", "one run of letters (an email local part that never meets an @)", "<p>", "a", "</p>"),
  family("digits", "one run of digits and spaces (a phone number that never ends)", "<p>Tel: +", "1 ", "x</p>"),
  family("zeros", "international prefixes that never finish", "<p>", "(00 ", "</p>"),
  family("labels", "phone labels followed by nothing", "<p>", "phone:  tel ", "</p>"),
  family("dots", "a domain of endless labels after an @", "<p>a@", "a.", "</p>"),
  family("ats", "at signs with no address around them", "<p>", "a@", "</p>"),
  family("obfuscation", "half-open [at] and (dot) markers", "<p>x", " [at (dot ", "</p>"),
  family("nested-div", "deeply nested, never closed block elements", "", "<div>"),
  family("nested-a", "deeply nested links", "", "<a href='/x'>"),
  family("nested-span-close", "close tags that match nothing on a deep stack", "<div><div><div>", "</span>"),
  family("open-close", "tags opened and closed at random depths", "", "<div><span><b><i></b></span>"),
  family("big-attribute", "one enormous attribute value", "<a href='/about' title='", "a", "'>About</a>"),
  family("big-href", "one enormous href", "<a href='/", "a", "'>About</a>"),
  family("unclosed-attribute", "an attribute value that never closes", "<a href='/", "a b=c ", ""),
  family("comment", "an unterminated comment", "<!--", "a-", ""),
  family("script", "an unterminated script", "<script>", "var a = '<p>';", ""),
  family("style", "an unterminated style", "<style>", "a{color:red}", ""),
  family("cdata", "an unterminated CDATA section", "<![CDATA[", "a]", ""),
  family("title", "an unterminated title", "<title>", "a ", ""),
  family("links", "thousands of links", "", "<a href='/p'>about</a>"),
  family("mailto", "thousands of mailto links", "", "<a href='mailto:a@b.test'>m</a>"),
  {
    name: "long-links",
    note: "thousands of distinct links with long paths and long labels (page picking's worst case)",
    make: (size) => {
      const d = doc("")
      const parts: Array<string> = []
      let used = d.head.length + d.tail.length
      for (let i = 0; ; i++) {
        const link = `<a href='/about-${i}/${"team-".repeat(180)}'>${"about us contact team careers ".repeat(10)}</a>`
        if (used + link.length > size) break
        parts.push(link)
        used += link.length
      }
      return d.head + parts.join("") + d.tail
    }
  },
  family("address", "an address of spaces and commas", "<address>a", " , ", "b</address>"),
  family("entities", "a run of character references", "<p>", "&amp;&#x41;&nbsp;&", "</p>"),
  family("json-ld", "one huge JSON-LD block of nested arrays", "<script type='application/ld+json'>", "[", ""),
  family("cfemail", "an enormous Cloudflare-protected address", "<a data-cfemail='", "4b", "'>x</a>"),
  family("microdata", "a postal address with endless properties", "<div itemscope itemtype='https://schema.org/PostalAddress'>",
    "<span itemprop='streetAddress'>1 Main St</span>", "</div>"),
  family("lt", "a run of < characters", "<p>", "<", "</p>")
]

/**
 * Families of robots.txt files (at most `n` characters each).
 *
 * @since 0.1.0
 * @category corpus
 */
export const robots: ReadonlyArray<Family> = [
  { name: "long-line", note: "one rule on one huge line", make: (n) => fill("User-agent: *\nDisallow: /", "a", "\n", n) },
  { name: "stars", note: "a pattern of wildcards between letters", make: (n) => fill("User-agent: *\nDisallow: /", "*a", "b$\n", n) },
  { name: "many-rules", note: "thousands of rules in one group", make: (n) => fill("User-agent: *\n", "Disallow: /a*b*c\n", "", n) },
  { name: "many-groups", note: "thousands of groups", make: (n) => fill("", "User-agent: a\nUser-agent: b\nDisallow: /x\n", "", n) },
  { name: "junk", note: "lines without a colon", make: (n) => fill("User-agent: *\n", "junk junk junk\n", "Disallow: /private\n", n) },
  { name: "blank-lines", note: "a run of blank lines and carriage returns", make: (n) => fill("User-agent: *\n", "\r\n\r", "Disallow: /x\n", n) },
  { name: "comments", note: "one huge comment", make: (n) => fill("User-agent: *\n#", "#", "\nDisallow: /x\n", n) }
]

/**
 * Families of sitemap documents (at most `n` characters each).
 *
 * @since 0.1.0
 * @category corpus
 */
export const sitemaps: ReadonlyArray<Family> = [
  { name: "many-locs", note: "thousands of entries", make: (n) => fill("<urlset>", "<url><loc>https://a.test/p</loc></url>", "</urlset>", n) },
  { name: "open-loc", note: "an unterminated <loc>", make: (n) => fill("<urlset><loc>", "a", "", n) },
  { name: "loc-spaces", note: "a <loc> of white space", make: (n) => fill("<urlset><loc>", " ", "</loc>", n) },
  { name: "lt-run", note: "a run of < characters", make: (n) => fill("<urlset>", "<", "</urlset>", n) }
]
