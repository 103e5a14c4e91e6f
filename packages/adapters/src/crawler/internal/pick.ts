/**
 * Page picking: which links of a home page (and which sitemap entries) are
 * worth fetching, by link text and path, in several languages. Same site
 * only, deterministic order: the best page of each role first (about,
 * contact, team, careers, products), then the rest by score, depth and URL.
 *
 * @internal
 */
import type { Link } from "./extract.js"
import { safeDecode, trimSlashes } from "./signals.js"
import { sameSite, siteKey } from "./site.js"

/** @internal */
export type Role = "about" | "contact" | "team" | "careers" | "products"

/** @internal */
export const roleOrder: ReadonlyArray<Role> = ["about", "contact", "team", "careers", "products"]

/** The words (or, in scripts without spaces, substrings) that name each role, in several languages. @internal */
export const keywords: Record<Role, ReadonlyArray<string>> = {
  about: [
    "about", "about-us", "aboutus", "company", "who-we-are", "our-story", "story", "history", "mission", "profile",
    "overview", "a-propos", "apropos", "qui-sommes-nous", "entreprise", "societe", "société", "ueber-uns", "uber-uns",
    "über-uns", "unternehmen", "sobre", "nosotros", "quienes-somos", "quiénes-somos", "empresa", "chi-siamo", "azienda",
    "over-ons", "bedrijf", "tentang", "会社概要", "会社案内", "企業情報", "関于", "关于", "公司简介", "회사소개"
  ],
  contact: [
    "contact", "contact-us", "contacts", "kontakt", "contacto", "contactez-nous", "contatti", "contato", "impressum",
    "imprint", "get-in-touch", "reach-us", "hubungi", "locations", "offices", "お問い合わせ", "問い合わせ", "アクセス",
    "联系", "联系我们", "연락처"
  ],
  team: [
    "team", "our-team", "people", "leadership", "management", "board", "founders", "executives", "staff", "equipe",
    "équipe", "equipo", "mannschaft", "vorstand", "geschaeftsfuehrung", "geschäftsführung", "direction", "dirigeants",
    "役員", "経営陣", "チーム", "团队", "管理层"
  ],
  careers: [
    "careers", "career", "jobs", "join-us", "work-with-us", "hiring", "vacancies", "karriere", "stellenangebote",
    "emplois", "carrieres", "carrières", "recrutement", "empleo", "trabaja-con-nosotros", "lavora-con-noi",
    "vacatures", "werken-bij", "採用", "採用情報", "求人", "招聘"
  ],
  products: [
    "products", "product", "services", "service", "solutions", "solution", "platform", "offerings", "what-we-do",
    "produkte", "leistungen", "loesungen", "lösungen", "produits", "prestations", "productos", "servicios",
    "soluciones", "prodotti", "servizi", "producten", "diensten", "製品", "サービス", "事業内容", "产品", "服务"
  ]
}

const skippedExtensions = /\.(pdf|jpe?g|png|gif|svg|webp|ico|zip|gz|rar|7z|docx?|xlsx?|pptx?|mp[34]|mov|avi|css|js|json|xml|rss|ics|txt|csv|woff2?|ttf|exe|dmg|apk)$/i
const skippedPaths = /^\/(wp-admin|wp-login|login|logout|signin|sign-in|signup|register|cart|checkout|account|cdn-cgi|search|tag|feed)(\/|$)/i

/** The lower-case words (letters and digits) of a string. */
const wordsOf = (s: string): Array<string> => s.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => w !== "")

/** Written in a script without spaces between words (Japanese, Chinese, Korean...): matched as a substring. */
const isCjk = (s: string): boolean => /[^\u0000-\u024f]/.test(s) && !/[a-z]/.test(s)
const hasNonLatin = (s: string): boolean => /[^\u0000-\u024f]/.test(s)

/**
 * The keywords, compiled: each word-based keyword (`about-us`) by its words
 * joined with `-`, with the roles it names; the substring keywords apart.
 * A link is then classified with one lookup per run of up to `maxWords`
 * consecutive words, instead of one scan of the whole path or text per
 * keyword.
 */
const vocabulary = (() => {
  const byWords = new Map<string, Array<Role>>()
  const substrings: Array<readonly [Role, string]> = []
  let maxWords = 1
  for (const role of roleOrder) {
    for (const keyword of keywords[role]) {
      if (isCjk(keyword)) {
        substrings.push([role, keyword])
        continue
      }
      const w = wordsOf(keyword)
      maxWords = Math.max(maxWords, w.length)
      const key = w.join("-")
      byWords.set(key, [...(byWords.get(key) ?? []), role])
    }
  }
  return { byWords, substrings, maxWords }
})()

