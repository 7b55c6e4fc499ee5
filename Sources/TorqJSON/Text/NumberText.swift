/// Number formatting for reports and recommendations, without Foundation.
package enum NumberText {
    /// `1,234,567`.
    package static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return n < 0 ? "-" + out : out
    }

    /// A share as a percentage: `31%`, `4.2%`, `0.03%`; exact 0 and 1 as `0%` and `100%`,
    /// anything else never rounded to them.
    package static func percent(_ share: Double) -> String {
        guard share.isFinite else { return "-" }
        let p = share * 100
        if p <= 0 { return "0%" }
        if p >= 100 { return "100%" }
        let digits = p >= 10 ? 1 : p >= 1 ? 1 : p >= 0.1 ? 2 : 3
        var text = fixed(p, digits)
        if digits > 0 {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        if text == "100" { text = "99.9" }
        if text == "0" { text = "<" + fixed(0.001, 3) }
        return text + "%"
    }

    /// `value` with `digits` decimals (round half away from zero).
    static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "\(value)" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (value.magnitude * scale).rounded()
        guard scaled < 9e15 else { return "\(value)" }
        let n = Int64(scaled)
        let sign = value < 0 && n != 0 ? "-" : ""
        guard digits > 0 else { return sign + String(n) }
        var fraction = String(n % Int64(scale))
        fraction = String(repeating: "0", count: digits - fraction.count) + fraction
        return sign + String(n / Int64(scale)) + "." + fraction
    }
}
