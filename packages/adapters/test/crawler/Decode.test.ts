/**
 * decode.ts against the standards: every byte 0x80–0xFF of every single-byte
 * encoding decodes to the WHATWG Encoding Standard's index (copied from
 * whatwg/encoding into fixtures/whatwg-single-byte-indexes.json, never
 * derived from a decoder); the HTML standard's encoding sniffing order and
 * prescan; multi-byte pages; no input makes a function throw or run past the
 * CPU budget; and a windows-1252 page crawled over the fixture web.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck, Schema } from "effect"
import { readFileSync } from "node:fs"
import {
  charsetOf,
  clearlyNotHtml,
  decodeHtml,
  isHtml,
  looksBinary,
  mimeOf,
  sniffHtml
} from "../../src/crawler/internal/decode.js"
import { makeShiftJisEncoder } from "../../src/crawler/testing/sjis.js"
import { budgetMillis, cpuMillis, pageLimit } from "./budget.js"
import { setup } from "./fixture.js"

const Fixture = Schema.Struct({
  source: Schema.Struct({ repository: Schema.Literal("https://github.com/whatwg/encoding"), licence: Schema.String }),
  indexes: Schema.Record({ key: Schema.String, value: Schema.Array(Schema.NullOr(Schema.Number)) })
})
const fixture = Schema.decodeUnknownSync(Fixture)(
  JSON.parse(readFileSync(new URL("./fixtures/whatwg-single-byte-indexes.json", import.meta.url), "utf8"))
)

// Every single-byte encoding of the Encoding Standard; iso-8859-8-i shares iso-8859-8's index.
const singleByte = [
  "ibm866", "iso-8859-2", "iso-8859-3", "iso-8859-4", "iso-8859-5", "iso-8859-6", "iso-8859-7", "iso-8859-8",
  "iso-8859-8-i", "iso-8859-10", "iso-8859-13", "iso-8859-14", "iso-8859-15", "iso-8859-16", "koi8-r", "koi8-u",
  "macintosh", "windows-874", "windows-1250", "windows-1251", "windows-1252", "windows-1253", "windows-1254",
  "windows-1255", "windows-1256", "windows-1257", "windows-1258", "x-mac-cyrillic"
] as const

/** A string of code points 0–255 as those bytes. */
const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0))
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)
const concat = (...parts: ReadonlyArray<Uint8Array>): Uint8Array => new Uint8Array(Buffer.concat(parts))
const hex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, "hex"))
const codePoints = (s: string): ReadonlyArray<number> => Array.from(s, (c) => c.codePointAt(0)!)

describe("single-byte encodings decode as the WHATWG indexes say", () => {
  it("the fixture holds one index of 128 pointers per encoding, from whatwg/encoding (CC0)", () => {
    expect(fixture.source.licence).toContain("publicdomain/zero/1.0")
    expect(Object.keys(fixture.indexes).length).toBe(27)
    for (const index of Object.values(fixture.indexes)) expect(index.length).toBe(128)
    expect(fixture.indexes["windows-1252"].slice(0, 2)).toEqual([0x20ac, 0x81])
  })

  for (const name of singleByte) {
    it(`${name}: every byte 0x80–0xFF, charset from Content-Type`, () => {
      const index = fixture.indexes[name === "iso-8859-8-i" ? "iso-8859-8" : name]
      const high = Uint8Array.from({ length: 128 }, (_, i) => 0x80 + i)
      const { charset, text } = decodeHtml(`text/html; charset=${name}`, high)
      expect(charset).toBe(name)
      expect(codePoints(text)).toEqual(index.map((cp) => cp ?? 0xfffd))
    })
  }

  it("windows-1252's labels include latin1, iso-8859-1 and us-ascii; bytes 0x00–0x7F stay ASCII", () => {
    for (const label of ["ISO-8859-1", "latin1", "us-ascii", "cp1252", "x-cp1252"]) {
      expect(charsetOf(`text/html; charset=${label}`, bytes("x"))).toBe("windows-1252")
    }
    const low = Uint8Array.from({ length: 128 }, (_, i) => i)
    expect(codePoints(decodeHtml("text/html; charset=windows-1252", low).text)).toEqual([...Array(128).keys()])
  })
})

