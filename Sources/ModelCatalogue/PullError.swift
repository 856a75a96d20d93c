import Foundation
import ModelFormat

/// Why a model could not be pulled or found in the cache. Each message names the model or file
/// and says what to do.
public enum PullError: Error, CustomStringConvertible, Equatable {
    /// A name that is not in the catalogue; `listing` is the catalogue's names.
    case unknownModel(name: String, listing: String)
    /// A catalogue model whose files are not (all) in the cache.
    case notPulled(name: String, cache: String, missing: [String], cacheOption: String?)
    /// A cached file whose size is not the catalogue's.
    case cachedFileDamaged(name: String, path: String, size: Int, expected: Int)
    /// DLLAMA_MODEL_MIRROR is not a usable URL.
    case badMirror(String)
    /// Not enough free space for what is left to download.
    case notEnoughSpace(name: String, directory: String, needed: Int, available: Int, approximate: Bool)
    /// A write failed with ENOSPC or EDQUOT.
    case diskFull(path: String, written: Int, name: String)
    /// Any other failed file operation.
    case fileFailed(path: String, operation: String, reason: String)
    /// Another `dllama pull` holds the partial file.
    case busy(path: String)
    /// The server answered with an error status.
    case httpStatus(url: String, status: Int, file: String)
    /// The server's answer cannot be used to resume (a Content-Range for another offset, say).
    case unexpectedResponse(url: String, reason: String)
    /// The connection failed; `offset` is how much of the file is kept for a resume.
    case network(url: String, reason: String, file: String, offset: Int, name: String)
    /// The file's size (announced or downloaded) is not the catalogue's.
    case sizeMismatch(file: String, size: Int, expected: Int, source: String)
    /// The sha256 of the downloaded file is not the catalogue's; the partial file is kept, never used.
    case checksumMismatch(file: String, actual: String, expected: String, partial: String, name: String)
    /// The downloaded model file does not open as a model.
    case notAModel(file: String, reason: String, partial: String, name: String)

    public var description: String {
        switch self {
        case .unknownModel(let name, let listing):
            return "\(name) is not a model of the catalogue. Known models:\n\(listing)\n"
                + "Run `dllama models` for sizes and what is already in the cache, or pass a model file's path."
        case .notPulled(let name, let cache, let missing, let cacheOption):
            let option = cacheOption.map { " --cache \($0)" } ?? ""
            return "model \(name) is not in the cache \(cache) (missing \(missing.joined(separator: ", "))): "
                + "run `dllama pull \(name)\(option)` on this node first."
        case .cachedFileDamaged(let name, let path, let size, let expected):
            return "\(path) has \(size) bytes but model \(name) needs \(expected): the cached file is damaged. "
                + "Run `dllama pull \(name)` again to replace it."
        case .badMirror(let value):
            return "DLLAMA_MODEL_MIRROR=\(value) is not an http(s) URL (such as http://10.0.0.1:8080): "
                + "set it to the base URL of a server holding the hub's paths, or unset it."
        case .notEnoughSpace(let name, let directory, let needed, let available, let approximate):
            return "not enough disk space for \(name) in \(directory): it needs \(approximate ? "about " : "")\(formatSize(needed)) more, "
                + "\(formatSize(available)) is free. Free some space, or pull into a larger disk with --cache DIR "
                + "(and pass the same --cache to the commands that run it)."
        case .diskFull(let path, let written, let name):
            return "the disk is full: writing \(path) stopped after \(formatSize(written)). Free some space (or use "
                + "--cache DIR on a larger disk), then run `dllama pull \(name)` again: it resumes where it stopped."
        case .fileFailed(let path, let operation, let reason):
            return "cannot \(operation) \(path): \(reason)."
        case .busy(let path):
            return "another dllama pull is downloading \(path): wait for it to finish (or stop it) and try again."
        case .httpStatus(let url, let status, let file):
            let hint: String
            switch status {
            case 404: hint = "the file is not there: the catalogue entry (or the mirror in DLLAMA_MODEL_MIRROR) is out of date"
            case 401, 403: hint = "access was refused: the server needs credentials or does not serve this file"
            default: hint = "try again later, or set DLLAMA_MODEL_MIRROR to another server"
            }
            return "downloading \(file) from \(url) failed with HTTP \(status): \(hint)."
        case .unexpectedResponse(let url, let reason):
            return "the server at \(url) answered in a way a download cannot use: \(reason)."
        case .network(let url, let reason, let file, let offset, let name):
            let kept = offset > 0 ? " \(formatSize(offset)) of \(file) is kept:" : ""
            return "downloading \(file) from \(url) failed: \(reason).\(kept) run `dllama pull \(name)` again to "
                + (offset > 0 ? "resume." : "retry.")
        case .sizeMismatch(let file, let size, let expected, let source):
            return "\(source) \(file) has \(size) bytes, but the catalogue says \(expected): it is another file. "
                + "Check DLLAMA_MODEL_MIRROR, or the catalogue entry."
        case .checksumMismatch(let file, let actual, let expected, let partial, let name):
            return "the download of \(file) is damaged: its sha256 is \(actual), the catalogue says \(expected). "
                + "It was not moved into place (kept as \(partial), never used); `dllama pull \(name)` downloads it again."
        case .notAModel(let file, let reason, let partial, let name):
            return "the download of \(file) is not a usable model file: \(reason) It was not moved into place "
                + "(kept as \(partial)); `dllama pull \(name)` downloads it again."
        }
    }
}

/// Sizes in messages: "93.8 MiB (98362432 bytes)", or the byte count alone for small ones.
func formatSize(_ bytes: Int) -> String {
    bytes < 1024 ? "\(bytes) bytes" : "\(formatBytes(bytes)) (\(bytes) bytes)"
}
