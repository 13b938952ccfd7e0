import ArgumentParser
import VacataireAgent

/// `vacataire doctor`: asks the running agent to check what only a running pair can show.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check what only a running pair can show (the peer on each path with the key, the witness, the service probe, every destination, the clocks); one line each, FIX lines say what to do.",
        discussion: "Sends a test notification to every destination. Exit 0 when all is well, 1 when a line says FIX."
    )

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        try daemon.send(ControlRequest(command: .doctor, waitSeconds: 30)).finish()
    }
}