describe("encoding sniffing: BOM, then Content-Type, then <meta>, then the default", () => {
  const koi8Meta = bytes(`<meta charset="koi8-r"><p>`)

  it("a byte order mark beats the header, the header beats a meta, a meta beats the default", () => {
    const bom = decodeHtml("text/html; charset=windows-1252", concat(hex("efbbbf"), koi8Meta, utf8("é")))
    expect(bom).toEqual({ charset: "utf-8", text: `<meta charset="koi8-r"><p>é` })
    const utf16 = concat(hex("fffe"), new Uint8Array(Buffer.from("<p>é</p>", "utf16le")))
    expect(isHtml("text/html; charset=utf-8", utf16)).toBe(true)
    expect(decodeHtml("text/html; charset=utf-8", utf16)).toEqual({ charset: "utf-16le", text: "<p>é</p>" })
    // 0xC1 is а (U+0430) in koi8-r and Á in windows-1252
    expect(decodeHtml("text/html; charset=koi8-r", concat(bytes(`<meta charset="windows-1252">`), hex("c1"))).text)
      .toBe(`<meta charset="windows-1252">а`)
    // é in UTF-8 (C3 A9) is valid UTF-8, but the meta says koi8-r: ц╘
    expect(decodeHtml("text/html", concat(koi8Meta, utf8("é")))).toEqual({ charset: "koi8-r", text: `<meta charset="koi8-r"><p>ц╘` })
    expect(charsetOf("text/html", utf8("<p>é</p>"))).toBe("utf-8")
  })

  it("a page that declares its charset only in <meta charset> decodes", () => {
    const page = bytes(`<meta charset="windows-1252"><p>\x80 5 \x96 \x93quoted\x94 \xa9</p>`)
    expect(decodeHtml("text/html", page)).toEqual({ charset: "windows-1252", text: `<meta charset="windows-1252"><p>€ 5 – “quoted” ©</p>` })
    expect(decodeHtml(undefined, page).text).toContain("€ 5 – “quoted” ©")
  })

  it("<meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1252\"> decodes, with or without quotes", () => {
    for (const meta of [
      `<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">`,
      `<META CONTENT='text/html;charset="windows-1252"' HTTP-EQUIV=content-type>`,
      `<meta http-equiv=content-type content=text/html;charset=windows-1252>`
    ]) {
      expect(decodeHtml("text/html", bytes(`${meta}<p>\x93Hi\x94 \x96 \x80</p>`)).text, meta).toBe(`${meta}<p>“Hi” – €</p>`)
    }
    // without the pragma a content charset declares nothing
    expect(charsetOf("text/html", bytes(`<meta content="text/html; charset=koi8-r"><p>\xe9</p>`))).toBe("windows-1252")
  })

  it("a meta that does not end within the first 1,024 bytes is not seen", () => {
    const meta = `<meta charset="koi8-r">`
    const at = (start: number) => bytes(`<p>${"a".repeat(start - 7)}</p>${meta}<p>\xc1</p>`)
    expect(at(1024 - meta.length).subarray(0, 1024).at(-1)).toBe(0x3e)
    expect(charsetOf("text/html", at(1024 - meta.length))).toBe("koi8-r")
    expect(charsetOf("text/html", at(1025 - meta.length))).toBe("windows-1252")
    expect(charsetOf("text/html", at(4000))).toBe("windows-1252")
  })

  it("an unknown label falls through to the next source", () => {
    expect(charsetOf("text/html; charset=bogus", koi8Meta)).toBe("koi8-r")
    expect(charsetOf("text/html; charset=", koi8Meta)).toBe("koi8-r")
    expect(charsetOf("text/html", bytes(`<meta charset="bogus"><meta charset="koi8-r">`))).toBe("koi8-r")
    expect(charsetOf("text/html; charset=bogus", bytes(`<meta charset="utf-9"><p>\xe9</p>`))).toBe("windows-1252")
  })

  it("no declaration: windows-1252 when the body is not valid UTF-8, UTF-8 when it is", () => {
    expect(decodeHtml("text/html", bytes("<p>Caf\xe9 \x96 Bar</p>"))).toEqual({ charset: "windows-1252", text: "<p>Café – Bar</p>" })
    expect(decodeHtml("text/html", utf8("<p>Café – Bar</p>"))).toEqual({ charset: "utf-8", text: "<p>Café – Bar</p>" })
    expect(charsetOf(undefined, new Uint8Array())).toBe("utf-8")
    // a body cut inside its last character (as at maxBytes) is still UTF-8
    expect(charsetOf("text/html", utf8("<p>Café €").subarray(0, -1))).toBe("utf-8")
    expect(charsetOf("text/html", concat(utf8("<p>Café"), hex("e9"), utf8(" €")))).toBe("windows-1252")
  })

  it("Shift_JIS, GBK, Big5 and EUC-KR pages decode (header or meta)", () => {
    const sjis = makeShiftJisEncoder()(`<meta charset="Shift_JIS"><h1>会社概要</h1>`)
    expect(decodeHtml("text/html", sjis)).toEqual({ charset: "shift_jis", text: `<meta charset="Shift_JIS"><h1>会社概要</h1>` })
    expect(decodeHtml("text/html; charset=sjis", hex("89ef8ed08a549776")).text).toBe("会社概要")
    expect(decodeHtml("text/html", concat(bytes(`<meta charset="gb2312">`), hex("d6d0cec4cdf8d2b3"))))
      .toEqual({ charset: "gbk", text: `<meta charset="gb2312">中文网页` })
    expect(decodeHtml("text/html; charset=big5", hex("a4a4a4e5baf4adb6")).text).toBe("中文網頁")
    expect(decodeHtml("text/html", concat(bytes(`<meta http-equiv="content-type" content="text/html; charset=euc-kr">`), hex("c7d1b1b9beee20c8b8bbe7"))).text)
      .toContain("한국어 회사")
  })
})

