/**
 * HTML to text and signals in one pass over the document's events (see
 * `html.ts`), in time and memory linear in the page. Signals (emails, phones,
 * social links, marked-up addresses) are read from the whole document,
 * footer included; the text drops scripts, styles, navigation and
 * boilerplate and keeps one line per block with white space collapsed.
 *
 * What each element's text feeds (a link's label, a heading, an
 * `<address>`, a microdata property, the title, a JSON-LD block) is
 * gathered by the innermost open element of that kind only, bounded in
 * length, so that deep nesting never makes the same text be copied once per
 * ancestor (a link inside a link closes the outer one, as browsers do).
 *
 * @internal
 */
import { scan } from "./html.js"
import {
  addressLine,
  cfDecode,
  collapse,
  emailsIn,
  flatten,
  formatAddress,
  jsonLdAddresses,
  type Network,
  normalizePhone,
  phonesIn,
  safeDecode,
  socialOf,
  unique
} from "./signals.js"

export type { Network } from "./signals.js"

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

/** Bounds on what one page can produce. */
const limits = {
  /** Characters kept of a link label, heading, address, property or title. */
  label: 1_000,
  /** Characters of one JSON-LD block parsed. */
  jsonLd: 512 * 1024,
  /** Distinct links kept per page (a home page links far fewer). */
  links: 10_000,
  /** Characters of an href worth resolving. */
  href: 4_096,
  /** Headings kept. */
  headings: 40
} as const

const boilerplateTags = new Set([
  "script", "style", "noscript", "template", "svg", "iframe", "canvas", "object", "embed", "nav", "footer", "aside", "form"
])
const boilerplateRoles = new Set(["navigation", "banner", "contentinfo"])
const boilerplateClasses = ["cookie", "consent", "breadcrumb", "skip-link"]
const silent = new Set(["script", "style", "noscript", "template", "head"])
const blocks = new Set(["p", "div", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "section",
  "article", "main", "header", "footer", "nav", "aside", "tr", "table", "blockquote", "pre", "address", "figure",
  "figcaption", "td", "th", "form", "body", "html"])
const headingTags = new Set(["h1", "h2", "h3"])

/** Navigation, banners, cookie notices and the like: their text is not the page's. */
const isBoilerplate = (name: string, attrs: ReadonlyMap<string, string>, parent: string | undefined): boolean => {
  if (boilerplateTags.has(name) || (name === "header" && parent === "body")) return true
  if (boilerplateRoles.has(attrs.get("role") ?? "") || attrs.get("aria-hidden") === "true" || attrs.has("hidden")) return true
  if ((attrs.get("id") ?? "").toLowerCase().includes("cookie")) return true
  const className = attrs.get("class")
  if (className === undefined) return false
  const lower = className.toLowerCase()
  return boilerplateClasses.some((c) => lower.includes(c))
}

/** Text gathered up to a bound; the innermost open capture of a kind gets the text. */
class Capture {
  private readonly parts: Array<string> = []
  private length = 0
  constructor(private readonly bound: number) {}
  add(text: string): void {
    if (this.length >= this.bound) return
    const part = text.length > this.bound - this.length ? text.slice(0, this.bound - this.length) : text
    this.parts.push(part)
    this.length += part.length
  }
  text(): string {
    return this.parts.join("")
  }
}

/** A stack of captures of one kind, each tied to the depth of the element that opened it. */
class Captures {
  private readonly open: Array<{ readonly depth: number; readonly capture: Capture }> = []
  constructor(private readonly bound: number) {}
  start(depth: number): void {
    this.open.push({ depth, capture: new Capture(this.bound) })
  }
  /** The innermost open capture: the only one that gets text. */
  get current(): Capture | undefined {
    // Check the length first: reading index -1 of an array is a slow property lookup.
    const n = this.open.length
    return n === 0 ? undefined : this.open[n - 1]!.capture
  }
  /** Ends the capture opened at `depth`, if it is the innermost, with its text. */
  end(depth: number): string | undefined {
    const n = this.open.length
    if (n === 0 || this.open[n - 1]!.depth !== depth) return undefined
    const top = this.open[n - 1]!
    this.open.pop()
    return top.capture.text()
  }
}