/** Every role named by a run of consecutive words. */
const rolesIn = (words: ReadonlyArray<string>, found: Set<Role>): void => {
  for (let i = 0; i < words.length; i++) {
    let key = ""
    for (let n = 0; n < vocabulary.maxWords && i + n < words.length; n++) {
      key = n === 0 ? words[i]! : `${key}-${words[i + n]}`
      for (const role of vocabulary.byWords.get(key) ?? []) found.add(role)
    }
  }
}

/** Every role whose substring keyword `text` holds. */
const rolesWithin = (text: string, found: Set<Role>): void => {
  if (!hasNonLatin(text)) return
  for (const [role, keyword] of vocabulary.substrings) if (text.includes(keyword)) found.add(role)
}

/** Same site: one registrable domain, over http(s), on one port (see `site.ts`). @internal */
export { sameSite } from "./site.js"

/** Characters of a path, and of a link's text, that classification reads (navigation is short; the rest is not). */
const maxPath = 512
const maxText = 200

/**
 * The role a link suggests and how strongly; undefined when none: 4 when the
 * path's last segment is a keyword, 2 when a segment holds one, plus 3 when
 * the link's text holds one. Time linear in the (bounded) path and text.
 *
 * @internal
 */
export const classify = (url: URL, text: string): { readonly role: Role; readonly score: number } | undefined => {
  const segments = safeDecode(url.pathname.slice(0, maxPath)).split("/").filter((s) => s !== "")
  const lastSegment = segments[segments.length - 1] ?? ""
  const last = wordsOf(lastSegment)
  const exact = new Set<Role>(vocabulary.byWords.get(last.join("-")) ?? [])
  rolesWithin(last.join("-"), exact)
  const inPath = new Set<Role>()
  for (const segment of segments) {
    const w = wordsOf(segment)
    rolesIn(w, inPath)
    rolesWithin(w.join("-"), inPath)
  }
  const inText = new Set<Role>()
  const label = text.slice(0, maxText)
  const textWords = wordsOf(label)
  rolesIn(textWords, inText)
  rolesWithin(textWords.join("-"), inText)
  rolesWithin(label, inText)
  let best: { role: Role; score: number } | undefined
  for (const role of roleOrder) {
    const score = (exact.has(role) ? 4 : inPath.has(role) ? 2 : 0) + (inText.has(role) ? 3 : 0)
    if (score > 0 && (best === undefined || score > best.score)) best = { role, score }
  }
  return best
}

/** A link as a candidate page, or undefined when it is not one. @internal */
const candidateUrl = (home: URL, href: string): URL | undefined => {
  let url: URL
  try {
    url = new URL(href)
  } catch {
    return undefined
  }
  if (!sameSite(home, url)) return undefined
  if (skippedExtensions.test(url.pathname) || skippedPaths.test(url.pathname)) return undefined
  url.hash = ""
  return url
}

/** @internal */
export interface Picked {
  readonly url: string
  readonly role: Role
}

/**
 * Picks up to `max` pages from the home page's links and sitemap URLs.
 *
 * @internal
 */
export const pick = (
  home: URL,
  links: ReadonlyArray<Link>,
  sitemap: ReadonlyArray<string>,
  max: number
): ReadonlyArray<Picked> => {
  const scored = new Map<string, { url: string; role: Role; score: number; depth: number }>()
  const homeKey = `${siteKey(home.hostname)}${trimSlashes(home.pathname)}`
  const consider = (href: string, text: string, bonus: number) => {
    const url = candidateUrl(home, href)
    if (url === undefined) return
    // Same page whatever the scheme or a `www.`: keep the page's own form.
    const key = `${siteKey(url.hostname)}${trimSlashes(url.pathname)}${url.search}`
    if (key === homeKey) return
    const c = classify(url, text)
    if (c === undefined) return
    const depth = url.pathname.split("/").filter((s) => s !== "").length
    const entry = { url: url.href, role: c.role, score: c.score + bonus, depth }
    const prev = scored.get(key)
    if (prev === undefined || entry.score > prev.score) scored.set(key, entry)
  }
  for (const link of links) consider(link.url, link.text, 1)
  for (const url of sitemap) consider(url, "", 0)

  const ranked = [...scored.values()].sort((a, b) =>
    b.score - a.score || a.depth - b.depth || (a.url < b.url ? -1 : a.url > b.url ? 1 : 0)
  )
  const picked: Array<Picked> = []
  const taken = new Set<string>()
  for (const role of roleOrder) {
    const first = ranked.find((c) => c.role === role)
    if (first !== undefined && picked.length < max) {
      picked.push({ url: first.url, role })
      taken.add(first.url)
    }
  }
  for (const c of ranked) {
    if (picked.length >= max) break
    if (!taken.has(c.url)) {
      picked.push({ url: c.url, role: c.role })
      taken.add(c.url)
    }
  }
  return picked
}
