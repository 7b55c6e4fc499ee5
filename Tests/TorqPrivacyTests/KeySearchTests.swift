import CTorqSupport
import Testing
import TorqEvents

/// `tq_find`, the byte search the PII filter's member search runs on (CTorqSupport).
@Suite("Key search")
struct KeySearchTests {
    @Test("tq_find finds what memmem finds, by every method this CPU has, on haystacks rich in near matches")
    func agreesWithMemmem() {
        var random = SplitMix64(seed: 7)
        let alphabet: [UInt8] = Array(#"ab"q_"#.utf8)
        let best = tq_find_best_method()
        var found = 0
        for _ in 0..<20_000 {
            let n = Int(random.next() % 200)
            var haystack = (0..<n).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }
            let m = Int(random.next() % 12)
            var needle = (0..<m).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }
            // Often plant the needle, at the start, the end or anywhere.
            if m > 0, m <= n, random.next() % 2 == 0 {
                let at = [0, n - m, Int(random.next() % UInt64(n - m + 1))][Int(random.next() % 3)]
                haystack.replaceSubrange(at..<(at + m), with: needle)
            }
            if random.next() % 5 == 0, m > 0 { needle[m - 1] = UInt8(ascii: "z") }  // absent
            let expected = haystack.withUnsafeBytes { h in needle.withUnsafeBytes { k in tq_find_using(0, h.baseAddress, h.count, k.baseAddress, k.count) } }
            for method in 1...max(1, best) {
                let got = haystack.withUnsafeBytes { h in needle.withUnsafeBytes { k in tq_find_using(Int32(method), h.baseAddress, h.count, k.baseAddress, k.count) } }
                #expect(got == expected, "method \(method): \(String(decoding: needle, as: UTF8.self)) in \(String(decoding: haystack, as: UTF8.self))")
            }
            if expected >= 0 { found += 1 }
        }
        #expect(found > 5_000 && found < 15_000)  // both outcomes well exercised
    }
}
