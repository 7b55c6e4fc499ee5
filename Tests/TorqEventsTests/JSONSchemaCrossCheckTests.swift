import Foundation
import Testing
import TorqTestSupport
@testable import TorqEvents
import TorqTelemetry

/// The Swift validator and the exported JSON Schema, checked by Python's
/// `jsonschema` (installed by `make test`), must agree on every line of a
/// corpus that includes every kind of violation.
@Suite("Validator against the JSON Schema")
struct JSONSchemaCrossCheckTests {
    static let script = """
        import json, sys
        from jsonschema import Draft202012Validator
        schema = json.load(open(sys.argv[1], encoding="utf-8"))
        Draft202012Validator.check_schema(schema)
        validator = Draft202012Validator(schema)
        verdicts = []
        with open(sys.argv[2], encoding="utf-8", newline="\\n") as corpus:
            for line in corpus:
                line = line[:-1] if line.endswith("\\n") else line
                try:
                    instance = json.loads(line)
                except ValueError:
                    verdicts.append("0")
                    continue
                verdicts.append("1" if validator.is_valid(instance) else "0")
        print("\\n".join(verdicts))
        """

    /// Python's verdict (true = valid) for each line of `lines` against `schema`.
    static func pythonVerdicts(schema: String, lines: [String]) throws -> [Bool] {
        let dir = TemporaryDirectory("crosscheck")
        try Data(schema.utf8).write(to: URL(fileURLWithPath: dir.file("schema.json")))
        try dir.write("corpus.jsonl", lines: lines)
        try Data(script.utf8).write(to: URL(fileURLWithPath: dir.file("check.py")))
        let result = try Child.run(executable: try python3(), [dir.file("check.py"), dir.file("schema.json"), dir.file("corpus.jsonl")])
        guard result.status == 0 else {
            throw HarnessError("python3 failed (is jsonschema installed? `make test` installs it): \(result.stderrText)")
        }
        let verdicts = result.stdoutText.split(separator: "\n").map { $0 == "1" }
        guard verdicts.count == lines.count else { throw HarnessError("python gave \(verdicts.count) verdicts for \(lines.count) lines") }
        return verdicts
    }

    @Test("the corpus covers every reason, and the validator gives the verdicts built into it")
    func corpusVerdicts() throws {
        let cases = ViolationCorpus.make()
        var validator = try EventValidator()
        var reasons: Set<NonComplianceReason> = []
        for c in cases {
            let r = validator.validate(json: c.line)
            #expect(r.isCompliant == c.compliant, "\(c.note): \(c.line.prefix(300)) -> \(r.issues)")
            if let defect = c.defect {
                #expect(r.issues.contains { $0.field == defect.field && $0.reason.rawValue == defect.reason }, "\(c.note): \(r.issues)")
            }
            reasons.formUnion(r.issues.map(\.reason))
        }
        #expect(reasons == Set(NonComplianceReason.allCases))
    }

    @Test("compliant by the validator exactly when valid by the combined schema")
    func combinedSchema() throws {
        let cases = ViolationCorpus.make()
        let schema = try #require(EventJSONSchema.document())
        let python = try Self.pythonVerdicts(schema: schema, lines: cases.map(\.line))
        var validator = try EventValidator()
        var disagreements: [String] = []
        for (c, valid) in zip(cases, python) where validator.validate(json: c.line).isCompliant != valid {
            disagreements.append("\(c.note): swift \(!valid), python \(valid): \(c.line.prefix(200))")
        }
        #expect(disagreements.isEmpty, Comment(rawValue: "\(disagreements.count) disagreements:\n" + disagreements.prefix(20).joined(separator: "\n")))
        #expect(python.contains(true) && python.contains(false))
    }

    @Test("compliant and of type T exactly when valid by T's schema", arguments: EventType.complianceTypes)
    func singleSchemas(_ type: EventType) throws {
        let cases = ViolationCorpus.make()
        let schema = try #require(EventJSONSchema.document(for: type))
        let python = try Self.pythonVerdicts(schema: schema, lines: cases.map(\.line))
        var validator = try EventValidator()
        var disagreements: [String] = []
        for (c, valid) in zip(cases, python) {
            let r = validator.validate(json: c.line)
            let swift = r.isCompliant && r.eventType == type
            if swift != valid { disagreements.append("\(c.note): swift \(swift), python \(valid)") }
        }
        #expect(disagreements.isEmpty, Comment(rawValue: "\(disagreements.count) disagreements:\n" + disagreements.prefix(20).joined(separator: "\n")))
    }

    @Test("the validator and the schema agree on the sample workload with defects")
    func workload() throws {
        var workload = SampleWorkload(seed: 11, defectRate: 0.3)
        let lines = (0..<3_000).map { _ in String(decoding: workload.nextLine(), as: UTF8.self) }
        let python = try Self.pythonVerdicts(schema: try #require(EventJSONSchema.document()), lines: lines)
        var validator = try EventValidator()
        let swift = lines.map { validator.validate(json: $0).isCompliant }
        #expect(swift == python)
        #expect(swift.filter { !$0 }.count > 500)
    }
}
