/**
 * Is it HTML, and in which encoding: content-type checks, byte sniffing for
 * binary content and HTML signatures (WHATWG MIME Sniffing), and the HTML
 * standard's encoding sniffing — byte order mark, then `Content-Type`
 * charset, then the prescan of the first 1,024 bytes (`<meta>`, XML
 * declaration), then UTF-8 if the body is valid UTF-8, else windows-1252.
 *
 * `@exodus/bytes` decodes, as the WHATWG Encoding Standard says. Node 20's
 * `TextDecoder` decodes windows-1252 bytes 0x80–0x9F as Latin-1
 * (nodejs/node#60888, since 20.18.3); iconv-lite and whatwg-encoding turn
 * five of them into U+FFFD. The prescan is not `encoding-sniffer`'s: its
 * label table lacks iso-8859-8-i, x-mac-cyrillic, iso-2022-jp and the
 * replacement labels, and its scan departs from the standard (no form feed,
 * no `<meta/`, `/` ends a tag, `charset=utf-8/` taken as UTF-8).
 *
 * Every function is linear in its input, with no regular expression.
 *
 * @internal
 */
import { getBOMEncoding, legacyHookDecode, normalizeEncoding } from "@exodus/bytes/encoding.js"
import { isUtf8 } from "node:buffer"

const htmlTypes = new Set(["text/html", "application/xhtml+xml"])
// Types that may hide HTML (missing, generic or wrong) and are sniffed.
const sniffedTypes = new Set(["", "text/plain", "application/octet-stream", "unknown/unknown", "application/unknown"])

/** The MIME essence of a Content-Type header: what precedes any `;`, trimmed and lower-cased. O(header). @internal */
export const mimeOf = (contentType: string | undefined): string => {
  const value = contentType ?? ""
  const semicolon = value.indexOf(";")
  return (semicolon < 0 ? value : value.slice(0, semicolon)).trim().toLowerCase()
}

/** The type says the body cannot be HTML, so it is not worth reading. O(header). @internal */
export const clearlyNotHtml = (contentType: string | undefined): boolean => {
  const mime = mimeOf(contentType)
  return !htmlTypes.has(mime) && !sniffedTypes.has(mime)
}

const signatures: ReadonlyArray<ReadonlyArray<number>> = [
  [0x25, 0x50, 0x44, 0x46, 0x2d], // %PDF-
  [0x89, 0x50, 0x4e, 0x47], // PNG
  [0x47, 0x49, 0x46, 0x38], // GIF8
  [0xff, 0xd8, 0xff], // JPEG
  [0x50, 0x4b, 0x03, 0x04], // ZIP, docx, xlsx
  [0x1f, 0x8b], // gzip
  [0x52, 0x49, 0x46, 0x46], // RIFF (webp, wav)
  [0x7f, 0x45, 0x4c, 0x46] // ELF
]

const startsWith = (bytes: Uint8Array, sig: ReadonlyArray<number>): boolean => sig.every((b, i) => bytes[i] === b)

/**
 * Binary bytes: a known file signature, or control bytes no text would hold
 * in the first 1,024 bytes. A byte order mark means text (MIME Sniffing),
 * so UTF-16 pages are not taken for binary. O(1): bounded prefixes. @internal
 */
export const looksBinary = (bytes: Uint8Array): boolean => {
  if (getBOMEncoding(bytes) !== null) return false
  if (signatures.some((sig) => startsWith(bytes, sig))) return true
  const end = Math.min(bytes.length, 1024)
  for (let i = 0; i < end; i++) {
    const b = bytes[i]
    if (b <= 0x08 || b === 0x0b || (b >= 0x0e && b <= 0x1a) || (b >= 0x1c && b <= 0x1f)) return true
  }
  return false
}

const htmlPrefixes = ["<!doctype html", "<html", "<head", "<body", "<script", "<iframe", "<h1", "<div", "<font",
  "<table", "<a", "<style", "<title", "<b", "<br", "<p", "<!--", "<meta"]

// ASCII whitespace (TAB, LF, FF, CR, SPACE), the separators of both sniffing algorithms.
const isSpace = (b: number): boolean => b === 0x09 || b === 0x0a || b === 0x0c || b === 0x0d || b === 0x20
const lowerByte = (b: number): number => (b >= 0x41 && b <= 0x5a ? b + 0x20 : b)
const isAlpha = (b: number): boolean => (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)

/** `bytes` at `at` (before `end`) spell `word`, ignoring ASCII case; `word` is lower case. */
const matchesAt = (bytes: Uint8Array, at: number, end: number, word: string): boolean => {
  if (at + word.length > end) return false
  for (let k = 0; k < word.length; k++) {
    if (lowerByte(bytes[at + k]) !== word.charCodeAt(k)) return false
  }
  return true
}

