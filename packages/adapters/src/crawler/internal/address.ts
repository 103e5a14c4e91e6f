/**
 * Which IP addresses the crawler may connect to. Anything loopback, private,
 * link-local, multicast, reserved or a cloud metadata endpoint is refused,
 * including IPv4 addresses embedded in IPv6 (mapped, NAT64, 6to4), unless an
 * explicit allow-list (CIDRs) names it.
 *
 * @internal
 */
import { BlockList, isIP } from "node:net"

/** @internal */
export type Category =
  | "public"
  | "loopback"
  | "private"
  | "linkLocal"
  | "multicast"
  | "metadata"
  | "reserved"
  | "invalid"

const v4Ranges: ReadonlyArray<readonly [string, number, Category]> = [
  ["0.0.0.0", 8, "reserved"],
  ["10.0.0.0", 8, "private"],
  ["100.64.0.0", 10, "private"],
  ["127.0.0.0", 8, "loopback"],
  ["169.254.0.0", 16, "linkLocal"],
  ["172.16.0.0", 12, "private"],
  ["192.0.0.0", 24, "reserved"],
  ["192.0.2.0", 24, "reserved"],
  ["192.88.99.0", 24, "reserved"],
  ["192.168.0.0", 16, "private"],
  ["198.18.0.0", 15, "private"],
  ["198.51.100.0", 24, "reserved"],
  ["203.0.113.0", 24, "reserved"],
  ["224.0.0.0", 4, "multicast"],
  ["240.0.0.0", 4, "reserved"]
]

const metadataV4 = new Set(["169.254.169.254", "169.254.170.2", "100.100.100.200", "192.0.0.192"])

const parseV4 = (ip: string): ReadonlyArray<number> | undefined => {
  const parts = ip.split(".")
  if (parts.length !== 4) return undefined
  const bytes = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN))
  return bytes.every((b) => b >= 0 && b <= 255) ? bytes : undefined
}

const inV4 = (bytes: ReadonlyArray<number>, base: string, prefix: number): boolean => {
  const b = parseV4(base)!
  const a = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0
  const n = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0
  return ((a & mask) >>> 0) === ((n & mask) >>> 0)
}

const classifyV4 = (bytes: ReadonlyArray<number>): Category => {
  const text = bytes.join(".")
  if (metadataV4.has(text)) return "metadata"
  for (const [base, prefix, category] of v4Ranges) {
    if (inV4(bytes, base, prefix)) return category
  }
  return "public"
}

/** Expands an IPv6 address (with an optional dotted IPv4 tail) into 16 bytes. */
const parseV6 = (ip: string): ReadonlyArray<number> | undefined => {
  let text = ip.replace(/%.*$/, "").toLowerCase()
  const tail: Array<number> = []
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (dotted !== null) {
    const v4 = parseV4(dotted[1]!)
    if (v4 === undefined) return undefined
    tail.push(...v4)
    text = text.slice(0, -dotted[1]!.length) + "0:0"
  }
  const halves = text.split("::")
  if (halves.length > 2) return undefined
  const words = (s: string) => (s === "" ? [] : s.split(":"))
  const head = words(halves[0]!)
  const rest = halves.length === 2 ? words(halves[1]!) : []
  const fill = 8 - head.length - rest.length
  if (fill < 0 || (halves.length === 1 && fill !== 0)) return undefined
  const all = [...head, ...Array<string>(fill).fill("0"), ...rest]
  const bytes: Array<number> = []
  for (const w of all) {
    if (!/^[0-9a-f]{1,4}$/.test(w)) return undefined
    const n = parseInt(w, 16)
    bytes.push(n >> 8, n & 0xff)
  }
  if (tail.length === 4) bytes.splice(12, 4, ...tail)
  return bytes
}

const classifyV6 = (b: ReadonlyArray<number>): Category => {
  const zeros = (from: number, to: number) => b.slice(from, to).every((x) => x === 0)
  if (zeros(0, 15) && b[15] === 1) return "loopback"
  if (zeros(0, 16)) return "reserved"
  // ::ffff:a.b.c.d (mapped), ::a.b.c.d (compatible), 64:ff9b::a.b.c.d (NAT64)
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return classifyV4(b.slice(12))
  if (zeros(0, 12)) return classifyV4(b.slice(12))
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b) return classifyV4(b.slice(12))
  // 6to4 embeds the IPv4 address in bits 16..48.
  if (b[0] === 0x20 && b[1] === 0x02) return classifyV4(b.slice(2, 6))
  if (b[0] === 0xfd && b[1] === 0x00 && b[2] === 0x0e && b[3] === 0xc2 && zeros(4, 14) && b[14] === 0x02 && b[15] === 0x54) {
    return "metadata"
  }
  if (b[0] === 0xff) return "multicast"
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return "linkLocal"
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0xc0) return "private"
  if ((b[0]! & 0xfe) === 0xfc) return "private"
  if (b[0] === 0x20 && b[1] === 0x01 && b[2] === 0x0d && b[3] === 0xb8) return "reserved"
  if (b[0] === 0x20 && b[1] === 0x01 && b[2] === 0x00 && b[3] === 0x00) return "reserved"
  if (b[0] === 0x01 && b[1] === 0x00 && zeros(2, 8)) return "reserved"
  return "public"
}

/**
 * Classifies an IP address (v4 or v6).
 *
 * @internal
 */
export const classify = (ip: string): Category => {
  const family = isIP(ip.replace(/%.*$/, ""))
  if (family === 4) return classifyV4(parseV4(ip)!)
  if (family === 6) {
    const bytes = parseV6(ip)
    return bytes === undefined ? "invalid" : classifyV6(bytes)
  }
  return "invalid"
}

/**
 * A check built from an allow-list of CIDRs (`"127.0.0.1/32"`, `"::1/128"`):
 * public addresses pass, others pass only when the list covers them.
 *
 * @internal
 */
export const makePolicy = (allow: ReadonlyArray<string>): (ip: string) => Category | "allowed" => {
  const list = new BlockList()
  for (const cidr of allow) {
    const [net, bits] = cidr.split("/")
    const family = isIP(net ?? "")
    if (family === 0) continue
    const type = family === 4 ? "ipv4" : "ipv6"
    list.addSubnet(net!, bits === undefined ? (family === 4 ? 32 : 128) : Number(bits), type)
  }
  return (ip) => {
    const category = classify(ip)
    if (category === "public") return "allowed"
    if (category === "invalid") return category
    const family = isIP(ip.replace(/%.*$/, ""))
    return list.check(ip.replace(/%.*$/, ""), family === 4 ? "ipv4" : "ipv6") ? "allowed" : category
  }
}

/**
 * True when a host name is an IP literal (brackets allowed for IPv6).
 *
 * @internal
 */
export const ipLiteral = (hostname: string): string | undefined => {
  const bare = hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname
  return isIP(bare) === 0 ? undefined : bare
}
