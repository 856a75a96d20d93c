import Foundation

/// The chat page: plain HTML, CSS and JavaScript shipped as the library's resources (no build
/// step), read once at start.
///
/// SwiftPM puts the resources in `dllama_Server.resources` beside the executable. Its generated
/// `Bundle.module` stops the process when that folder is missing, so it is looked for here
/// instead: a binary copied without it still serves the API and says what is missing.
struct ChatPage: Sendable {
    /// The page's files and their content types.
    static let files = ["index.html": "text/html; charset=utf-8", "chat.js": "text/javascript; charset=utf-8",
                        "chat.css": "text/css; charset=utf-8"]
    static let bundleName = "dllama_Server.resources"

    /// File name -> content; empty when the resources were not found.
    let contents: [String: [UInt8]]
    /// Where they were looked for, for the message when they are missing.
    let searched: [String]

    init() {
        var folders = [Bundle.main.bundleURL]
        if let executable = Bundle.main.executableURL?.resolvingSymlinksInPath() {
            folders.append(executable.deletingLastPathComponent())
        }
        // The build folder of this source tree, for tests run from elsewhere.
        folders += Bundle.allBundles.map { $0.bundleURL.deletingLastPathComponent() }
        searched = folders.map { $0.appendingPathComponent(Self.bundleName).path }
        var found: [String: [UInt8]] = [:]
        for folder in searched {
            let page = Self.files.keys.compactMap { name in
                FileManager.default.contents(atPath: folder + "/Page/" + name).map { (name, Array($0)) }
            }
            if page.count == Self.files.count {
                found = Dictionary(uniqueKeysWithValues: page)
                break
            }
        }
        contents = found
    }

    var isAvailable: Bool { !contents.isEmpty }

    var missingMessage: String {
        "The chat page's files were not found (looked in \(searched.joined(separator: ", "))): copy the \(Self.bundleName) folder "
            + "from the build folder (.build/release) beside the dllama executable. The API works without them."
    }
}
