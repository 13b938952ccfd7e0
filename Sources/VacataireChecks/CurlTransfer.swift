import CCurl
import Foundation
import VacataireCore
import VacataireCurl

/// The http check's request, set up once on a libcurl easy handle (`CurlEasy`) and run as
/// often as the check runs. `perform` blocks until the answer or the timeout: run it on a
/// dedicated thread, and on one thread at a time.
///
/// Kept from run to run, the handle saves setting every option again and libcurl's own
/// per-transfer setup; what a run tests stays what a new handle would test: each run opens
/// its own connection (`FORBID_REUSE`: a service that stops accepting connections must fail
/// its check, not be reached over an old one), resolves the name again and makes a full TLS
/// handshake (no cached address or session: a replaced certificate is verified at once).
final class CurlTransfer {
    private let easy: CurlEasy
    /// How much of the body to keep for pattern matching; all of it is counted regardless.
    private let keepLimit: Int

    /// What came back: the status and body, or libcurl's reason for failing.
    struct Outcome {
        var code: CURLcode
        var error: String
        var status: Int
        var bodyBytes: Int
        var body: [UInt8]
    }

    /// Nil when libcurl cannot be initialised.
    init?(_ settings: HTTPCheckSettings, keepLimit: Int) {
        guard let easy = CurlEasy() else { return nil }
        self.easy = easy
        self.keepLimit = keepLimit
        easy.set(CURLOPT_URL, settings.url)
        easy.set(CURLOPT_PROTOCOLS_STR, "http,https")
        easy.set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
        easy.set(CURLOPT_FOLLOWLOCATION, settings.followRedirects ? 1 : 0)
        easy.set(CURLOPT_MAXREDIRS, 5)
        easy.set(CURLOPT_SSL_VERIFYPEER, settings.verifyTLS ? 1 : 0)
        easy.set(CURLOPT_SSL_VERIFYHOST, settings.verifyTLS ? 2 : 0)
        if let caFile = settings.caFile { easy.set(CURLOPT_CAINFO, caFile) }
        if settings.method == "HEAD" {
            easy.set(CURLOPT_NOBODY, 1)
        } else if settings.method != "GET" {
            easy.set(CURLOPT_CUSTOMREQUEST, settings.method)
        }
        easy.set(CURLOPT_HTTPHEADER, list: settings.headers)
        easy.set(CURLOPT_FORBID_REUSE, 1)
        easy.set(CURLOPT_DNS_CACHE_TIMEOUT, 0)
        easy.set(CURLOPT_SSL_SESSIONID_CACHE, 0)
    }

    func perform(timeout: Duration) -> Outcome {
        let milliseconds = max(1, Int(timeout.milliseconds))
        easy.set(CURLOPT_TIMEOUT_MS, milliseconds)
        easy.set(CURLOPT_CONNECTTIMEOUT_MS, milliseconds)
        let (code, bodyBytes, body) = easy.perform(keepingBody: keepLimit)
        return Outcome(code: code, error: code == CURLE_OK ? "" : easy.errorText(code), status: easy.responseCode,
                       bodyBytes: bodyBytes, body: body)
    }
}

/// The idle `CurlTransfer` of one check, kept between runs. A run takes it (or makes one
/// when a run still in flight holds it) and gives it back when done; one is kept.
final class IdleTransfer: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: CurlTransfer?

    func take() -> CurlTransfer? {
        lock.withLock {
            defer { idle = nil }
            return idle
        }
    }

    func giveBack(_ transfer: CurlTransfer) {
        lock.withLock {
            if idle == nil { idle = transfer }
        }
    }
}
