/// Finds a request's stop strings in generated text that arrives a piece at a time, even when a
/// stop string is split across tokens: text that could be the start of a stop string is held back
/// until the next piece settles it, so the client never sees any part of a stop string.
///
/// It works on UTF-8 bytes: a stop string and the pieces are valid UTF-8, so a match (or a held-back
/// prefix of one) always begins on a character boundary and what is released is valid text.
///
///     var matcher = StopMatcher(stops: ["\n\n"])
///     matcher.feed("Paris.\n")   // ("Paris.", stopped: false): "\n" is held back
///     matcher.feed("\nThe")      // ("", stopped: true)
struct StopMatcher {
    let stops: [[UInt8]]
    private var held: [UInt8] = []

    init(stops: [String]) {
        self.stops = stops.filter { !$0.isEmpty }.map { Array($0.utf8) }
    }

    /// Adds `text`; returns what can be released now, and whether a stop string was met (then the
    /// text before it is released and the rest, the stop string included, is dropped).
    mutating func feed(_ text: String) -> (text: String, stopped: Bool) {
        held += text.utf8
        if let cut = earliestMatch() {
            let released = String(decoding: held[..<cut], as: UTF8.self)
            held.removeAll()
            return (released, true)
        }
        let keep = longestPartialMatch()
        let released = String(decoding: held[..<(held.count - keep)], as: UTF8.self)
        held.removeFirst(held.count - keep)
        return (released, false)
    }

    /// The end of the text: whatever was held back was not a stop string after all.
    mutating func finish() -> String {
        defer { held.removeAll() }
        return String(decoding: held, as: UTF8.self)
    }

    /// Where the first complete stop string starts in the held text.
    private func earliestMatch() -> Int? {
        stops.compactMap { stop in
            guard stop.count <= held.count else { return nil }
            return (0...(held.count - stop.count)).first { held[$0..<($0 + stop.count)].elementsEqual(stop) }
        }.min()
    }

    /// The length of the longest end of the held text that a stop string starts with.
    private func longestPartialMatch() -> Int {
        var longest = 0
        for stop in stops {
            for length in stride(from: min(stop.count - 1, held.count), to: longest, by: -1)
            where held[(held.count - length)...].elementsEqual(stop[..<length]) {
                longest = length
                break
            }
        }
        return longest
    }
}
