import Foundation
import Testing
import TorqTestSupport
import Tracing
@testable import TorqTracing
import TorqEvents

/// The facade's explicit API (the seed's integration example), its run
/// summary, and its session statistics.
@Suite("TelemetryIntegration explicit API and run summary")
struct FacadeTests {
    @Test("the seed's example: start a run, record a tool and a model call, complete it")
    func seedExample() throws {
        let telemetry = try memoryTelemetry(sessionID: "sess-seed")
        let collector = try #require(telemetry.collector)
        let run = telemetry.startAgentRun(agentName: "code_generation_agent", agentType: "marvin_agent", userQuery: "Generate a REST API endpoint")
        #expect(run.rawValue.hasPrefix("run-") && run.rawValue.count == 20)
        #expect(telemetry.recordToolExecution(toolName: "file_writer", toolType: .write, status: .completed, executionTimeMs: 150, runID: run) == .accepted)
        // Without a run id, events go to the current explicit run.
        telemetry.recordModelInteraction(provider: .anthropic, model: "claude-3-5-sonnet", promptTokens: 200, totalTokens: 350, responseTimeMs: 1200)
        #expect(telemetry.sessionStatistics().openExplicitRuns == 1)
        #expect(telemetry.completeAgentRun(success: true, toolsUsed: ["file_writer"], inputTokens: 200, outputTokens: 150))
        #expect(!telemetry.completeAgentRun(runID: run, success: true), "a completed run cannot complete again")
        #expect(telemetry.recordMemoryOperation(memoryType: "episodic", backend: "redis", operation: "read", operationTimeMs: 1) == .accepted)

        let events = try writtenEvents(collector)
        let ofRun = events.filter { $0.string("run_id") == run.rawValue }
        #expect(ofRun.map { $0.string("event_type") ?? "" } == ["span_start", "agent_run", "tool_execution", "model_interaction", "agent_run", "span_end"])
        #expect(ofRun.allSatisfy { $0.string("session_id") == "sess-seed" })
        let runSpan = try span(named: "invoke_agent code_generation_agent", in: recordedSpans(events))
        #expect(ofRun[2].string("parent_span_id") == runSpan.spanID)
        #expect(ofRun[3].string("parent_span_id") == runSpan.spanID)
        #expect(ofRun[4]["total_tokens"] as? Int == 350)
        #expect(ofRun[4]["tools_used"] as? [String] == ["file_writer"])
        #expect(ofRun[4].string("status") == "completed")
        #expect(runSpan.status == "ok")
        // After completion there is no current run: the memory operation belongs to none.
        let memory = try #require(events.last)
        #expect(memory.string("event_type") == "memory_operation")
        #expect(memory["run_id"] == nil)
        #expect(memory["trace_id"] == nil)
    }

    @Test("explicit runs nest under the task's span and can fail with a message")
    func explicitFailure() throws {
        let telemetry = try memoryTelemetry()
        let collector = try #require(telemetry.collector)
        let tracer = try #require(telemetry.tracer)
        let outer = tracer.startSpan("request")
        let run = ServiceContext.withValue(outer.context) {
            telemetry.startAgentRun(agentName: "support_agent", agentType: "conversational_agent")
        }
        telemetry.setRunConfidence(0.4)
        telemetry.completeAgentRun(runID: run, success: false, errorMessage: "model quota exceeded")
        outer.end()
        let events = try writtenEvents(collector)
        let runSpan = try span(named: "invoke_agent support_agent", in: recordedSpans(events))
        #expect(runSpan.parentSpanID == outer.spanContext.spanID.description)
        #expect(runSpan.status == "error")
        #expect(runSpan.end?.string("error_message") == "model quota exceeded")
        let closing = try #require(events.last { $0.string("event_type") == "agent_run" })
        #expect(closing.string("status") == "failed")
        #expect(closing["confidence_score"] as? Double == 0.4)
        #expect(closing.string("error_message") == "model quota exceeded")
        let summary = try telemetry.runSummary(run)
        #expect(summary.status == .failed)
        #expect(summary.errors.map(\.eventType) == [.agentRun], "the span's error is the run's, reported once")
        #expect(summary.errors.first?.message == "model quota exceeded")
    }

