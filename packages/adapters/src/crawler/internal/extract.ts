/**
 * HTML to text and signals with cheerio. Signals (emails, phones, social
 * links, marked-up addresses) are read from the whole document, footer
 * included; the text drops scripts, styles, navigation and boilerplate and
 * keeps one line per block with white space collapsed.
 *
 * @internal
 */
import * as cheerio from "cheerio"

/** @internal */
export type Network = "linkedin" | "twitter" | "facebook" | "instagram" | "youtube" | "github" | "xing" | "tiktok"

/** @internal */
export interface Link {
  readonly url: string
  readonly text: string
}

/** @internal */
export interface Extracted {
  readonly title: string
  readonly description: string
  readonly headings: ReadonlyArray<string>
  readonly text: string
  readonly links: ReadonlyArray<Link>
  readonly emails: ReadonlyArray<string>
  readonly phones: ReadonlyArray<string>
  readonly socials: ReadonlyArray<{ readonly network: Network; readonly url: string }>
  readonly addresses: ReadonlyArray<string>
}

const collapse = (s: string): string => s.replace(/\s+/g, " ").trim()

const unique = <A>(items: Iterable<A>, key: (a: A) => string = String): Array<A> => {
  const seen = new Set<string>()
  const out: Array<A> = []
  for (const item of items) {
    const k = key(item)
    if (k === "" || seen.has(k)) continue
    seen.add(k)
    out.push(item)
  }
  return out
}

const emailPattern = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}/g
const notEmailTld = /\.(png|jpe?g|gif|svg|webp|css|js)$/i

/** Undoes the simple obfuscations: `name [at] host [dot] com`, `(at)`, `{dot}`. @internal */
export const deobfuscate = (text: string): string =>
  text
    .replace(/\s*[[({<]\s*(?:at|@)\s*[\])}>]\s*/gi, "@")
    .replace(/\s*[[({<]\s*(?:dot|\.)\s*[\])}>]\s*/gi, ".")

const emailsIn = (text: string): Array<string> =>
  (deobfuscate(text).match(emailPattern) ?? []).map((e) => e.toLowerCase()).filter((e) => !notEmailTld.test(e))

/** Cloudflare's email protection: hex bytes XOR-ed with the first byte. */
const cfDecode = (hex: string): string => {
  const key = parseInt(hex.slice(0, 2), 16)
  let out = ""
  for (let i = 2; i + 1 < hex.length; i += 2) out += String.fromCharCode(parseInt(hex.slice(i, i + 2), 16) ^ key)
  return out
}

