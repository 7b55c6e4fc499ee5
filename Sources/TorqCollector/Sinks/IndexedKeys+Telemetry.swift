import TorqEvents
import TorqLogStore

extension IndexedKeys {
    /// The keys of the telemetry schema the store indexes: `run_id`,
    /// `event_type` and `timestamp` (what `torqlog ingest` uses).
    public static let telemetry = IndexedKeys(run: EventSchema.runField, type: EventSchema.typeField, time: EventSchema.timeField)
}
