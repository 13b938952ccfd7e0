import CCurl
import Foundation

/// One libcurl easy handle with its error buffer, owned by one transfer on one thread:
/// the http check's request (VacataireChecks) and the SMTP channel's (VacataireNotify).
///
/// The only place that touches libcurl's setup calls and its process-wide initialisation;
/// callers describe a transfer with typed options and read back the result.
public final class CurlEasy {
    private let handle: UnsafeMutableRawPointer
    private var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    private var lists: [UnsafeMutablePointer<curl_slist>] = []
    private var strings: [UnsafeMutablePointer<CChar>] = []

    /// libcurl's process-wide initialisation, done once before the first handle.
    private static let globalInit: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))

    /// Nil when libcurl cannot be initialised (out of memory, a broken TLS library).
    public init?() {
        guard Self.globalInit == CURLE_OK, let handle = curl_easy_init() else {
            return nil
        }
        self.handle = handle
        errorBuffer.withUnsafeMutableBufferPointer { buffer in
            _ = ccurl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, buffer.baseAddress)
        }
        set(CURLOPT_NOSIGNAL, 1)
    }

    deinit {
        curl_easy_cleanup(handle)
        lists.forEach { curl_slist_free_all($0) }
        strings.forEach { free($0) }
    }

    public func set(_ option: CURLoption, _ value: Int) {
        _ = ccurl_setopt_long(handle, option, value)
    }

    /// Sets a string option; libcurl copies strings, but we keep ours alive for the handle's life.
    public func set(_ option: CURLoption, _ value: String) {
        guard let copy = strdup(value) else { return }
        strings.append(copy)
        _ = ccurl_setopt_string(handle, option, copy)
    }

    public func set(_ option: CURLoption, list values: [String]) {
        var list: UnsafeMutablePointer<curl_slist>?
        for value in values {
            list = curl_slist_append(list, value)
        }
        guard let list else { return }
        lists.append(list)
        _ = ccurl_setopt_slist(handle, option, list)
    }

    /// Uploads `data` as the request body (SMTP's DATA), then runs the transfer.
    public func perform(upload data: Data) -> CURLcode {
        let source = UploadSource(data)
        let context = Unmanaged.passRetained(source)
        defer { context.release() }
        _ = ccurl_setopt_callback(handle, CURLOPT_READFUNCTION) { buffer, size, count, userdata in
            guard let buffer, let userdata else { return 0 }
            let source = Unmanaged<UploadSource>.fromOpaque(userdata).takeUnretainedValue()
            return source.read(into: buffer, capacity: size * count)
        }
        _ = ccurl_setopt_pointer(handle, CURLOPT_READDATA, context.toOpaque())
        set(CURLOPT_UPLOAD, 1)
        return curl_easy_perform(handle)
    }

    /// Runs the transfer, counting the whole response body and keeping its first
    /// `keepLimit` bytes (the http check's download).
    public func perform(keepingBody keepLimit: Int) -> (code: CURLcode, bodyBytes: Int, body: [UInt8]) {
        let sink = BodySink(keepLimit: keepLimit)
        let code = withExtendedLifetime(sink) {
            _ = ccurl_setopt_callback(handle, CURLOPT_WRITEFUNCTION, bodyWriter)
            _ = ccurl_setopt_pointer(handle, CURLOPT_WRITEDATA, Unmanaged.passUnretained(sink).toOpaque())
            return curl_easy_perform(handle)
        }
        return (code, sink.count, sink.kept)
    }

    /// Runs the transfer, handing each piece of the response body to `receive` as it
    /// arrives (a stream that lasts: etcd's watch); `receive` returns false to end it.
    public func perform(streaming receive: @escaping (UnsafeRawBufferPointer) -> Bool) -> CURLcode {
        let sink = StreamSink(receive)
        return withExtendedLifetime(sink) {
            _ = ccurl_setopt_callback(handle, CURLOPT_WRITEFUNCTION, streamWriter)
            _ = ccurl_setopt_pointer(handle, CURLOPT_WRITEDATA, Unmanaged.passUnretained(sink).toOpaque())
            return curl_easy_perform(handle)
        }
    }

    public var responseCode: Int {
        var value = 0
        _ = ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &value)
        return value
    }

    /// The errno of the last failed connect, such as ECONNREFUSED.
    public var osErrno: Int32 {
        var value = 0
        _ = ccurl_getinfo_long(handle, CURLINFO_OS_ERRNO, &value)
        return Int32(truncatingIfNeeded: value)
    }

    /// libcurl's own words for the last failure, or its generic text for `code`.
    public func errorText(_ code: CURLcode) -> String {
        let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
    }
}

/// The bytes libcurl reads for an upload, handed out in pieces.
private final class UploadSource {
    private let data: Data
    private var offset = 0

    init(_ data: Data) {
        self.data = data
    }

    func read(into buffer: UnsafeMutablePointer<CChar>, capacity: Int) -> Int {
        let count = min(capacity, data.count - offset)
        guard count > 0 else { return 0 }
        data.withUnsafeBytes { bytes in
            guard let base = bytes.baseAddress else { return }
            memcpy(buffer, base + offset, count)
        }
        offset += count
        return count
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

/// Where libcurl's write callback hands a streamed body.
private final class StreamSink {
    let receive: (UnsafeRawBufferPointer) -> Bool

    init(_ receive: @escaping (UnsafeRawBufferPointer) -> Bool) {
        self.receive = receive
    }
}

/// libcurl's write callback for a stream; returning less than given ends the transfer.
private func streamWriter(
    _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ userdata: UnsafeMutableRawPointer?
) -> Int {
    let length = size * count
    guard let userdata, let data else { return length }
    let sink = Unmanaged<StreamSink>.fromOpaque(userdata).takeUnretainedValue()
    return sink.receive(UnsafeRawBufferPointer(start: data, count: length)) ? length : 0
}