const phoneLabel = /(?<![A-Za-z])(?:tel(?:ephone|efon|éfono)?|phone|tél(?:éphone)?|call|電話|电话|☎)\s*[.:]?\s*((?:\+|00)?\(?\d[\d\s().\/-]{5,}\d)/gi
const phoneIntl = /(?:^|[^\w+])((?:\+|00)[1-9][\d\s().\/-]{6,}\d)/g

/** A phone number as `+` and digits (international) or digits; undefined when implausible. @internal */
export const normalizePhone = (raw: string): string | undefined => {
  const trimmed = raw.trim()
  const international = trimmed.startsWith("+") || trimmed.startsWith("00")
  const digits = trimmed.replace(/\D/g, "").replace(international && trimmed.startsWith("00") ? /^00/ : /^$/, "")
  if (digits.length < 7 || digits.length > 15) return undefined
  return international ? `+${digits}` : digits
}

const phonesIn = (text: string): Array<string> => {
  const found: Array<string> = []
  for (const m of text.matchAll(phoneLabel)) found.push(m[1]!)
  for (const m of text.matchAll(phoneIntl)) found.push(m[1]!)
  return found.flatMap((p) => normalizePhone(p) ?? [])
}

const socialHosts: ReadonlyArray<readonly [RegExp, Network, RegExp]> = [
  [/(^|\.)linkedin\.com$/, "linkedin", /^\/(company|in|school|showcase)\/[^/]+/],
  [/(^|\.)(twitter|x)\.com$/, "twitter", /^\/(?!intent|share|home|search)[A-Za-z0-9_]{1,15}\/?$/],
  [/(^|\.)facebook\.com$/, "facebook", /^\/(?!sharer|share|dialog|plugins)[^/]+/],
  [/(^|\.)instagram\.com$/, "instagram", /^\/[^/]+/],
  [/(^|\.)youtube\.com$/, "youtube", /^\/(channel\/|c\/|user\/|@)[^/]+/],
  [/^github\.com$/, "github", /^\/[^/]+\/?$/],
  [/(^|\.)xing\.com$/, "xing", /^\/(pages|companies|profile)\/[^/]+/],
  [/(^|\.)tiktok\.com$/, "tiktok", /^\/@[^/]+/]
]

/** The social network of a profile URL, with the URL normalised. @internal */
export const socialOf = (href: string): { readonly network: Network; readonly url: string } | undefined => {
  let url: URL
  try {
    url = new URL(href)
  } catch {
    return undefined
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return undefined
  const host = url.hostname.toLowerCase().replace(/^(www|m|mobile)\./, "")
  for (const [hostPattern, network, pathPattern] of socialHosts) {
    if (hostPattern.test(host) && pathPattern.test(url.pathname)) {
      return { network, url: `https://${host}${url.pathname.replace(/\/+$/, "")}` }
    }
  }
  return undefined
}

const addressParts = ["streetAddress", "postOfficeBoxNumber", "postalCode", "addressLocality", "addressRegion", "addressCountry"]

const formatAddress = (value: unknown): string | undefined => {
  if (typeof value === "string") return collapse(value) || undefined
  if (typeof value !== "object" || value === null) return undefined
  const record = value as Record<string, unknown>
  const parts = addressParts.flatMap((k) => {
    const v = record[k]
    if (typeof v === "string") return [collapse(v)]
    if (typeof v === "object" && v !== null && typeof (v as Record<string, unknown>)["name"] === "string") {
      return [collapse((v as Record<string, string>)["name"]!)]
    }
    return []
  }).filter((s) => s !== "")
  return parts.length === 0 ? undefined : parts.join(", ")
}

const jsonLdAddresses = (node: unknown, out: Array<string>, depth = 0): void => {
  if (depth > 8 || typeof node !== "object" || node === null) return
  if (Array.isArray(node)) return node.forEach((n) => jsonLdAddresses(n, out, depth + 1))
  const record = node as Record<string, unknown>
  if (record["@type"] === "PostalAddress") {
    const a = formatAddress(record)
    if (a !== undefined) out.push(a)
    return
  }
  for (const [key, value] of Object.entries(record)) {
    if (key === "address" && typeof value === "string") out.push(collapse(value))
    else jsonLdAddresses(value, out, depth + 1)
  }
}

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

const boilerplate = [
  "script", "style", "noscript", "template", "svg", "iframe", "canvas", "object", "embed", "nav", "footer", "aside",
  "form", "body > header", "[role=navigation]", "[role=banner]", "[role=contentinfo]", "[aria-hidden=true]", "[hidden]",
  "[id*=cookie i]", "[class*=cookie i]", "[class*=consent i]", "[class*=breadcrumb i]", "[class*=skip-link i]"
].join(", ")

const blocks = new Set(["p", "div", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "section",
  "article", "main", "header", "footer", "nav", "aside", "tr", "table", "blockquote", "pre", "address", "figure",
  "figcaption", "td", "th", "form", "body", "html"])
const silent = new Set(["script", "style", "noscript", "template", "head"])

// The shape of domhandler's nodes that the text walk needs.
interface DomNode {
  readonly type: string
  readonly name?: string
  readonly data?: string
  readonly children?: ReadonlyArray<DomNode>
}

/**
 * The text of a node: one line per block, `<br>` as a line break, scripts
 * and styles skipped. Iterative, so deeply nested markup cannot overflow the
 * stack, and linear in the document.
 */
const textOf = (root: DomNode): string => {
  const out: Array<string> = []
  const stack: Array<DomNode | "\n"> = [root]
  while (stack.length > 0) {
    const node = stack.pop()!
    if (node === "\n") {
      out.push("\n")
    } else if (node.type === "text") {
      out.push(node.data ?? "")
    } else if (node.type === "tag" || node.type === "root") {
      const name = node.name ?? ""
      if (silent.has(name)) continue
      if (name === "br") {
        out.push("\n")
        continue
      }
      const block = blocks.has(name)
      if (block) {
        out.push("\n")
        stack.push("\n")
      }
      const children = node.children ?? []
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!)
    }
  }
  return out.join("")
}

const linesOf = (text: string): string => {
  const lines = text.split("\n").map(collapse).filter((l) => l !== "")
  return lines.filter((l, i) => l !== lines[i - 1]).join("\n")
}

/**
 * Extracts text, links and signals from an HTML document fetched at `baseUrl`.
 *
 * @internal
 */
export const extract = (html: string, baseUrl: string): Extracted => {
  // htmlparser2 rather than parse5: several times faster on large pages, and
  // forgiving enough for the malformed HTML found in the wild.
  const $ = cheerio.load(html, { xml: { xmlMode: false, decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true } })
  const baseHref = $("base[href]").attr("href")
  const base = (() => {
    try {
      return new URL(baseHref ?? baseUrl, baseUrl).href
    } catch {
      return baseUrl
    }
  })()
  const absolute = (href: string): string | undefined => {
    try {
      const url = new URL(href.trim(), base)
      url.hash = ""
      return url.href
    } catch {
      return undefined
    }
  }

  // Signals first, from the whole document.
  const emails: Array<string> = []
  const phones: Array<string> = []
  const socials: Array<{ network: Network; url: string }> = []
  const links: Array<Link> = []
  $("[data-cfemail]").each((_, el) => {
    emails.push(...emailsIn(cfDecode($(el).attr("data-cfemail") ?? "")))
  })
  $("a[href]").each((_, el) => {
    const a = $(el)
    const href = (a.attr("href") ?? "").trim()
    const text = collapse(a.text()) || collapse(a.attr("aria-label") ?? a.attr("title") ?? "")
    if (/^mailto:/i.test(href)) {
      const address = safeDecode(href.slice(7).split("?")[0] ?? "")
      for (const part of address.split(",")) emails.push(...emailsIn(part))
    } else if (/^tel:/i.test(href)) {
      const phone = normalizePhone(safeDecode(href.slice(4)))
      if (phone !== undefined) phones.push(phone)
    } else {
      const url = absolute(href)
      if (url === undefined || !/^https?:/.test(url)) return
      const social = socialOf(url)
      if (social !== undefined) socials.push(social)
      links.push({ url, text })
    }
  })
  const addresses: Array<string> = []
  $("script[type='application/ld+json']").each((_, el) => jsonLdAddresses(parseJson($(el).text()), addresses))
  $("[itemtype*=PostalAddress]").each((_, el) => {
    const record: Record<string, string> = {}
    $(el).find("[itemprop]").each((_, p) => {
      const prop = $(p).attr("itemprop") ?? ""
      record[prop] = $(p).attr("content") ?? $(p).text()
    })
    const a = formatAddress(record)
    if (a !== undefined) addresses.push(a)
  })
  $("address").each((_, el) => {
    const clone = $(el).clone()
    clone.find("br").replaceWith(", ")
    clone.find("a[href^='mailto:'], a[href^='tel:']").remove()
    const a = collapse(clone.text()).replace(/\s*,\s*(,\s*)*/g, ", ").replace(/^,\s*|,\s*$/g, "")
    if (a !== "") addresses.push(a)
  })

  const title = collapse($("title").first().text()) || collapse($("meta[property='og:title']").attr("content") ?? "")
  const description = collapse($("meta[name=description i]").attr("content") ?? "") ||
    collapse($("meta[property='og:description']").attr("content") ?? "")

  // Footers and headers may hold the contact details: scan the whole text first.
  const fullText = textOf($.root().get(0) as unknown as DomNode)
  emails.push(...emailsIn(fullText))
  phones.push(...phonesIn(fullText))

  // Then the text proper, without boilerplate.
  $(boilerplate).remove()
  const headings = unique($("h1, h2, h3").toArray().map((el) => collapse($(el).text()))).slice(0, 40)
  const body = $("body").get(0) ?? $.root().get(0)
  const text = linesOf(textOf(body as unknown as DomNode))

  return {
    title,
    description,
    headings,
    text,
    links: unique(links, (l) => l.url),
    emails: unique(emails),
    phones: unique(phones),
    socials: unique(socials, (s) => s.url),
    addresses: unique(addresses, (a) => a.toLowerCase())
  }
}

const safeDecode = (s: string): string => {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}
