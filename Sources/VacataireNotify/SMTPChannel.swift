import CCurl
import Foundation
import VacataireCore
import VacataireCurl

/// Delivers emails through libcurl's SMTP client, one destination at a time.
///
/// A delivery either ends with one server's acceptance of the message for every recipient,
/// or throws a `DeliveryError` that names each server tried and what went wrong. Blocking:
/// call it off the cooperative thread pool (`BlockingThread.run`).
public struct SMTPChannel: Sendable {
    /// Which server took the message, and why the ones before it did not.
    public struct Delivery: Sendable, Equatable {
        /// `host:port` of the server that accepted the message.
        public var server: String
        public var earlierFailures: [DeliveryError]
    }

    public init() {}

    /// Tries the destination's servers in order until one accepts the message.
    @discardableResult
    public func deliver(_ message: EmailMessage, to destination: EmailDestination) throws(DeliveryError) -> Delivery {
        var failures: [DeliveryError] = []
        for server in destination.servers {
            do throws(DeliveryError) {
                try deliver(message, to: destination, via: server)
                return Delivery(server: EmailDestination.endpoint(of: server), earlierFailures: failures)
            } catch {
                failures.append(error)
            }
        }
        guard failures.count > 1, let last = failures.last else {
            throw failures.first ?? DeliveryError(.configuration, "no SMTP server configured for \(destination.name)")
        }
        let all = failures.map(\.message).joined(separator: "; ")
        throw DeliveryError(last.kind, "all \(failures.count) servers failed: \(all)")
    }

    /// One attempt through one server.
    func deliver(_ message: EmailMessage, to destination: EmailDestination, via server: URL) throws(DeliveryError) {
        guard let curl = CurlEasy() else {
            throw DeliveryError(.internalError, "libcurl could not be initialised")
        }
        curl.set(CURLOPT_URL, server.absoluteString)
        curl.set(CURLOPT_MAIL_FROM, "<\(destination.from.address)>")
        curl.set(CURLOPT_MAIL_RCPT, list: destination.to.map { "<\($0.address)>" })
        curl.set(CURLOPT_CONNECTTIMEOUT_MS, Int(destination.connectTimeout.seconds * 1000))
        curl.set(CURLOPT_TIMEOUT_MS, Int(destination.timeout.seconds * 1000))
        if server.scheme == "smtp" {
            let policy: curl_usessl
            switch destination.starttls {
            case .required: policy = CURLUSESSL_ALL
            case .opportunistic: policy = CURLUSESSL_TRY
            case .off: policy = CURLUSESSL_NONE
            }
            curl.set(CURLOPT_USE_SSL, Int(policy.rawValue))
        }
        if let caFile = destination.caFile {
            curl.set(CURLOPT_CAINFO, caFile)
        }
        if let username = destination.username, let passwordFile = destination.passwordFile {
            curl.set(CURLOPT_USERNAME, username)
            curl.set(CURLOPT_PASSWORD, try Self.readPassword(passwordFile, server: server))
        }
        let code = curl.perform(upload: Data(message.rendered.utf8))
        guard code == CURLE_OK else {
            throw Self.describe(code, curl: curl, endpoint: EmailDestination.endpoint(of: server), username: destination.username)
        }
    }

    static func readPassword(_ path: String, server: URL) throws(DeliveryError) -> String {
        let text = try SecretFile.read(path) { reason in
            "cannot read the SMTP password file \(path) for \(EmailDestination.endpoint(of: server)): \(reason)"
        }
        return text.trimmingCharacters(in: .newlines)
    }

    /// Turns libcurl's result into a sentence that names the server.
    static func describe(_ code: CURLcode, curl: CurlEasy, endpoint: String, username: String?) -> DeliveryError {
        let detail = curl.errorText(code)
        switch code {
        case CURLE_COULDNT_CONNECT:
            if curl.osErrno == ECONNREFUSED {
                return DeliveryError(.connection, "connection refused by \(endpoint)")
            }
            let reason = curl.osErrno != 0 ? String(cString: strerror(curl.osErrno)) : detail
            return DeliveryError(.connection, "cannot connect to \(endpoint): \(reason)")
        case CURLE_COULDNT_RESOLVE_HOST:
            return DeliveryError(.connection, "cannot resolve the host of \(endpoint)")
        case CURLE_OPERATION_TIMEDOUT:
            return DeliveryError(.timeout, "\(endpoint) did not answer in time (\(detail))")
        case CURLE_USE_SSL_FAILED:
            return DeliveryError(.tls, "\(endpoint) does not offer STARTTLS, which `starttls: required` demands")
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE:
            return DeliveryError(.tls, "the certificate of \(endpoint) is not trusted: \(detail)")
        case CURLE_SSL_CONNECT_ERROR:
            return DeliveryError(.tls, "TLS with \(endpoint) failed: \(detail)")
        case CURLE_LOGIN_DENIED:
            return DeliveryError(
                .authentication, "authentication failed at \(endpoint): the server rejected the login of \(username ?? "?") (reply \(curl.responseCode))"
            )
        case CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_WEIRD_SERVER_REPLY, CURLE_UPLOAD_FAILED:
            let status = curl.responseCode
            if status >= 400 {
                return DeliveryError(.rejected, "\(endpoint) rejected the message: \(detail) (reply \(status))", replyCode: status)
            }
            return DeliveryError(.connection, "\(endpoint) broke off the session: \(detail)")
        default:
            return DeliveryError(.connection, "delivery to \(endpoint) failed: \(detail)")
        }
    }
}
