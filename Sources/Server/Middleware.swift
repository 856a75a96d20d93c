import Foundation
import Hummingbird
import Logging

/// The outermost layer: turns every failure into an OpenAI-style error body, counts the request
/// in the metrics, and logs one line per request once its body has been written (so a streamed
/// answer is logged with its tokens when it ends).
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    let logger: Logger
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = try Self.apiError(for: error, request: request).response(from: request, context: context)
        }
        // Otherwise a client could send its next request on a connection the server is closing.
        if context.record.watchesInbound { response.headers[.connection] = "close" }
        let route = context.endpointPath ?? "unmatched"
        let status = Int(response.status.code)
        let line = "\(request.method) \(request.uri.path) \(status)"
        let record = context.record
        let (logger, metrics) = (logger, metrics)
        @Sendable func log(_ extra: String) {
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            metrics.countRequest(route: route, status: status)
            logger.info("\(line) in \(String(format: "%.3f", seconds)) s\(record.summary)\(extra)")
        }
        let body = response.body
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            do {
                try await body.write(writer)
            } catch {
                log(record.note == nil ? ", the client went away" : "")
                throw error
            }
            log("")
        }
        return response
    }

    /// Errors as the client sees them: ours as they are, Hummingbird's (unknown route, body too
    /// large) with their status, anything else as a 500 naming it.
    static func apiError(for error: Error, request: Request) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as HTTPError where error.status == .notFound:
            return APIError(status: .notFound, message: "There is no \(request.method) \(request.uri.path) on this server: "
                                + "see docs/operations.md for the routes (GET /v1/models, POST /v1/chat/completions, ...).",
                            code: "not_found")
        case let error as HTTPError:
            return APIError(status: error.status, message: error.body ?? error.status.reasonPhrase)
        default:
            return APIError(status: .internalServerError, message: "Internal error: \(error)", type: "server_error")
        }
    }
}

/// `--api-key`: every route needs `Authorization: Bearer KEY` but the health check and the chat
/// page's own files (which hold no data; the page asks for the key and sends it with its calls).
struct APIKeyMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    let key: [UInt8]
    static let publicPaths = Set(["/health", "/"]).union(ChatPage.files.keys.map { "/" + $0 })

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard Self.publicPaths.contains(request.uri.path) || matches(request.headers[.authorization]) else {
            var error = APIError.unauthorized
            error.headers["WWW-Authenticate"] = "Bearer"
            throw error
        }
        return try await next(request, context)
    }

    /// Compares in time independent of where the strings differ.
    private func matches(_ header: String?) -> Bool {
        guard let header, header.hasPrefix("Bearer ") else { return false }
        let given = Array(header.dropFirst("Bearer ".count).utf8)
        guard given.count == key.count else { return false }
        return zip(given, key).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