/**
 * The first non-blank bytes of the first 512 open an HTML tag (WHATWG "HTML"
 * pattern: the tag name then a space or `>`), after any UTF-8 byte order
 * mark. O(1): at most 512 bytes. @internal
 */
export const sniffHtml = (bytes: Uint8Array): boolean => {
  const end = Math.min(bytes.length, 512)
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0
  while (i < end && isSpace(bytes[i])) i++
  return htmlPrefixes.some((prefix) => {
    if (!matchesAt(bytes, i, end, prefix)) return false
    const next = i + prefix.length
    return prefix === "<!--" || (next < end && (bytes[next] === 0x20 || bytes[next] === 0x3e))
  })
}

/** Whether a fetched body is HTML to parse. O(header): the byte checks are bounded. @internal */
export const isHtml = (contentType: string | undefined, body: Uint8Array): boolean => {
  if (looksBinary(body)) return false
  const mime = mimeOf(contentType)
  if (htmlTypes.has(mime)) return true
  return sniffedTypes.has(mime) && sniffHtml(body)
}

// Encoding Standard "get an encoding": a label to the encoding's lower-case
// name (ASCII whitespace trimmed, ASCII case ignored), undefined for failure.
const getEncoding = (label: string): string | undefined => normalizeEncoding(label) ?? undefined

// --- The Content-Type charset ---

const isHttpSpace = (c: number): boolean => c === 0x09 || c === 0x0a || c === 0x0d || c === 0x20
const isToken = (c: number): boolean =>
  isAlpha(c) || (c >= 0x30 && c <= 0x39) || (c < 0x7f && "!#$%&'*+-.^_`|~".includes(String.fromCharCode(c)))
const isQuotedStringToken = (c: number): boolean => c === 0x09 || (c >= 0x20 && c <= 0x7e) || (c >= 0x80 && c <= 0xff)
const allOf = (s: string, test: (c: number) => boolean): boolean => {
  for (let i = 0; i < s.length; i++) if (!test(s.charCodeAt(i))) return false
  return true
}
const isCharsetName = (s: string): boolean => {
  if (s.length !== 7) return false
  for (let k = 0; k < 7; k++) if (lowerByte(s.charCodeAt(k)) !== "charset".charCodeAt(k)) return false
  return true
}

/** Fetch "collect an HTTP quoted string" from the `"` at `start`: the value (escapes resolved) and the index after it. */
const quoted = (s: string, start: number, end: number): readonly [string, number] => {
  let value = ""
  let from = start + 1
  let p = from
  while (p < end) {
    const c = s.charCodeAt(p)
    if (c === 0x22) return [value + s.slice(from, p), p + 1]
    if (c !== 0x5c) {
      p++
      continue
    }
    value += s.slice(from, p) + (p + 1 < end ? s[p + 1] : "\\")
    from = p += 2
  }
  return [value + s.slice(from, end), end]
}

/**
 * The `charset` parameter of a Content-Type value as MIME Sniffing's "parse
 * a MIME type" reads it: none when the type is invalid or `*\/*`; the first
 * valid `charset` parameter wins; quoted values are unescaped. (Node keeps
 * one Content-Type header, so Fetch's splitting of combined values does not
 * arise.)
 */
const headerCharset = (input: string): string | undefined => {
  let start = 0
  let end = input.length
  while (start < end && isHttpSpace(input.charCodeAt(start))) start++
  while (end > start && isHttpSpace(input.charCodeAt(end - 1))) end--
  let p = start
  while (p < end && input[p] !== "/") p++
  const type = input.slice(start, p)
  if (type === "" || !allOf(type, isToken) || p >= end) return undefined
  const subtypeStart = ++p
  while (p < end && input[p] !== ";") p++
  let subtypeEnd = p
  while (subtypeEnd > subtypeStart && isHttpSpace(input.charCodeAt(subtypeEnd - 1))) subtypeEnd--
  const subtype = input.slice(subtypeStart, subtypeEnd)
  if (subtype === "" || !allOf(subtype, isToken) || (type === "*" && subtype === "*")) return undefined
  let charset: string | undefined
  while (p < end) {
    p++
    while (p < end && isHttpSpace(input.charCodeAt(p))) p++
    const nameStart = p
    while (p < end && input[p] !== ";" && input[p] !== "=") p++
    const name = input.slice(nameStart, p)
    if (p < end && input[p] === ";") continue
    if (++p >= end) break
    let value: string
    if (input[p] === "\"") {
      const [unquoted, after] = quoted(input, p, end)
      value = unquoted
      p = after
      while (p < end && input[p] !== ";") p++
    } else {
      const valueStart = p
      while (p < end && input[p] !== ";") p++
      let valueEnd = p
      while (valueEnd > valueStart && isHttpSpace(input.charCodeAt(valueEnd - 1))) valueEnd--
      value = input.slice(valueStart, valueEnd)
      if (value === "") continue
    }
    if (charset === undefined && isCharsetName(name) && allOf(value, isQuotedStringToken)) charset = value
  }
  return charset
}

