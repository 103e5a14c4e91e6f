/**
 * A Shift_JIS encoder for the fixture pages, built by inverting the
 * platform's Shift_JIS `TextDecoder` over every double-byte sequence (Node
 * ships decoders for legacy charsets but no encoders).
 *
 * @internal
 */

/**
 * Builds the encoder; characters it cannot map become `?`.
 *
 * @internal
 */
export const makeShiftJisEncoder = (): ((text: string) => Uint8Array) => {
  const decoder = new TextDecoder("shift_jis")
  const table = new Map<string, readonly [number, number]>()
  const leads = [...Array.from({ length: 0x9f - 0x81 + 1 }, (_, i) => 0x81 + i), ...Array.from({ length: 0xfc - 0xe0 + 1 }, (_, i) => 0xe0 + i)]
  for (const lead of leads) {
    for (let trail = 0x40; trail <= 0xfc; trail++) {
      if (trail === 0x7f) continue
      const ch = decoder.decode(new Uint8Array([lead, trail]))
      if (ch.length === 1 && ch !== "\uFFFD" && !table.has(ch)) table.set(ch, [lead, trail])
    }
  }
  return (text) => {
    const out: Array<number> = []
    for (const ch of text) {
      const code = ch.charCodeAt(0)
      if (code < 0x80) out.push(code)
      else if (code >= 0xff61 && code <= 0xff9f) out.push(code - 0xff61 + 0xa1)
      else {
        const pair = table.get(ch)
        if (pair === undefined) out.push(0x3f)
        else out.push(pair[0], pair[1])
      }
    }
    return Uint8Array.from(out)
  }
}
