import Testing
import TorqTestSupport
@testable import TorqJSON

@testable import TorqLogStore

/// Parses through the raw-buffer entry point (the hot path).
private func parse(_ text: String) -> Int64? {
    Array(text.utf8).withUnsafeBytes { RFC3339.parseNanoseconds($0) }
}

private let second: Int64 = 1_000_000_000
/// 2026-11-25T17:36:48Z
private let reference: Int64 = 1_795_628_208 * second

@Suite struct RFC3339Tests {
    @Test(arguments: [
        ("2026-11-25T17:36:48Z", reference),
        ("2026-11-25t17:36:48z", reference),
        ("2026-11-25 17:36:48Z", reference),
        ("2026-11-25T17:36:48", reference), // no offset: UTC
        ("2026-11-25T17:36:48+00:00", reference),
        ("2026-11-25T17:36:48-00:00", reference),
        ("2026-11-25T19:36:48+02:00", reference),
        ("2026-11-25T12:06:48-05:30", reference),
        ("2026-11-26T03:06:48+09:30", reference),
        ("1970-01-01T00:00:00Z", 0),
        ("1969-12-31T23:59:59Z", -second),
        ("1969-12-31T23:59:59.5Z", -second / 2),
        ("2000-02-29T12:00:00Z", 951_825_600 * second),
    ])
    func validForms(text: String, expected: Int64) {
        #expect(parse(text) == expected)
        #expect(RFC3339.parseNanoseconds(text) == expected)
    }

    @Test(arguments: [
        (".1", 100_000_000), (".12", 120_000_000), (".123", 123_000_000), (".123456", 123_456_000),
        (".123456789", 123_456_789), (".1234567891", 123_456_789), (".123456789999999", 123_456_789),
        (".000000001", 1), (".0", 0), (".999999999", 999_999_999),
    ] as [(String, Int64)])
    func fractionLengths(fraction: String, nanos: Int64) {
        #expect(parse("2026-11-25T17:36:48\(fraction)Z") == reference + nanos)
        #expect(parse("2026-11-25T19:36:48\(fraction)+02:00") == reference + nanos)
        #expect(parse("2026-11-25T17:36:48\(fraction)") == reference + nanos)
    }

    @Test func leapYears() {
        #expect(parse("2024-02-29T00:00:00Z") != nil)
        #expect(parse("2000-02-29T00:00:00Z") != nil)
        #expect(parse("2023-02-29T00:00:00Z") == nil)
        #expect(parse("1900-02-29T00:00:00Z") == nil) // divisible by 100, not by 400
        #expect(parse("2100-02-29T00:00:00Z") == nil)
        #expect(parse("2024-03-01T00:00:00Z")! - parse("2024-02-28T00:00:00Z")! == 2 * 86_400 * second)
        #expect(parse("2023-03-01T00:00:00Z")! - parse("2023-02-28T00:00:00Z")! == 86_400 * second)
    }

    @Test func leapSecondMapsToTheLastNanosecondOfTheMinute() {
        let leap = parse("2016-12-31T23:59:60Z")
        #expect(leap == 1_483_228_799 * second + 999_999_999)
        #expect(parse("2016-12-31T23:59:60.5Z") == leap)
        #expect(leap! < parse("2017-01-01T00:00:00Z")!)
        #expect(leap! > parse("2016-12-31T23:59:59.999999998Z")!)
        #expect(parse("2016-12-31T23:59:61Z") == nil)
    }

    @Test(arguments: [
        "2026-02-30T00:00:00Z", "2026-04-31T00:00:00Z", "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z",
        "2026-01-00T00:00:00Z", "2026-01-32T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T23:60:00Z",
        "2026-01-01T00:00:00+24:00", "2026-01-01T00:00:00+01:60",
    ])
    func invalidDatesAndTimes(text: String) {
        #expect(parse(text) == nil)
    }