describe("the prescan, as the HTML standard writes it", () => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    [`<meta charset="iso-8859-8-i">`, "iso-8859-8-i"],
    [`<meta charset="x-mac-ukrainian">`, "x-mac-cyrillic"],
    [`<meta charset="csISO2022JP">`, "iso-2022-jp"],
    [`<meta charset="iso-2022-kr">`, "replacement"],
    [`<meta charset="utf-16">`, "utf-8"],
    [`<meta charset="UTF-16BE">`, "utf-8"],
    [`<meta charset="x-user-defined">`, "windows-1252"],
    [`<meta\fcharset="koi8-r">`, "koi8-r"],
    [`<meta/charset="koi8-r">`, "koi8-r"],
    [`<meta name=x/ charset=koi8-r>`, "koi8-r"],
    [`<meta charset=" koi8-r\t">`, "koi8-r"],
    [`<meta charset=koi8-r/><p>\xe9</p>`, "windows-1252"],
    [`<meta http\requiv="content-type" content="text/html; charset=koi8-r"><p>\xe9</p>`, "windows-1252"],
    [`<meta charset="bogus" http-equiv="content-type" content="text/html; charset=koi8-r"><p>\xe9</p>`, "windows-1252"],
    [`<meta content="text/html; charset=gbk" http-equiv="content-type" charset="koi8-r">`, "koi8-r"],
    [`<meta charset="koi8-r" charset="gbk">`, "koi8-r"],
    [`<meta http-equiv="content-type" content="charset = 'koi8-r'">`, "koi8-r"],
    [`<meta http-equiv="content-type" content="charset='koi8-r"><p>\xe9</p>`, "windows-1252"],
    [`<div title="<meta charset=gbk>"><meta charset=koi8-r>`, "koi8-r"],
    [`<!-- <meta charset=gbk> --><meta charset=koi8-r>`, "koi8-r"],
    [`<!--><meta charset=koi8-r>`, "koi8-r"],
    [`<?php echo '<meta charset=gbk>' ?><meta charset=koi8-r>`, "koi8-r"],
    [`<?xml version="1.0" encoding="iso-8859-2"?><p>`, "iso-8859-2"],
    [`<?xml version="1.0" encoding="utf-16"?><p>`, "utf-8"],
    [`<?xml version="1.0" encoding="iso-8859-2"?><meta charset=koi8-r>`, "koi8-r"]
  ]
  for (const [page, expected] of cases) {
    it(`${JSON.stringify(page)} → ${expected}`, () => expect(charsetOf("text/html", bytes(page))).toBe(expected))
  }

  it("the Content-Type charset is read as a MIME type parameter", () => {
    const body = bytes("x")
    expect(charsetOf(`text/html; charset="Shift_JIS"`, body)).toBe("shift_jis")
    expect(charsetOf(`TEXT/HTML ; CHARSET = koi8-r`, body)).toBe("utf-8")
    expect(charsetOf(`TEXT/HTML;CHARSET=KOI8-R`, body)).toBe("koi8-r")
    expect(charsetOf(`text/html; foo="a;b"; charset=koi8-r`, body)).toBe("koi8-r")
    expect(charsetOf(`text/html; charset=koi8-r; charset=gbk`, body)).toBe("koi8-r")
    expect(charsetOf(`html; charset=koi8-r`, body)).toBe("utf-8")
    expect(charsetOf(`*/*; charset=koi8-r`, body)).toBe("utf-8")
    expect(charsetOf(`text/html; charset=utf-16`, body)).toBe("utf-16le")
    expect(decodeHtml(`text/html; charset=iso-2022-kr`, body)).toEqual({ charset: "replacement", text: "\uFFFD" })
  })
})

