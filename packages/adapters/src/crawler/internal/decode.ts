/**
 * Is it HTML, and in which charset: content-type checks, byte sniffing for
 * binary content and HTML signatures (after the WHATWG MIME sniffing
 * standard), and charset detection from the header, a byte order mark or a
 * `<meta>` in the first 1024 bytes.
 *
 * @internal
 */

const htmlTypes = new Set(["text/html", "application/xhtml+xml"])
// Types that may hide HTML (missing, generic or wrong) and are sniffed.
const sniffedTypes = new Set(["", "text/plain", "application/octet-stream", "unknown/unknown", "application/unknown"])

/** The MIME essence of a Content-Type header. @internal */
export const mimeOf = (contentType: string | undefined): string =>
  (contentType ?? "").split(";")[0]!.trim().toLowerCase()

/** The type says the body cannot be HTML, so it is not worth reading. @internal */
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

/** Binary bytes: a known file signature, or control bytes no text would hold. @internal */
export const looksBinary = (bytes: Uint8Array): boolean => {
  if (signatures.some((sig) => startsWith(bytes, sig))) return true
  const head = bytes.subarray(0, 1024)
  for (const b of head) {
    if (b <= 0x08 || b === 0x0b || (b >= 0x0e && b <= 0x1a) || (b >= 0x1c && b <= 0x1f)) return true
  }
  return false
}

const htmlPrefixes = ["<!doctype html", "<html", "<head", "<body", "<script", "<iframe", "<h1", "<div", "<font",
  "<table", "<a", "<style", "<title", "<b", "<br", "<p", "<!--", "<meta"]

/** The first non-blank bytes open an HTML tag (WHATWG "HTML" pattern). @internal */
export const sniffHtml = (bytes: Uint8Array): boolean => {
  const head = new TextDecoder("latin1").decode(bytes.subarray(0, 512)).replace(/^\uFEFF|^[\t\n\f\r ]+/g, "").toLowerCase()
  return htmlPrefixes.some((p) => head.startsWith(p) && (p === "<!--" || /^[ >]/.test(head.charAt(p.length))))
}

/** Whether a fetched body is HTML to parse. @internal */
export const isHtml = (contentType: string | undefined, body: Uint8Array): boolean => {
  if (looksBinary(body)) return false
  const mime = mimeOf(contentType)
  if (htmlTypes.has(mime)) return true
  return sniffedTypes.has(mime) && sniffHtml(body)
}

const charsetParam = (value: string): string | undefined => {
  const m = /charset\s*=\s*["']?([^"';\s]+)/i.exec(value)
  return m === null ? undefined : m[1]!.toLowerCase()
}

const supported = (label: string | undefined): string | undefined => {
  if (label === undefined) return undefined
  try {
    return new TextDecoder(label).encoding
  } catch {
    return undefined
  }
}

/** The charset of an HTML body: BOM, then header, then `<meta>`, else UTF-8. @internal */
export const charsetOf = (contentType: string | undefined, body: Uint8Array): string => {
  if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) return "utf-8"
  if (body[0] === 0xfe && body[1] === 0xff) return "utf-16be"
  if (body[0] === 0xff && body[1] === 0xfe) return "utf-16le"
  const fromHeader = supported(charsetParam(contentType ?? ""))
  if (fromHeader !== undefined) return fromHeader
  const head = new TextDecoder("latin1").decode(body.subarray(0, 1024))
  const meta = /<meta[^>]+charset\s*=\s*["']?([^"'\s/>;]+)/i.exec(head)
  return supported(meta?.[1]) ?? "utf-8"
}

/** Decodes an HTML body in its charset (invalid sequences become U+FFFD). @internal */
export const decodeHtml = (contentType: string | undefined, body: Uint8Array): { readonly charset: string; readonly text: string } => {
  const charset = charsetOf(contentType, body)
  return { charset, text: new TextDecoder(charset).decode(body) }
}
