import Logging
import NIOCore

/// Accepts connections on `server` until the task is cancelled or the channel is closed,
/// each handled on its own child task, so one slow client never holds up the next. The
/// control socket, the HTTP endpoint and the agent-check port share it; `what` names the
/// listener in the log line if it stops on an error.
func acceptConnections<Connection: Sendable>(
    _ server: NIOAsyncChannel<Connection, Never>, what: String, logger: Logger,
    _ handle: @escaping @Sendable (Connection) async -> Void
) async {
    do {
        try await server.executeThenClose { inbound in
            try await withThrowingDiscardingTaskGroup { group in
                for try await connection in inbound {
                    group.addTask { await handle(connection) }
                }
            }
        }
    } catch is CancellationError {
    } catch {
        logger.error("\(what) stopped: \(error)")
    }
}