    @Test(arguments: [
        "", "garbage", "2026", "2026-11-25", "2026-11-25T17:36", "2026-11-25T17:36:4Z", "2026-1-25T17:36:48Z",
        "26-11-25T17:36:48Z", "+2026-11-25T17:36:48Z", "2026/11/25T17:36:48Z", "2026-11-25X17:36:48Z",
        "2026-11-25T17-36-48Z", "2026-11-25T17:36:48.Z", "2026-11-25T17:36:48.", "2026-11-25T17:36:48,5Z",
        "2026-11-25T17:36:48ZZ", "2026-11-25T17:36:48Z ", " 2026-11-25T17:36:48Z", "2026-11-25T17:36:48+0200",
        "2026-11-25T17:36:48+02", "2026-11-25T17:36:48+02:00:00", "2026-11-25T17:36:48 +02:00", "2026-11-25T17:36:48UTC",
        "2026-11-25T17:36:48.12a", "2O26-11-25T17:36:48Z", "2026-11-25T17:36:48\u{0}", "２０２６-11-25T17:36:48Z",
        "2026-11-25T 7:36:48Z", "2026-11-25T-7:36:48Z",
    ])
    func garbageIsRejected(text: String) {
        #expect(parse(text) == nil)
    }

    @Test func int64RangeLimits() {
        #expect(parse("1677-09-21T00:12:43.145224192Z") == Int64.min)
        #expect(parse("1677-09-21T00:12:43.145224191Z") == nil)
        #expect(parse("2262-04-11T23:47:16.854775807Z") == Int64.max)
        #expect(parse("2262-04-11T23:47:16.854775808Z") == nil)
        #expect(parse("0000-01-01T00:00:00Z") == nil)
        #expect(parse("9999-12-31T23:59:59Z") == nil)
        // The offset can bring an out-of-range local time back into range.
        #expect(parse("2262-04-12T00:47:16.854775807+01:00") == Int64.max)
    }

    @Test func formatting() {
        #expect(RFC3339.format(nanoseconds: reference + 123_456_789) == "2026-11-25T17:36:48.123456Z")
        #expect(RFC3339.format(nanoseconds: reference + 123_456_789, fractionDigits: 9) == "2026-11-25T17:36:48.123456789Z")
        #expect(RFC3339.format(nanoseconds: reference + 123_456_789, fractionDigits: 3) == "2026-11-25T17:36:48.123Z")
        #expect(RFC3339.format(nanoseconds: reference + 999_999_999, fractionDigits: 0) == "2026-11-25T17:36:48Z")
        #expect(RFC3339.format(nanoseconds: reference, fractionDigits: 42) == "2026-11-25T17:36:48.000000000Z")
        #expect(RFC3339.format(nanoseconds: reference, fractionDigits: -1) == "2026-11-25T17:36:48Z")
        #expect(RFC3339.format(nanoseconds: 0) == "1970-01-01T00:00:00.000000Z")
        #expect(RFC3339.format(nanoseconds: -1, fractionDigits: 9) == "1969-12-31T23:59:59.999999999Z")
        #expect(RFC3339.format(nanoseconds: -1) == "1969-12-31T23:59:59.999999Z") // truncated towards the past
        #expect(RFC3339.format(nanoseconds: Int64.min, fractionDigits: 9) == "1677-09-21T00:12:43.145224192Z")
        #expect(RFC3339.format(nanoseconds: Int64.max, fractionDigits: 9) == "2262-04-11T23:47:16.854775807Z")
        #expect(RFC3339.format(nanoseconds: 951_825_600 * second) == "2000-02-29T12:00:00.000000Z")
    }

    @Test func roundTrip() {
        var state: UInt64 = 0x5EED
        for _ in 0..<20_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let nanos = Int64(bitPattern: state)
            let text = RFC3339.format(nanoseconds: nanos, fractionDigits: 9)
            #expect(parse(text) == nanos, "\(nanos) -> \(text)")
            let micros = RFC3339.format(nanoseconds: nanos)
            let back = parse(micros)
            #expect(back != nil && back! <= nanos && nanos - back! < 1_000, "\(nanos) -> \(micros)")
        }
    }

    @Test func calendarHelpersAgreeDayByDay() {
        // Walk every day from 1600 to 2400 and check both directions.
        var days = RFC3339.daysFromCivil(year: 1600, month: 1, day: 1)
        for year in Int64(1600)...2400 {
            for month in Int64(1)...12 {
                for day in 1...RFC3339.daysInMonth(year: year, month: month) {
                    let civil = RFC3339.civilFromDays(days)
                    if RFC3339.daysFromCivil(year: year, month: month, day: day) != days || civil != (year, month, day) {
                        Issue.record("civilFromDays(\(days)) = \(civil), expected \(year)-\(month)-\(day)")
                    }
                    days += 1
                }
            }
        }
        #expect(RFC3339.daysFromCivil(year: 1970, month: 1, day: 1) == 0)
    }
}
