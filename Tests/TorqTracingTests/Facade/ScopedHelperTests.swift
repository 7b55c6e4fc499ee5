import Foundation
import Testing
import TorqTestSupport
import Tracing
@testable import TorqTracing
import TorqCollector
import TorqEvents

/// The facade's scoped helpers (the seed's decorators): timing, start/end
/// events, nesting through task-locals, thrown errors.
@Suite("TelemetryIntegration scoped helpers")
struct ScopedHelperTests {
    struct ToolError: Error, CustomStringConvertible {
        var description: String { "disk full writing report.md" }
    }

    @Test("nesting across async let and task groups: every span's parent is the scope it was started in")
    func nesting() async throws {
        let telemetry = try memoryTelemetry(sessionID: "sess-nesting")
        let collector = try #require(telemetry.collector)
        let runID = try await telemetry.withAgentRun(name: "research_agent", type: "react_agent", userQuery: "why?") {
            let run = try #require(TelemetryIntegration.currentRunID)
            telemetry.recordRoutingDecision(query: "why?", selectedAgent: "research_agent", strategy: "semantic", confidence: 0.9)
            async let searched: String = telemetry.withToolExecution(name: "web_search", type: .search) {
                // A model call nested inside a tool, in a child task.
                try await telemetry.withModelInteraction(provider: .anthropic, model: "claude-3-5-haiku") { usage in
                    try await Task.sleep(for: .milliseconds(1))
                    usage.record(promptTokens: 100, completionTokens: 20)
                    return "results"
                }
            }
            async let read: Void = telemetry.withToolExecution(name: "file_reader", type: .read) {
                #expect(TelemetryIntegration.currentRunID == run, "async let inherits the run")
                telemetry.recordMemoryOperation(memoryType: "episodic", backend: "redis", operation: "read", operationTimeMs: 0.4)
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<5 {
                    group.addTask {
                        try await telemetry.withToolExecution(name: "worker-\(i)", type: .execute) {
                            #expect(ServiceContext.current?.telemetryAgentName == "research_agent")
                            try await Task.sleep(for: .milliseconds(1))
                        }
                    }
                }
                try await group.waitForAll()
            }
            _ = try await (searched, read)
            telemetry.instrument("console", "process_command") {
                telemetry.recordModelInteraction(provider: .openAI, model: "gpt-4o", promptTokens: 50, completionTokens: 5, responseTimeMs: 3)
            }
            return run
        }

        let events = try writtenEvents(collector)
        #expect(events.allSatisfy { $0.string("run_id") == runID.rawValue }, "every event carries the run id")
        #expect(events.allSatisfy { $0.string("session_id") == "sess-nesting" })
        let spans = recordedSpans(events)
        #expect(spans.count == 10, "run, two tools, a model call, five workers, one method")
        #expect(spans.values.allSatisfy { $0.start != nil && $0.end?.string("status") == "ok" })
        #expect(Set(events.compactMap { $0.string("trace_id") }).count == 1, "one trace")
        #expect(events.allSatisfy { $0.string("trace_id") != nil })

        let run = try span(named: "invoke_agent research_agent", in: spans)
        #expect(run.parentSpanID == nil)
        for name in ["execute_tool web_search", "execute_tool file_reader", "console.process_command"] + (0..<5).map({ "execute_tool worker-\($0)" }) {
            #expect(try span(named: name, in: spans).parentSpanID == run.spanID, "parent of \(name)")
        }
        let search = try span(named: "execute_tool web_search", in: spans)
        #expect(try span(named: "chat claude-3-5-haiku", in: spans).parentSpanID == search.spanID)
        let method = try span(named: "console.process_command", in: spans)
        let methodAttributes = try #require(method.end?["attributes"] as? [String: Any])
        #expect(methodAttributes["code.namespace"] as? String == "console")
        #expect(methodAttributes["code.function"] as? String == "process_command")

        // Typed events: each scope's event carries its span's id; point events get a span under the enclosing scope.
        func only(_ type: String, _ filter: ([String: Any]) -> Bool = { _ in true }) throws -> [String: Any] {
            let found = events.filter { $0.string("event_type") == type && filter($0) }
            guard found.count == 1, let event = found.first else { throw HarnessError("expected one \(type), found \(found.count)") }
            return event
        }
        let runEvents = events.filter { $0.string("event_type") == "agent_run" }
        #expect(runEvents.map { $0.string("status") } == ["started", "completed"])
        #expect(runEvents.allSatisfy { $0.string("span_id") == run.spanID })
        let closing = try #require(runEvents.last)
        #expect(Set(closing["tools_used"] as? [String] ?? []) == Set(["web_search", "file_reader"] + (0..<5).map { "worker-\($0)" }))
        #expect(closing["total_tokens"] as? Int == 175)
        #expect(closing.string("user_query") == "why?")
        let tool = try only("tool_execution") { $0.string("tool_name") == "web_search" }
        #expect(tool.string("span_id") == search.spanID)
        #expect(tool.string("status") == "completed")
        #expect(tool["success"] as? Bool == true)
        #expect((tool["execution_time_ms"] as? Double ?? -1) >= 1)
        let model = try only("model_interaction") { $0.string("model_name") == "claude-3-5-haiku" }
        #expect(model["prompt_tokens"] as? Int == 100)
        #expect(model["completion_tokens"] as? Int == 20)
        #expect(model["total_tokens"] as? Int == 120)
        #expect((model["response_time_ms"] as? Double ?? -1) >= 1)
        let memory = try only("memory_operation")
        #expect(try memory.string("parent_span_id") == span(named: "execute_tool file_reader", in: spans).spanID)
        #expect(memory.string("span_id") != nil && spans[memory.string("span_id") ?? ""] == nil, "a point event has a span id of its own")
        #expect(try only("routing_decision").string("parent_span_id") == run.spanID)
        #expect(try only("model_interaction") { $0.string("model_name") == "gpt-4o" }.string("parent_span_id") == method.spanID)
        #expect(TelemetryIntegration.currentRunID == nil, "the run's context ends with its scope")
    }

