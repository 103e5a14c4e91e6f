import { describe, expect, it } from "@effect/vitest"
import { classify, ipLiteral, makePolicy } from "../../src/crawler/internal/address.js"
import { budgetMillis, cpuMillis } from "./budget.js"

describe("address policy (no SSRF)", () => {
  it.each([
    ["8.8.8.8", "public"],
    ["93.184.216.34", "public"],
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["172.32.0.1", "public"],
    ["192.168.1.1", "private"],
    ["100.64.0.1", "private"],
    ["169.254.1.1", "linkLocal"],
    ["169.254.169.254", "metadata"],
    ["169.254.170.2", "metadata"],
    ["100.100.100.200", "metadata"],
    ["224.0.0.1", "multicast"],
    ["0.0.0.0", "reserved"],
    ["255.255.255.255", "reserved"],
    ["::1", "loopback"],
    ["::", "reserved"],
    ["fe80::1%eth0", "linkLocal"],
    ["fd12:3456::1", "private"],
    ["fc00::1", "private"],
    ["ff02::1", "multicast"],
    ["fd00:ec2::254", "metadata"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:169.254.169.254", "metadata"],
    ["64:ff9b::10.0.0.1", "private"],
    ["2002:7f00:0001::", "loopback"],
    ["2001:db8::1", "reserved"],
    ["2606:4700:4700::1111", "public"],
    ["not-an-ip", "invalid"]
  ])("%s is %s", (ip, category) => {
    expect(classify(ip)).toBe(category)
  })

  // Where ipaddr.js's range names and ours differ, or where only we look inside.
  it.each([
    // ipaddr.js: "reserved" (RFC 2544 benchmarking); here a private network.
    ["198.18.0.1", "private"],
    ["198.19.255.255", "private"],
    ["198.20.0.1", "public"],
    // ipaddr.js: "carrierGradeNat", "unspecified", "broadcast".
    ["100.127.255.255", "private"],
    ["100.128.0.1", "public"],
    ["0.1.2.3", "reserved"],
    // Documentation and other reserved IPv4 ranges.
    ["192.0.2.1", "reserved"],
    ["198.51.100.7", "reserved"],
    ["203.0.113.9", "reserved"],
    ["192.88.99.1", "reserved"],
    ["240.0.0.1", "reserved"],
    ["192.0.0.192", "metadata"],
    ["192.0.0.8", "reserved"],
    // ipaddr.js: "as112" and "amt", global anycast services.
    ["192.175.48.1", "public"],
    ["192.52.193.1", "public"],
    // ipaddr.js: "deprecatedSiteLocal", "discard", "teredo", "benchmarking", "orchid2".
    ["fec0::1", "private"],
    ["100::1", "reserved"],
    ["2001::1", "reserved"],
    ["2001:2::1", "reserved"],
    ["2001:20::1", "reserved"],
    ["3fff::1", "reserved"],
    ["5f00::1", "reserved"],
    // Outside 2000::/3 nothing is allocated for global unicast.
    ["4000::1", "reserved"],
    ["1::1", "reserved"],
    ["fd00:ec2::254", "metadata"],
    ["fd00:ec2::255", "private"],
    // IPv4 inside IPv6: mapped, compatible, translated (rfc6145), NAT64, 6to4.
    ["::ffff:8.8.8.8", "public"],
    ["::ffff:10.0.0.1", "private"],
    ["::7f00:1", "loopback"],
    ["::a9fe:a9fe", "metadata"],
    ["::ffff:0:7f00:1", "loopback"],
    ["::ffff:0:808:808", "public"],
    ["64:ff9b::a9fe:a9fe", "metadata"],
    ["64:ff9b::8.8.8.8", "public"],
    ["64:ff9b:1::1", "private"],
    ["2002:c0a8:0101::1", "private"],
    ["2002:a9fe:a9fe::", "metadata"],
    ["2002:0808:0808::1", "public"],
    // Strict spellings only: no octal, hexadecimal or short IPv4, no junk.
    ["010.0.0.1", "invalid"],
    ["127.1", "invalid"],
    ["0x7f.0.0.1", "invalid"],
    ["::ffff:0x7f.0.0.1", "invalid"],
    ["1.2.3.4%eth0", "invalid"],
    ["1:2:3:4:5:6:7:8:9", "invalid"],
    ["", "invalid"],
    ["fe80::1%en0.1", "linkLocal"]
  ])("%s is %s (ipaddr.js names mapped)", (ip, category) => {
    expect(classify(ip)).toBe(category)
  })

  it("an allow-list covers an IPv4-mapped address by its IPv4 range, and skips malformed entries", () => {
    const policy = makePolicy(["127.0.0.1/32", "10.0.0.0/8", "fd00::/8", "127.0.0.1/33", "nonsense", "::1/200"])
    expect(policy("::ffff:127.0.0.1")).toBe("allowed")
    expect(policy("::ffff:10.9.8.7")).toBe("allowed")
    expect(policy("10.9.8.7")).toBe("allowed")
    expect(policy("fd12::1")).toBe("allowed")
    // The metadata address inside fd00::/8 is allowed only because the list names its range.
    expect(policy("fd00:ec2::254")).toBe("allowed")
    expect(policy("::1")).toBe("loopback")
    expect(policy("64:ff9b::7f00:1")).toBe("loopback")
    expect(policy("bogus")).toBe("invalid")
  })

  it("stays linear on megabyte inputs", () => {
    const inputs = ["1:".repeat(500_000), "1".repeat(1_000_000), `::ffff:${"0".repeat(1_000_000)}.1.1.1`, `fe80::1%${"a".repeat(1_000_000)}`]
    for (const input of inputs) {
      const { millis, result } = cpuMillis(() => [classify(input), makePolicy([input])(input)])
      expect(result).toEqual(["invalid", "invalid"])
      expect(millis).toBeLessThan(budgetMillis)
    }
  })

  it("an allow-list lets named ranges through and nothing else", () => {
    const policy = makePolicy(["127.0.0.1/32", "::1"])
    expect(policy("127.0.0.1")).toBe("allowed")
    expect(policy("127.0.0.2")).toBe("loopback")
    expect(policy("::1")).toBe("allowed")
    expect(policy("10.0.0.1")).toBe("private")
    expect(policy("8.8.8.8")).toBe("allowed")
    expect(makePolicy([])("127.0.0.1")).toBe("loopback")
  })

  it("recognises IP literals in host names", () => {
    expect(ipLiteral("[::1]")).toBe("::1")
    expect(ipLiteral("10.0.0.1")).toBe("10.0.0.1")
    expect(ipLiteral("example.test")).toBeUndefined()
    // WHATWG URL parsing turns odd IPv4 spellings into dotted quads first.
    expect(ipLiteral(new URL("http://2130706433/").hostname)).toBe("127.0.0.1")
    expect(ipLiteral(new URL("http://0x7f.1/").hostname)).toBe("127.0.0.1")
  })
})
