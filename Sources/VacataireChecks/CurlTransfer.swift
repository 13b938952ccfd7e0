import CCurl
import Foundation

/// One blocking HTTP(S) request through a libcurl easy handle, with every option set from
/// Swift. Run it on a dedicated thread: `perform()` blocks until the answer or the timeout.
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

    /// libcurl must be initialised once per process before any handle is made.
    private static let initialised: Bool = {
        // CURL_GLOBAL_ALL (SSL | WIN32) is a macro Swift cannot import: 3 is its value.
        curl_global_init(3) == CURLE_OK
    }()

    func perform() -> Outcome {
        guard Self.initialised, let handle = curl_easy_init() else {
            return Outcome(code: CURLE_FAILED_INIT, error: "libcurl could not be initialised", status: 0, bodyBytes: 0, body: [])
        }
        defer { curl_easy_cleanup(handle) }
        let sink = BodySink(keepLimit: keepLimit)
        var headerList: UnsafeMutablePointer<curl_slist>?
        for header in headers {
            headerList = curl_slist_append(headerList, header)
        }
        defer { curl_slist_free_all(headerList) }
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let milliseconds = max(1, Int(timeout.milliseconds))

        let code: CURLcode = errorBuffer.withUnsafeMutableBufferPointer { buffer in
            withExtendedLifetime(sink) {
                _ = ccurl_setopt_string(handle, CURLOPT_URL, url)
                _ = ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
                _ = ccurl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
                _ = ccurl_setopt_string(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
                _ = ccurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, milliseconds)
                _ = ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, milliseconds)
                _ = ccurl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, followRedirects ? 1 : 0)
                _ = ccurl_setopt_long(handle, CURLOPT_MAXREDIRS, 5)
                _ = ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, verifyTLS ? 1 : 0)
                _ = ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, verifyTLS ? 2 : 0)
                if let caFile { _ = ccurl_setopt_string(handle, CURLOPT_CAINFO, caFile) }
                if method == "HEAD" {
                    _ = ccurl_setopt_long(handle, CURLOPT_NOBODY, 1)
                } else if method != "GET" {
                    _ = ccurl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, method)
                }
                _ = ccurl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList)
                _ = ccurl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, buffer.baseAddress)
                _ = ccurl_setopt_callback(handle, CURLOPT_WRITEFUNCTION, bodyWriter)
                _ = ccurl_setopt_pointer(handle, CURLOPT_WRITEDATA, Unmanaged.passUnretained(sink).toOpaque())
                return curl_easy_perform(handle)
            }
        }
        var status = 0
        _ = ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        var error = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if error.isEmpty, code != CURLE_OK {
            error = String(cString: curl_easy_strerror(code))
        }
        return Outcome(code: code, error: error, status: status, bodyBytes: sink.count, body: sink.kept)
    }
}

/// Where libcurl's write callback puts the body: counted in full, kept up to a limit.
private final class BodySink {
    let keepLimit: Int
    var count = 0
    var kept: [UInt8] = []

    init(keepLimit: Int) {
        self.keepLimit = keepLimit
    }
}

/// libcurl's write callback; `userdata` is the transfer's `BodySink`.
private func bodyWriter(
    _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ userdata: UnsafeMutableRawPointer?
) -> Int {
    let length = size * count
    guard let userdata else { return length }
    let sink = Unmanaged<BodySink>.fromOpaque(userdata).takeUnretainedValue()
    sink.count += length
    if let data, sink.kept.count < sink.keepLimit {
        let take = min(length, sink.keepLimit - sink.kept.count)
        data.withMemoryRebound(to: UInt8.self, capacity: take) { bytes in
            sink.kept.append(contentsOf: UnsafeBufferPointer(start: bytes, count: take))
        }
    }
    return length
}