    @Test("an error thrown in a tool is recorded (tool failed, run failed, spans error) and rethrown through both scopes")
    func errorsAsync() async throws {
        let telemetry = try memoryTelemetry()
        let collector = try #require(telemetry.collector)
        await #expect(throws: ToolError.self) {
            try await telemetry.withAgentRun(name: "writer", type: "marvin_agent") {
                telemetry.withModelInteraction(provider: .anthropic, model: "claude-3-5-sonnet") { usage in usage.promptTokens = 10 }
                try await telemetry.withToolExecution(name: "file_writer", type: .write) {
                    await Task.yield()
                    throw ToolError()
                }
                Issue.record("the body goes on after the throw")
            }
        }
        let events = try writtenEvents(collector)
        let tool = try #require(events.first { $0.string("event_type") == "tool_execution" })
        #expect(tool.string("status") == "failed")
        #expect(tool["success"] as? Bool == false)
        #expect(tool.string("error_message") == "disk full writing report.md")
        let run = try #require(events.last { $0.string("event_type") == "agent_run" })
        #expect(run.string("status") == "failed")
        #expect(run.string("error_message") == "disk full writing report.md")
        #expect(run["tools_used"] as? [String] == ["file_writer"])
        #expect(run["total_tokens"] as? Int == 10)
        let spans = recordedSpans(events)
        for name in ["execute_tool file_writer", "invoke_agent writer"] {
            let s = try span(named: name, in: spans)
            #expect(s.status == "error", "\(name)")
            #expect(s.end?.string("error_message") == "disk full writing report.md")
        }
        #expect(try span(named: "chat claude-3-5-sonnet", in: spans).status == "ok")
        let stats = telemetry.sessionStatistics()
        #expect(stats.runsStarted == 1 && stats.runsFailed == 1 && stats.runsCompleted == 0 && stats.runsInProgress == 0)
    }

    @Test("synchronous overloads: same events, errors rethrown; cancellation is recorded as cancelled")
    func syncAndCancellation() async throws {
        let telemetry = try memoryTelemetry()
        let collector = try #require(telemetry.collector)
        let value = telemetry.withAgentRun(name: "sync_agent", type: "planner_agent") {
            telemetry.withToolExecution(name: "calc", type: .execute) {
                telemetry.instrument("planner", "plan") { 6 * 7 }
            }
        }
        #expect(value == 42)
        #expect(throws: ToolError.self) {
            try telemetry.instrument("console", "process_command") { () throws -> Int in throw ToolError() }
        }
        #expect(throws: ToolError.self) {
            try telemetry.withModelInteraction(provider: .local, model: "llama") { _ in throw ToolError() }
        }
        let task = Task {
            try await telemetry.withAgentRun(name: "cancelled_agent", type: "react_agent") {
                try await Task.sleep(for: .seconds(600))
            }
        }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }

        let events = try writtenEvents(collector)
        let spans = recordedSpans(events)
        #expect(try span(named: "planner.plan", in: spans).parentSpanID == span(named: "execute_tool calc", in: spans).spanID)
        #expect(try span(named: "execute_tool calc", in: spans).parentSpanID == span(named: "invoke_agent sync_agent", in: spans).spanID)
        #expect(try span(named: "console.process_command", in: spans).status == "error")
        let model = try #require(events.first { $0.string("event_type") == "model_interaction" })
        #expect(model["success"] as? Bool == false)
        #expect(model.string("error_message") == "disk full writing report.md")
        #expect(model["prompt_tokens"] as? Int == 0)
        let cancelled = try #require(events.last { $0.string("event_type") == "agent_run" && $0.string("agent_name") == "cancelled_agent" })
        #expect(cancelled.string("status") == "cancelled")
    }

    @Test("before initialize and after shutdown: bodies still run, nothing is recorded, calls are counted")
    func notRecording() async throws {
        let telemetry = TelemetryIntegration(configuration: TelemetryConfiguration(storage: .memory(capacity: 100)))
        #expect(telemetry.collector == nil)
        let ran = await telemetry.withAgentRun(name: "a", type: "b") {
            await telemetry.withToolExecution(name: "t", type: .read) { await Task.yield(); return 1 }
        }
        #expect(ran == 1)
        #expect(telemetry.recordToolExecution(toolName: "t", toolType: .read) == .dropped(.disabled))
        #expect(throws: TelemetryError.self) { try telemetry.runSummary("run-x") }
        #expect(telemetry.sessionStatistics().eventsNotRecorded == 3)
        try telemetry.initialize()
        try telemetry.initialize()
        telemetry.withToolExecution(name: "t", type: .read) {}
        let final = telemetry.shutdown()
        #expect(final.eventsCollected == 3)
        #expect(telemetry.instrument("a", "b") { "still runs" } == "still runs")
        #expect(telemetry.sessionStatistics().eventsNotRecorded == 4)
        #expect(telemetry.sessionStatistics().isShutDown)
    }
}
