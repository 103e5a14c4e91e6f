/**
 * Contact signals in page text: email addresses (plain, obfuscated as
 * `name [at] host [dot] com`, Cloudflare-protected), phone numbers, social
 * profile links and postal addresses (JSON-LD, microdata, `<address>`).
 *
 * Everything here runs in time linear in its input. No regular expression
 * meets an unbounded run it could backtrack over: emails are found by
 * scanning out from each `@` (bounded by the RFC's lengths and by the
 * neighbouring `@`s), white space is collapsed before the patterns that
 * allow it, and the patterns' repetitions are bounded.
 *
 * @internal
 */

/** @internal */
export type Network = "linkedin" | "twitter" | "facebook" | "instagram" | "youtube" | "github" | "xing" | "tiktok"

// White space other than one lone space: a run of two or more, or a tab, newline, no-break space...
// Lone spaces do not match, so ordinary prose is scanned without being rebuilt. Linear: a run is consumed at once.
const spacing = /\s{2,}|[^\S ]/g

/** Runs of white space as one space, trimmed. @internal */
export const collapse = (s: string): string => s.replace(spacing, " ").trim()

/** The first occurrence of each item by `key`, in order; empty keys dropped. @internal */
export const unique = <A>(items: Iterable<A>, key: (a: A) => string = String): Array<A> => {
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

/**
 * Each run of white space as one space: the form {@link emailsIn} and
 * {@link phonesIn} expect, so that their patterns never meet a run of
 * white space they could backtrack over.
 *
 * @internal
 */
export const flatten = (s: string): string => s.replace(spacing, " ")

/**
 * Undoes the simple obfuscations: `name [at] host [dot] com`, `(at)`,
 * `{dot}`. White space is collapsed first, so each marker's surrounding
 * `\s?` matches at most one character and the pattern does constant work
 * at each position.
 *
 * @internal
 */
export const deobfuscate = (text: string): string => unmask(flatten(text))

/** {@link deobfuscate} on flattened text. */
const unmask = (flat: string): string =>
  /[[({<]/.test(flat)
    ? flat.replace(/ ?[[({<] ?(?:at|@) ?[\])}>] ?/gi, "@").replace(/ ?[[({<] ?(?:dot|\.) ?[\])}>] ?/gi, ".")
    : flat

const isLocal = (c: number): boolean =>
  (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) ||
  c === 0x2e || c === 0x5f || c === 0x25 || c === 0x2b || c === 0x2d
const isLetter = (c: number): boolean => (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a)
const isLabel = (c: number): boolean => isLetter(c) || (c >= 0x30 && c <= 0x39) || c === 0x2d

// RFC 5321 limits: a local part of 64 octets, a domain of 255.
const maxLocal = 64
const maxDomain = 255
const notEmailTld = /\.(png|jpe?g|gif|svg|webp|css|js)$/i

/**
 * The domain at the start of `text[from..to)`: labels of letters, digits and
 * `-` joined by dots, ending in a dot and 2-24 letters; the longest such
 * prefix (what `[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}` matches).
 */
const domainAt = (text: string, from: number, to: number): number => {
  let best = -1
  let i = from
  let labels = 0
  while (i < to) {
    const start = i
    while (i < to && isLabel(text.charCodeAt(i))) i++
    if (i === start) break
    labels++
    // A dot after at least one label may open the top-level domain.
    if (i < to && text.charCodeAt(i) === 0x2e) {
      let j = i + 1
      while (j < to && j - i - 1 < 24 && isLetter(text.charCodeAt(j))) j++
      if (j - i - 1 >= 2 && labels >= 1) best = j
      i++
    } else {
      break
    }
  }
  return best
}

/**
 * Email addresses in flattened text (see {@link flatten}; lower-cased,
 * obfuscations undone), found from each `@`: the local part is scanned back
 * and the domain forward, never past the neighbouring `@`s, so every
 * character is looked at a bounded number of times.
 *
 * @internal
 */
export const emailsIn = (flat: string): Array<string> => {
  const text = unmask(flat)
  const out: Array<string> = []
  let previousAt = -1
  let consumed = 0
  for (let at = text.indexOf("@"); at >= 0; at = text.indexOf("@", at + 1)) {
    const nextAt = text.indexOf("@", at + 1)
    const limit = nextAt < 0 ? text.length : nextAt
    let start = at
    const floor = Math.max(previousAt + 1, consumed, at - maxLocal)
    while (start > floor && isLocal(text.charCodeAt(start - 1))) start--
    previousAt = at
    if (start === at) continue
    const end = domainAt(text, at + 1, Math.min(limit, at + 1 + maxDomain))
    if (end < 0) continue
    consumed = end
    const email = text.slice(start, end).toLowerCase()
    if (!notEmailTld.test(email)) out.push(email)
  }
  return out
}

/** Cloudflare's email protection: hex bytes XOR-ed with the first byte (at most 256 bytes read). @internal */
export const cfDecode = (hex: string): string => {
  const key = parseInt(hex.slice(0, 2), 16)
  const chars: Array<string> = []
  for (let i = 2; i + 1 < hex.length && i < 514; i += 2) {
    chars.push(String.fromCharCode(parseInt(hex.slice(i, i + 2), 16) ^ key))
  }
  return chars.join("")
}

// Bounded repetitions: a phone number is at most a few dozen characters.
const phoneLabel =
  /(?<![A-Za-z])(?:tel(?:ephone|efon|éfono)?|phone|tél(?:éphone)?|call|電話|电话|☎) ?[.:]? ?((?:\+|00)?\(?\d[\d ().\/-]{5,30}\d)/gi
const phoneIntl = /(?:^|[^\w+])((?:\+|00)[1-9][\d ().\/-]{6,30}\d)/g

/** A phone number as `+` and digits (international) or digits; undefined when implausible. @internal */
export const normalizePhone = (raw: string): string | undefined => {
  const trimmed = raw.trim()
  const international = trimmed.startsWith("+") || trimmed.startsWith("00")
  let digits = trimmed.replace(/\D/g, "")
  if (trimmed.startsWith("00")) digits = digits.slice(2)
  if (digits.length < 7 || digits.length > 15) return undefined
  return international ? `+${digits}` : digits
}

/**
 * Phone numbers after a label (`Tel:`, `phone`, `電話`...) and international
 * numbers, normalised, in flattened text (see {@link flatten}).
 *
 * @internal
 */
export const phonesIn = (text: string): Array<string> => {
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

/** `decodeURIComponent`, or the text as it is when it is not valid percent-encoding. @internal */
export const safeDecode = (s: string): string => {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

/** `s` without its trailing `/`s (a plain scan: `/\/+$/` is quadratic on a run of slashes). @internal */
export const trimSlashes = (s: string): string => {
  let end = s.length
  while (end > 0 && s.charCodeAt(end - 1) === 0x2f) end--
  return s.slice(0, end)
}

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
      return { network, url: `https://${host}${trimSlashes(url.pathname)}` }
    }
  }
  return undefined
}

const addressParts = ["streetAddress", "postOfficeBoxNumber", "postalCode", "addressLocality", "addressRegion", "addressCountry"]

/** A postal address (a string, or a schema.org PostalAddress record) as one line. @internal */
export const formatAddress = (value: unknown): string | undefined => {
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

/** The PostalAddress records and `address` strings in a JSON-LD document, 8 levels deep at most. @internal */
export const jsonLdAddresses = (node: unknown, out: Array<string>, depth = 0): void => {
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

/** An `<address>` element's text as comma-separated parts (line breaks already commas). @internal */
export const addressLine = (text: string): string =>
  text.split(",").map(collapse).filter((part) => part !== "").join(", ")