describe("HTML or not", () => {
  it("sniffs HTML signatures in the first 512 bytes, after a BOM and white space", () => {
    expect(sniffHtml(bytes("\xef\xbb\xbf \n<!DOCTYPE HTML><p>"))).toBe(true)
    expect(sniffHtml(bytes("<P>x"))).toBe(true)
    expect(sniffHtml(bytes("<pre>x"))).toBe(false)
    expect(sniffHtml(bytes("<!--x"))).toBe(true)
    expect(sniffHtml(bytes(`${" ".repeat(508)}<br>`))).toBe(true)
    expect(sniffHtml(bytes(`${" ".repeat(509)}<br>`))).toBe(false)
    expect(isHtml("text/plain", bytes("<html><body>hi"))).toBe(true)
    expect(looksBinary(hex("fffe3c00"))).toBe(false)
    expect(mimeOf(" Text/HTML ; charset=x")).toBe("text/html")
    expect(clearlyNotHtml("image/png; x=1")).toBe(true)
  })
})

describe("total and linear", () => {
  const prefixes = ["", "<meta ", "<meta charset=", `<meta http-equiv=content-type content="`, "<?xml encoding=", "\xef\xbb\xbf", "<!--", "<a "]
  const contentType = FastCheck.oneof(
    FastCheck.constant(undefined),
    FastCheck.string({ unit: "binary", maxLength: 60 }),
    FastCheck.string({ maxLength: 30 }).map((s) => `text/html; charset=${s}`)
  )
  const body = FastCheck.tuple(FastCheck.constantFrom(...prefixes), FastCheck.uint8Array({ maxLength: 2048 }))
    .map(([prefix, rest]) => concat(bytes(prefix), rest))

  /** Every function of decode.ts on one input; the charset both ways. */
  const all = (type: string | undefined, b: Uint8Array): readonly [string, string] => {
    mimeOf(type)
    clearlyNotHtml(type)
    looksBinary(b)
    sniffHtml(b)
    isHtml(type, b)
    return [charsetOf(type, b), decodeHtml(type, b).charset]
  }

  it.prop("no function throws on random bytes and Content-Types", [contentType, body], ([type, b]) => {
    const [charset, decoded] = all(type, b)
    expect(decoded).toBe(charset)
    expect(charset).toMatch(/^[a-z0-9_-]+$/)
  })

  const families: ReadonlyArray<readonly [string, (n: number) => Uint8Array]> = [
    ["a run of one byte", (n) => new Uint8Array(n).fill(0x80)],
    ["a run of <", (n) => new Uint8Array(n).fill(0x3c)],
    ["a meta with an enormous attribute", (n) => bytes(`<meta charset="${"k".repeat(n)}">`)],
    ["a meta with an enormous content", (n) => bytes(`<meta http-equiv=content-type content="${"charset ".repeat(n / 8)}">`)],
    ["a line of <meta ", (n) => bytes("<meta ".repeat(n / 6))],
    ["a line of <!--", (n) => bytes("<!--".repeat(n / 4))],
    ["an XML declaration of spaces", (n) => bytes(`<?xml encoding${" ".repeat(n)}="koi8-r">`)],
    ["UTF-8 lead bytes", (n) => new Uint8Array(n).fill(0xe2)]
  ]
  const headers: ReadonlyArray<(n: number) => string> = [
    (n) => `text/html${"; a=b".repeat(n / 5)}`,
    (n) => `text/html; charset="${"\\\\".repeat(n / 2)}`,
    (n) => `text/${" ".repeat(n)}html`
  ]

  it.prop(
    "adversarial bodies and headers up to 2 MB stay within the CPU budget",
    [FastCheck.constantFrom(...families), FastCheck.constantFrom(...headers), FastCheck.integer({ min: 1, max: pageLimit })],
    ([[name, make], header, size]) => {
      const b = make(size).subarray(0, pageLimit)
      const type = header(size).slice(0, pageLimit)
      const { millis } = cpuMillis(() => all(type, b))
      expect(millis, `${name}, ${size} bytes`).toBeLessThan(budgetMillis)
    },
    { timeout: 120_000, fastCheck: { numRuns: 12, examples: families.map((f, i) => [f, headers[i % headers.length]!, pageLimit] as [typeof f, (n: number) => string, number]) } }
  )
})

describe("a windows-1252 site crawled over the fixture web", () => {
  it.scopedLive("cp1252.test declares windows-1252 only in <meta charset>; its text keeps – € “ ” ©", () =>
    Effect.gen(function*() {
      const { crawler, web } = yield* setup()
      const r = yield* crawler.crawl(web.url("cp1252.test"))
      const home = r.pages[0]!
      expect(home.title).toBe("Ostrander – Fine Goods")
      expect(home.text).toContain("Gift cards from €25 – “Quality first” since 1921.")
      expect(home.text).toContain("© 2024 Ostrander Trading Ltd")
    }))
})
