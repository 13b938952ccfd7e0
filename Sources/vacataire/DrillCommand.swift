import ArgumentParser
import VacataireAgent

/// `vacataire drill`: the service to the other node and back, make before break, checked
/// through the load balancer's view and reported (Docs/drill.md).
struct DrillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drill",
        abstract: "Switch the service over to the other node and back, measure both moves, and report.",
        discussion: """
            Refused (exit 1, with what to fix) unless both nodes are healthy, neither is in \
            maintenance and no incident is open. A failed leg stops the drill, puts the service \
            back and pages one incident (exit 1); a drill that passed is mailed and trapped as a \
            notice (exit 0).
            """)

    @OptionGroup var daemon: DaemonOptions
    @Flag(help: "Say what the drill would do; change nothing.") var dryRun = false
    @Flag(help: "Started by the timer: skipped (exit 0) on the configured standby, so that one node of the pair drills.")
    var scheduled = false
    @Option(help: "How long to wait for the report, in seconds (default and most: 600).") var wait: Double?

    func validate() throws {
        try validateWait(wait)
    }

    func run() throws {
        try daemon.send(ControlRequest(command: .drill, waitSeconds: wait, dryRun: dryRun ? true : nil, scheduled: scheduled ? true : nil)).finish()
    }
}