    @Test("run summary agrees with an independent count of the stored events")
    func runSummary() async throws {
        let telemetry = try memoryTelemetry()
        let collector = try #require(telemetry.collector)
        var runs: [RunID] = []
        for index in 0..<6 {
            let run: RunID? = try? await telemetry.withAgentRun(name: "agent-\(index % 2)", type: "react_agent", userQuery: "q\(index)") {
                let run = try #require(TelemetryIntegration.currentRunID)
                runs.append(run)
                telemetry.recordRoutingDecision(query: "q\(index)", selectedAgent: "agent-\(index % 2)", strategy: "rules", confidence: 0.7)
                for step in 0...index {
                    telemetry.withModelInteraction(provider: .openAI, model: "gpt-4o") { usage in
                        usage.record(promptTokens: 100 * (step + 1), completionTokens: 10 * step)
                    }
                    telemetry.recordMemoryOperation(memoryType: "semantic", backend: "pgvector", operation: "search",
                                                    operationTimeMs: 2, success: step != 2, cacheHit: false)
                    try await telemetry.withToolExecution(name: "tool-\(step % 3)", type: .api) {
                        await Task.yield()
                        if index == 4 && step == 4 { throw CancellationError() }
                    }
                }
                return run
            }
            #expect((run == nil) == (index == 4))
        }
        #expect(runs.count == 6)
        let all = try writtenEvents(collector)
        for run in runs {
            let summary = try telemetry.runSummary(run)
            // The independent count, from the JSON (Foundation's parser).
            let mine = all.filter { $0.string("run_id") == run.rawValue }
            #expect(summary.eventCount == mine.count)
            var byType: [String: Int] = [:]
            for event in mine { byType[event.string("event_type") ?? "?", default: 0] += 1 }
            #expect(Dictionary(uniqueKeysWithValues: summary.eventCounts.map { ($0.key.rawValue, $0.value) }) == byType)
            let models = mine.filter { $0.string("event_type") == "model_interaction" }
            #expect(summary.inputTokens == models.reduce(0) { $0 + ($1["prompt_tokens"] as? Int ?? 0) })
            #expect(summary.outputTokens == models.reduce(0) { $0 + ($1["completion_tokens"] as? Int ?? 0) })
            #expect(summary.totalTokens == models.reduce(0) { $0 + ($1["total_tokens"] as? Int ?? 0) })
            var tools: [String] = []
            for event in mine where event.string("event_type") == "tool_execution" {
                if let name = event.string("tool_name"), !tools.contains(name) { tools.append(name) }
            }
            #expect(summary.toolsUsed == tools)
            let times = mine.compactMap { $0.string("timestamp").flatMap(rfc3339Nanoseconds) }
            let duration = Double((times.max() ?? 0) - (times.min() ?? 0)) / 1_000_000
            #expect(abs(summary.durationMs - duration) < 0.001)
            let failedMemory = mine.filter { $0.string("event_type") == "memory_operation" && $0["success"] as? Bool == false }.count
            let failedTools = mine.filter { $0.string("event_type") == "tool_execution" && $0.string("status") != "completed" }.count
            let failedRuns = mine.filter { $0.string("event_type") == "agent_run" && !["started", "completed"].contains($0.string("status") ?? "") }.count
            #expect(summary.errors.count == failedMemory + failedTools + failedRuns)
            #expect(summary.openSpans == 0)
            #expect(summary.traceIDs.count == 1)
            #expect(summary.status == (run == runs[4] ? .cancelled : .completed))
        }
        #expect(throws: TelemetryError.self) { try telemetry.runSummary("run-never") }
        let stats = telemetry.sessionStatistics()
        #expect(stats.runsStarted == 6 && stats.runsCompleted == 5 && stats.runsFailed == 1)
        #expect(stats.collector.eventsCollected == all.count)
        #expect(stats.collector.totalDropped == 0)
    }

    @Test("a run summary counts the spans left open")
    func openSpansInSummary() throws {
        let telemetry = try memoryTelemetry()
        let run = telemetry.startAgentRun(agentName: "hung_agent", agentType: "react_agent")
        let summary = try telemetry.runSummary(run)
        #expect(summary.openSpans == 1)
        #expect(summary.status == .started)
        #expect(summary.eventCount == 2)
        telemetry.shutdown()
        #expect(try telemetry.runSummary(run).eventCount == 2, "still readable after shutdown")
    }
}

/// RFC 3339 UTC (`…Z`) to nanoseconds since the epoch, by Foundation.
func rfc3339Nanoseconds(_ text: String) -> Int64? {
    guard text.hasSuffix("Z"), let dot = text.firstIndex(of: ".") else { return nil }
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    guard let date = formatter.date(from: String(text[..<dot]) + "Z") else { return nil }
    let fraction = text[text.index(after: dot)..<text.index(before: text.endIndex)]
    guard let digits = Int64(fraction.padding(toLength: 9, withPad: "0", startingAt: 0)) else { return nil }
    return Int64(date.timeIntervalSince1970) * 1_000_000_000 + digits
}