/** A title or description: white space collapsed, at most `limits.label` characters (a meta tag's content may be megabytes). */
const label = (s: string | undefined): string => collapse((s ?? "").slice(0, 4 * limits.label)).slice(0, limits.label)

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
  const names: Array<string> = []
  const boilerplateAt: Array<boolean> = []
  let boilerplateDepth = 0
  let silentDepth = 0
  let bodyDepth = 0
  let bodySeen = false
  let hiddenAnchors = 0

  const full: Array<string> = []
  const body: Array<string> = []
  const outside: Array<string> = []
  const cfEmails: Array<string> = []
  const mailtoEmails: Array<string> = []
  const telPhones: Array<string> = []
  const rawLinks = new Map<string, string>()
  const jsonLd: Array<string> = []
  const microdata: Array<string> = []
  const addressTags: Array<string> = []
  const headings: Array<{ text: string }> = []
  let title: string | undefined
  let ogTitle: string | undefined
  let description: string | undefined
  let ogDescription: string | undefined
  let base: string | undefined

  const titles = new Captures(limits.label)
  const scripts = new Captures(limits.jsonLd)
  const heads = new Captures(limits.label)
  const addresses = new Captures(limits.label)
  const props = new Captures(limits.label)
  // What closes with an element: depth-keyed records of headings, scopes and properties.
  const headingAt = new Map<number, { text: string }>()
  const scopeAt = new Map<number, Map<string, string>>()
  const scopes: Array<Map<string, string>> = []
  const propAt = new Map<number, string>()
  const hiddenAnchorAt = new Set<number>()

  // The open link: a link inside a link closes it, as browsers do.
  let openLink: { readonly depth: number; readonly href: string; readonly label: string; readonly text: Capture } | undefined
  const endLink = () => {
    const link = openLink!
    openLink = undefined
    const text = collapse(link.text.text()) || link.label
    if (!rawLinks.has(link.href) && rawLinks.size < limits.links) rawLinks.set(link.href, text)
  }
  const newline = () => {
    full.push("\n")
    if (boilerplateDepth === 0) (bodyDepth > 0 ? body : outside).push("\n")
  }

  scan(html, {
    open: (name, attrs) => {
      const depth = names.length
      const boilerplate = isBoilerplate(name, attrs, depth === 0 ? undefined : names[depth - 1])
      names.push(name)
      boilerplateAt.push(boilerplate)
      if (boilerplate) boilerplateDepth++
      if (silent.has(name)) silentDepth++
      if (name === "body") {
        bodyDepth++
        bodySeen = true
      }
      if (silentDepth === 0 && blocks.has(name)) newline()

      const cf = attrs.get("data-cfemail")
      if (cf !== undefined) cfEmails.push(...emailsIn(flatten(cfDecode(cf))))
      switch (name) {
        case "br":
          if (silentDepth === 0) newline()
          addresses.current?.add(", ")
          break
        case "title":
          if (title === undefined && titles.current === undefined) titles.start(depth)
          break
        case "script":
          if (attrs.get("type") === "application/ld+json") scripts.start(depth)
          break
        case "meta": {
          const content = attrs.get("content") ?? ""
          const property = attrs.get("property")
          if (description === undefined && (attrs.get("name") ?? "").toLowerCase() === "description") description = content
          if (ogTitle === undefined && property === "og:title") ogTitle = content
          if (ogDescription === undefined && property === "og:description") ogDescription = content
          break
        }
        case "base":
          if (base === undefined && attrs.has("href")) base = attrs.get("href")
          break
        case "address":
          addresses.start(depth)
          break
        case "a": {
          const href = (attrs.get("href") ?? "").trim()
          if (!attrs.has("href")) break
          if (/^mailto:/i.test(href)) {
            const address = safeDecode(href.slice(7).split("?")[0] ?? "")
            for (const part of address.split(",")) mailtoEmails.push(...emailsIn(flatten(part)))
          } else if (/^tel:/i.test(href)) {
            const phone = normalizePhone(safeDecode(href.slice(4)))
            if (phone !== undefined) telPhones.push(phone)
          } else if (href.length <= limits.href) {
            if (openLink !== undefined) endLink()
            const label = collapse((attrs.get("aria-label") ?? attrs.get("title") ?? "").slice(0, limits.label))
            openLink = { depth, href, label, text: new Capture(limits.label) }
          }
          // `<address>` text leaves out email and phone links (case as written, like `a[href^='mailto:']`).
          if (href.startsWith("mailto:") || href.startsWith("tel:")) {
            hiddenAnchors++
            hiddenAnchorAt.add(depth)
          }
          break
        }
      }
      if (headingTags.has(name) && boilerplateDepth === 0 && silentDepth === 0) {
        const heading = { text: "" }
        headings.push(heading)
        headingAt.set(depth, heading)
        heads.start(depth)
      }
      if ((attrs.get("itemtype") ?? "").includes("PostalAddress")) {
        const record = new Map<string, string>()
        scopeAt.set(depth, record)
        scopes.push(record)
      } else if (scopes.length > 0 && attrs.has("itemprop")) {
        const prop = attrs.get("itemprop")!
        const content = attrs.get("content")
        if (content !== undefined) scopes[scopes.length - 1]!.set(prop, content)
        else {
          propAt.set(depth, prop)
          props.start(depth)
        }
      }
    },

    text: (data) => {
      titles.current?.add(data)
      scripts.current?.add(data)
      if (silentDepth > 0) return
      full.push(data)
      if (boilerplateDepth === 0) {
        ;(bodyDepth > 0 ? body : outside).push(data)
        heads.current?.add(data)
      }
      openLink?.text.add(data)
      if (hiddenAnchors === 0) addresses.current?.add(data)
      props.current?.add(data)
    },

    close: (name) => {
      const depth = names.length - 1
      if (silentDepth === 0 && blocks.has(name)) newline()
      const titleText = titles.end(depth)
      if (titleText !== undefined && title === undefined) title = titleText
      const script = scripts.end(depth)
      if (script !== undefined) {
        jsonLdAddresses(parseJson(script), jsonLd)
      }
      if (openLink?.depth === depth) endLink()
      const heading = headingAt.get(depth)
      if (heading !== undefined) {
        headingAt.delete(depth)
        heading.text = collapse(heads.end(depth) ?? "")
      }
      const address = addresses.end(depth)
      if (address !== undefined) {
        const line = addressLine(collapse(address))
        if (line !== "") addressTags.push(line)
      }
      const prop = propAt.get(depth)
      if (prop !== undefined) {
        propAt.delete(depth)
        const value = props.end(depth) ?? ""
        scopes[scopes.length - 1]?.set(prop, value)
      }
      const scope = scopeAt.get(depth)
      if (scope !== undefined) {
        scopeAt.delete(depth)
        scopes.pop()
        const a = formatAddress(Object.fromEntries(scope))
        if (a !== undefined) microdata.push(a)
      }
      if (hiddenAnchorAt.delete(depth)) hiddenAnchors--
      if (boilerplateAt.pop()) boilerplateDepth--
      if (silent.has(name)) silentDepth--
      if (name === "body") bodyDepth--
      names.pop()
    }
  })

  const baseHref = (() => {
    try {
      return new URL(base ?? baseUrl, baseUrl).href
    } catch {
      return baseUrl
    }
  })()
  const resolved: Array<Link> = []
  for (const [href, text] of rawLinks) {
    let url: URL
    try {
      url = new URL(href, baseHref)
    } catch {
      continue
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") continue
    url.hash = ""
    resolved.push({ url: url.href, text })
  }

  const fullText = flatten(full.join(""))
  return {
    title: label(title) || label(ogTitle),
    description: label(description) || label(ogDescription),
    headings: unique(headings.map((h) => h.text)).slice(0, limits.headings),
    text: linesOf((bodySeen ? body : outside).join("")),
    links: unique(resolved, (l) => l.url),
    emails: unique([...cfEmails, ...mailtoEmails, ...emailsIn(fullText)]),
    phones: unique([...telPhones, ...phonesIn(fullText)]),
    socials: unique(resolved.flatMap((l) => socialOf(l.url) ?? []), (s) => s.url),
    addresses: unique([...jsonLd, ...microdata, ...addressTags], (a) => a.toLowerCase())
  }
}

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