// --- The prescan of the first 1,024 bytes (HTML 13.2.3.2) ---

const prescanBytes = 1024
const xmlDeclaration = [0x3c, 0x3f, 0x78, 0x6d, 0x6c] // <?xml
const encodingWord = [0x65, 0x6e, 0x63, 0x6f, 0x64, 0x69, 0x6e, 0x67] // encoding
const utf16leXml = [0x3c, 0x00, 0x3f, 0x00, 0x78, 0x00] // <?x in UTF-16LE
const utf16beXml = [0x00, 0x3c, 0x00, 0x3f, 0x00, 0x78] // <?x in UTF-16BE
type Attribute = { readonly name: string; readonly value: string }

/** Bytes `from`..`to` as code points, A–Z lower-cased (what "get an attribute" collects). */
const lowered = (w: Uint8Array, from: number, to: number): string => {
  let s = ""
  for (let i = from; i < to; i++) s += String.fromCharCode(lowerByte(w[i]))
  return s
}

/** HTML "algorithm for extracting a character encoding from a meta element" on a lower-cased `content` value. */
const contentCharset = (s: string): string | undefined => {
  let from = 0
  for (;;) {
    const at = s.indexOf("charset", from)
    if (at < 0) return undefined
    let p = at + 7
    while (p < s.length && isSpace(s.charCodeAt(p))) p++
    if (s[p++] !== "=") {
      from = p - 1
      continue
    }
    while (p < s.length && isSpace(s.charCodeAt(p))) p++
    if (p >= s.length) return undefined
    const c = s[p]
    if (c === "\"" || c === "'") {
      const close = s.indexOf(c, p + 1)
      return close < 0 ? undefined : getEncoding(s.slice(p + 1, close))
    }
    let q = p
    while (q < s.length && !isSpace(s.charCodeAt(q)) && s[q] !== ";") q++
    return getEncoding(s.slice(p, q))
  }
}

/** HTML "get an XML encoding": the encoding an `<?xml … encoding="…">` at the very start names. */
const xmlEncoding = (w: Uint8Array): string | undefined => {
  if (!startsWith(w, xmlDeclaration) || w.indexOf(0x3e) < 0) return undefined
  let p = 0
  while ((p = w.indexOf(0x65, p)) >= 0 && !startsWith(w.subarray(p), encodingWord)) p++
  if (p < 0) return undefined
  p += 8
  while (p < w.length && w[p] <= 0x20) p++
  if (w[p] !== 0x3d) return undefined
  p++
  while (p < w.length && w[p] <= 0x20) p++
  const quote = w[p]
  if (quote !== 0x22 && quote !== 0x27) return undefined
  const close = w.indexOf(quote, p + 1)
  if (close < 0) return undefined
  for (let i = p + 1; i < close; i++) if (w[i] <= 0x20) return undefined
  const encoding = getEncoding(lowered(w, p + 1, close))
  return encoding === "utf-16le" || encoding === "utf-16be" ? "utf-8" : encoding
}

/**
 * HTML "prescan a byte stream to determine its encoding" over the first
 * 1,024 bytes: the encoding a `<meta charset>` or `<meta http-equiv
 * content-type>` names, or — when the bytes run out first — the one an XML
 * declaration names. Every byte is looked at a bounded number of times.
 */
