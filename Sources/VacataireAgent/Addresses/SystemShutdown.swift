import Foundation

/// Whether the machine is shutting down (systemd's manager is `stopping`), as opposed to
/// the agent alone being stopped or restarted: only then does the agent let go of its
/// floating addresses as it exits.
enum SystemShutdown {
    static var inProgress: Bool {
        // systemd writes no file for it; its manager's state answers on the bus, which
        // `systemctl is-system-running` reads. Without systemd (a container), never.
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/systemctl"),
              FileManager.default.fileExists(atPath: "/run/systemd/system") else { return false }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/systemctl")
        process.arguments = ["is-system-running"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return false
        }
        process.waitUntilExit()
        let state = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return state.trimmingCharacters(in: .whitespacesAndNewlines) == "stopping"
    }
}
