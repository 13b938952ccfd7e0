import CCurl
import Foundation
import VacataireCurl

/// One blocking HTTP(S) request, described for the http check and run through a libcurl
/// easy handle (`CurlEasy`). Run it on a dedicated thread: `perform()` blocks until the
/// answer or the timeout.
struct CurlTransfer {
    var url: String
    var method: String
    var headers: [String]
    var caFile: String?
    var verifyTLS: Bool
    var followRedirects: Bool
    var timeout: Duration
    /// How much of the body to keep for pattern matching; all of it is counted regardless.
    var keepLimit: Int

    /// What came back: the status and body, or libcurl's reason for failing.
    struct Outcome {
        var code: CURLcode
        var error: String
        var status: Int
        var bodyBytes: Int
        var body: [UInt8]
    }

    func perform() -> Outcome {
        guard let easy = CurlEasy() else {
            return Outcome(code: CURLE_FAILED_INIT, error: "libcurl could not be initialised", status: 0, bodyBytes: 0, body: [])
        }
        let milliseconds = max(1, Int(timeout.milliseconds))
        easy.set(CURLOPT_URL, url)
        easy.set(CURLOPT_PROTOCOLS_STR, "http,https")
        easy.set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
        easy.set(CURLOPT_TIMEOUT_MS, milliseconds)
        easy.set(CURLOPT_CONNECTTIMEOUT_MS, milliseconds)
        easy.set(CURLOPT_FOLLOWLOCATION, followRedirects ? 1 : 0)
        easy.set(CURLOPT_MAXREDIRS, 5)
        easy.set(CURLOPT_SSL_VERIFYPEER, verifyTLS ? 1 : 0)
        easy.set(CURLOPT_SSL_VERIFYHOST, verifyTLS ? 2 : 0)
        if let caFile { easy.set(CURLOPT_CAINFO, caFile) }
        if method == "HEAD" {
            easy.set(CURLOPT_NOBODY, 1)
        } else if method != "GET" {
            easy.set(CURLOPT_CUSTOMREQUEST, method)
        }
        easy.set(CURLOPT_HTTPHEADER, list: headers)
        let (code, bodyBytes, body) = easy.perform(keepingBody: keepLimit)
        return Outcome(code: code, error: code == CURLE_OK ? "" : easy.errorText(code), status: easy.responseCode,
                       bodyBytes: bodyBytes, body: body)
    }
}