const prescan = (bytes: Uint8Array): string | undefined => {
  const w = bytes.subarray(0, prescanBytes)
  const n = w.length
  if (startsWith(w, utf16leXml)) return "utf-16le"
  if (startsWith(w, utf16beXml)) return "utf-16be"
  let p = 0

  // "get an attribute" at p: undefined when the bytes run out, null when the tag ends.
  const attribute = (): Attribute | null | undefined => {
    while (p < n && (isSpace(w[p]) || w[p] === 0x2f)) p++
    if (p >= n) return undefined
    if (w[p] === 0x3e) return null
    const nameStart = p++
    while (p < n && w[p] !== 0x3d && !isSpace(w[p]) && w[p] !== 0x2f && w[p] !== 0x3e) p++
    if (p >= n) return undefined
    const name = lowered(w, nameStart, p)
    if (w[p] === 0x2f || w[p] === 0x3e) return { name, value: "" }
    while (p < n && isSpace(w[p])) p++
    if (p >= n) return undefined
    if (w[p] !== 0x3d) return { name, value: "" }
    p++
    while (p < n && isSpace(w[p])) p++
    if (p >= n) return undefined
    const quote = w[p]
    if (quote === 0x22 || quote === 0x27) {
      const close = w.indexOf(quote, p + 1)
      if (close < 0) return undefined
      const value = lowered(w, p + 1, close)
      p = close + 1
      return { name, value }
    }
    if (quote === 0x3e) return { name, value: "" }
    const valueStart = p++
    while (p < n && !isSpace(w[p]) && w[p] !== 0x3e) p++
    return p >= n ? undefined : { name, value: lowered(w, valueStart, p) }
  }

  // The attributes of a `<meta`: its encoding, null when it declares none, undefined when the bytes run out.
  const meta = (): string | null | undefined => {
    const seen = new Set<string>()
    let gotPragma = false
    let needPragma: boolean | undefined
    let charset: string | null | undefined // undefined: none seen; null: an unknown label
    for (let a = attribute(); a !== null; a = attribute()) {
      if (a === undefined) return undefined
      if (seen.has(a.name)) continue
      seen.add(a.name)
      if (a.name === "http-equiv") {
        if (a.value === "content-type") gotPragma = true
      } else if (a.name === "content") {
        const encoding = contentCharset(a.value)
        if (encoding !== undefined && charset === undefined) [charset, needPragma] = [encoding, true]
      } else if (a.name === "charset") {
        charset = getEncoding(a.value) ?? null
        needPragma = false
      }
    }
    if (needPragma === undefined || (needPragma && !gotPragma) || charset == null) return null
    if (charset === "utf-16le" || charset === "utf-16be") return "utf-8"
    return charset === "x-user-defined" ? "windows-1252" : charset
  }

  for (; p < n; p++) {
    if (w[p] !== 0x3c) continue
    const next = w[p + 1]
    if (next === 0x21 && w[p + 2] === 0x2d && w[p + 3] === 0x2d) {
      // "-->", whose dashes may be those of "<!--"
      let q = p + 4
      while (q < n && !(w[q] === 0x3e && w[q - 1] === 0x2d && w[q - 2] === 0x2d)) q++
      if (q >= n) break
      p = q
    } else if (p + 5 < n && matchesAt(w, p + 1, n, "meta") && (isSpace(w[p + 5]) || w[p + 5] === 0x2f)) {
      p += 5
      const found = meta()
      if (found === undefined) break
      if (found !== null) return found
    } else if (isAlpha(next) || (next === 0x2f && isAlpha(w[p + 2]))) {
      while (p < n && !isSpace(w[p]) && w[p] !== 0x3e) p++
      let a = p < n ? attribute() : undefined
      while (a) a = attribute()
      if (a === undefined) break
    } else if (next === 0x21 || next === 0x2f || next === 0x3f) {
      const close = w.indexOf(0x3e, p + 1)
      if (close < 0) break
      p = close
    }
  }
  return xmlEncoding(w)
}

// --- The default ---

/** How many bytes at the end start a UTF-8 sequence cut short (as a body truncated at `maxBytes` ends). */
const cutSequence = (body: Uint8Array): number => {
  for (let k = 1; k <= 3 && k <= body.length; k++) {
    const b = body[body.length - k]
    if (b < 0x80) return 0
    if (b >= 0xc2 && b <= 0xf4) return (b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2) > k ? k : 0
    if (b >= 0xc0) return 0
  }
  return 0
}

const defaultCharset = (body: Uint8Array): string =>
  isUtf8(body.subarray(0, body.length - cutSequence(body))) ? "utf-8" : "windows-1252"

/**
 * The encoding of an HTML body, as the HTML standard's encoding sniffing
 * decides it: a byte order mark; else the `Content-Type` charset, if it is a
 * label of the Encoding Standard; else what the prescan of the first 1,024
 * bytes finds (`<meta charset>`, `<meta http-equiv="Content-Type">`, an XML
 * declaration; a meta's UTF-16 means UTF-8 and x-user-defined means
 * windows-1252); else UTF-8 when the whole body is valid UTF-8 (a sequence
 * cut off at the very end does not count against it) and windows-1252
 * otherwise. Returns the encoding's WHATWG name in lower case ("utf-8",
 * "windows-1252", "shift_jis", and "replacement" for the labels the standard
 * refuses to decode). O(header + body). @internal
 */
export const charsetOf = (contentType: string | undefined, body: Uint8Array): string => {
  const bom = getBOMEncoding(body)
  if (bom !== null) return bom
  const label = contentType === undefined ? undefined : headerCharset(contentType)
  return (label === undefined ? undefined : getEncoding(label)) ?? prescan(body) ?? defaultCharset(body)
}

/**
 * Decodes an HTML body in its encoding (`charsetOf`) as the Encoding
 * Standard's "decode" does: a byte order mark is dropped, invalid sequences
 * become U+FFFD. O(header + body). @internal
 */
export const decodeHtml = (contentType: string | undefined, body: Uint8Array): { readonly charset: string; readonly text: string } => {
  const charset = charsetOf(contentType, body)
  return { charset, text: legacyHookDecode(body, charset) }
}
