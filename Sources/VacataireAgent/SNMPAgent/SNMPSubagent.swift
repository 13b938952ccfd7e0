import CNetSNMPAgent
import Foundation
import Logging
import Synchronization
import VacataireCore
import VacataireNotify

/// The AgentX subagent: answers an NMS's polls of `vacStatus` through the host's snmpd.
///
/// It owns a thread of its own that runs Net-SNMP's agent loop: it waits for the master's
/// requests, the library's alarms (the ping every `ping_interval`, and once the master is
/// lost an attempt to reconnect at that pace) and its wake pipe. It answers from the
/// `SNMPStatusBoard` only, so a slow, frozen or restarting snmpd holds this thread and
/// never the agent. Net-SNMP's agent library is global and unlocked: it is set up once per
/// process (on top of the trap sender's set-up, `NetSNMPProcess`) and then touched only
/// from this thread.
final class SNMPSubagent: Sendable {
    private let settings: SNMPAgentConfig
    private let wake: (read: Int32, write: Int32)
    private let stopping = Atomic<Bool>(false)
    private let logger: Logger

    /// Net-SNMP's agent library takes one subagent per process.
    private static let started = Mutex(false)

    /// The longest the loop waits without looking at `stopping`.
    static let longestWait = 1_000_000

    /// Sets Net-SNMP's agent library up as a subagent of `settings.socket`, registers
    /// `vacStatus`, and starts the thread, which connects.
    static func start(
        _ settings: SNMPAgentConfig, config: Config, board: SNMPStatusBoard, clock: any AgentClock, logger: Logger
    ) throws(SNMPSubagentError) -> SNMPSubagent {
        guard started.withLock({ started in defer { started = true }; return !started }) else {
            throw SNMPSubagentError("the AgentX subagent already runs in this process; Net-SNMP's agent library takes one")
        }
        do {
            try NetSNMPProcess.setUp(config: config)
        } catch {
            throw SNMPSubagentError("the AgentX subagent cannot set up Net-SNMP: \(error.message)")
        }
        var error = [CChar](repeating: 0, count: 256)
        guard cnetsnmp_agent_init("vacataire", settings.socket.description, Int32(settings.pingSeconds), &error, error.count) == 0 else {
            throw SNMPSubagentError("the AgentX subagent cannot start: \(Self.text(error))")
        }
        let responder = SNMPStatusResponder(board: board, clock: clock)
        // Released never: the registration lives as long as the process.
        let context = Unmanaged.passRetained(responder).toOpaque()
        let root = SNMPStatusMIB.root
        let registered = root.withUnsafeBufferPointer { oid in
            cnetsnmp_agent_register("vacStatus", oid.baseAddress, oid.count, { context, name, length, exact, answer in
                guard let context, let name, let answer else { return 0 }
                let responder = Unmanaged<SNMPStatusResponder>.fromOpaque(context).takeUnretainedValue()
                return responder.answer(Array(UnsafeBufferPointer(start: name, count: length)), exact: exact != 0, into: answer) ? 1 : 0
            }, context, &error, error.count)
        }
        guard registered == 0 else {
            throw SNMPSubagentError("the AgentX subagent cannot register vacStatus: \(Self.text(error))")
        }
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            throw SNMPSubagentError("the AgentX subagent cannot create its wake pipe: \(String(cString: strerror(errno)))")
        }
        let subagent = SNMPSubagent(settings: settings, wake: (fds[0], fds[1]), logger: logger)
        let thread = Thread { subagent.loop() }
        thread.name = "vacataire-agentx"
        thread.start()
        return subagent
    }

    private init(settings: SNMPAgentConfig, wake: (read: Int32, write: Int32), logger: Logger) {
        self.settings = settings
        self.wake = wake
        self.logger = logger
    }

    /// Ends the thread at its next turn (at once unless a request to the master is under
    /// way); the session to snmpd closes with the process.
    func stop() {
        stopping.store(true, ordering: .releasing)
        var byte: UInt8 = 1
        _ = write(wake.write, &byte, 1)
    }

    private func loop() {
        let master = settings.socket.description
        let every = "every \(settings.pingSeconds) s"
        cnetsnmp_agent_connect()
        var seen = connections()
        if seen.opened == 0 {
            logger.warning("""
                AgentX: no master at \(master) (is snmpd running with `master agentx` and `agentXSocket \(master)`, \
                and may this user open it? see agentXPerms); trying again \(every)
                """)
        } else {
            logger.notice("AgentX: vacStatus registered with the master at \(master)")
        }
        while !stopping.load(ordering: .acquiring) {
            if cnetsnmp_agent_poll(wake.read, Self.longestWait) < 0 {
                logger.error("AgentX: waiting for the master failed (\(String(cString: strerror(errno)))); the subagent stops")
                break
            }
            let now = connections()
            if now.closed > seen.closed {
                logger.warning("AgentX: lost the master at \(master); trying again \(every)")
            }
            if now.opened > seen.opened {
                logger.notice("AgentX: vacStatus registered again with the master at \(master)")
            }
            seen = now
        }
    }

    private func connections() -> (opened: UInt, closed: UInt) {
        var opened: UInt = 0
        var closed: UInt = 0
        cnetsnmp_agent_connections(&opened, &closed)
        return (opened, closed)
    }

    static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Answers the master's gets and get-nexts from the board, on the subagent's thread.
final class SNMPStatusResponder: Sendable {
    private let board: SNMPStatusBoard
    /// The agent's clock: ages in the answers (`vacUptime`, "since") are read on it.
    private let clock: any AgentClock

    init(board: SNMPStatusBoard, clock: any AgentClock) {
        self.board = board
        self.clock = clock
    }

    /// Finds `oid` (or the instance after it) in the published status and writes it into
    /// the shim's buffers; false when there is none (or it does not fit).
    func answer(_ oid: [UInt], exact: Bool, into answer: UnsafeMutablePointer<cnetsnmp_agent_answer>) -> Bool {
        guard let status = board.current else { return false }
        let mib = SNMPStatusMIB(status, now: clock.date)
        guard let instance = exact ? mib.instance(oid) : mib.instance(after: oid) else { return false }
        guard instance.oid.count <= answer.pointee.name_capacity, let name = answer.pointee.name, let value = answer.pointee.value else {
            return false
        }
        for (index, part) in instance.oid.enumerated() { name[index] = part }
        answer.pointee.name_len = instance.oid.count
        let bytes: [UInt8]
        switch instance.value {
        case .string(let octets):
            answer.pointee.type = UInt8(CNETSNMP_AGENT_OCTET_STRING)
            bytes = octets
        case .integer(let number):
            answer.pointee.type = UInt8(CNETSNMP_AGENT_INTEGER)
            bytes = withUnsafeBytes(of: number) { Array($0) }
        case .unsigned(let number):
            answer.pointee.type = UInt8(CNETSNMP_AGENT_GAUGE32)
            bytes = withUnsafeBytes(of: UInt(number)) { Array($0) }
        case .counter(let number):
            answer.pointee.type = UInt8(CNETSNMP_AGENT_COUNTER32)
            bytes = withUnsafeBytes(of: UInt(number)) { Array($0) }
        case .timeTicks(let number):
            answer.pointee.type = UInt8(CNETSNMP_AGENT_TIMETICKS)
            bytes = withUnsafeBytes(of: UInt(number)) { Array($0) }
        }
        guard bytes.count <= answer.pointee.value_capacity else { return false }
        for (index, byte) in bytes.enumerated() { value[index] = byte }
        answer.pointee.value_len = bytes.count
        return true
    }
}
