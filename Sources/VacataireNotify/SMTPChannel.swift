import CCurl
import Foundation
import VacataireCore

/// Delivers emails through libcurl's SMTP client, one destination at a time.
///
/// A delivery either ends with the server's acceptance of the message for every recipient,
/// or throws a `DeliveryError` that names the server and what went wrong. Blocking: call it
/// off the cooperative thread pool (`BlockingWork.run`).
public struct SMTPChannel: Sendable {
    public init() {}

    public func deliver(_ message: EmailMessage, to destination: EmailDestination) throws(DeliveryError) {
        let curl = try CurlEasy()
        curl.set(CURLOPT_URL, destination.url.absoluteString)
        curl.set(CURLOPT_MAIL_FROM, "<\(destination.from.address)>")
        curl.set(CURLOPT_MAIL_RCPT, list: destination.to.map { "<\($0.address)>" })
        curl.set(CURLOPT_CONNECTTIMEOUT_MS, Int(destination.connectTimeout.seconds * 1000))
        curl.set(CURLOPT_TIMEOUT_MS, Int(destination.timeout.seconds * 1000))
        if destination.url.scheme == "smtp" {
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
            curl.set(CURLOPT_PASSWORD, try Self.readPassword(passwordFile, destination: destination))
        }
        let code = curl.perform(upload: Data(message.rendered.utf8))
        guard code == CURLE_OK else {
            throw Self.describe(code, curl: curl, destination: destination)
        }
    }

    static func readPassword(_ path: String, destination: EmailDestination) throws(DeliveryError) -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw DeliveryError(.configuration, "cannot read the SMTP password file \(path) for \(destination.endpoint)")
        }
        return text.trimmingCharacters(in: .newlines)
    }

    /// Turns libcurl's result into a sentence that names the server.
    static func describe(_ code: CURLcode, curl: CurlEasy, destination: EmailDestination) -> DeliveryError {
        let endpoint = destination.endpoint
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
            return DeliveryError(.authentication, "\(endpoint) rejected the login of \(destination.username ?? "?") (\(curl.responseCode))")
        case CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_WEIRD_SERVER_REPLY, CURLE_UPLOAD_FAILED:
            let status = curl.responseCode
            if status >= 400 {
                return DeliveryError(.rejected, "\(endpoint) rejected the message: \(detail) (reply \(status))")
            }
            return DeliveryError(.connection, "\(endpoint) broke off the session: \(detail)")
        default:
            return DeliveryError(.connection, "delivery to \(endpoint) failed: \(detail)")
        }
    }
}
