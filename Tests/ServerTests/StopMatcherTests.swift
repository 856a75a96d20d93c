import Testing
@testable import Server

@Suite("stop strings across token boundaries")
struct StopMatcherTests {
    /// Feeds `pieces` one by one; returns what was released and whether a stop string was met.
    func run(_ stops: [String], _ pieces: [String]) -> (String, Bool) {
        var matcher = StopMatcher(stops: stops)
        var out = ""
        for piece in pieces {
            let (text, stopped) = matcher.feed(piece)
            out += text
            if stopped { return (out, true) }
        }
        return (out + matcher.finish(), false)
    }

    @Test("a stop string inside one piece, or split over three, ends the text before it")
    func split() {
        #expect(run(["s.\n"], [" Paris", ".", "\n\nThe"]) == (" Pari", true))
        #expect(run(["END"], ["abcENDdef"]) == ("abc", true))
        #expect(run(["END"], ["ab", "E", "N", "D", "x"]) == ("ab", true))
    }

    @Test("text that only starts like a stop string is held back, then released")
    func heldBack() {
        var matcher = StopMatcher(stops: ["\n\n"])
        #expect(matcher.feed("Paris.\n") == ("Paris.", false))
        #expect(matcher.feed("The") == ("\nThe", false))
        #expect(run(["abc"], ["xab", "x"]) == ("xabx", false))
        #expect(run(["abc"], ["ab"]) == ("ab", false))
    }

    @Test("the earliest of several stop strings wins; multi-byte characters stay whole")
    func several() {
        #expect(run(["world", "lo w"], ["hello", " world"]) == ("hel", true))
        #expect(run(["é!"], ["caf", "é", "!"]) == ("caf", true))
        #expect(run(["éa"], ["café", "b"]) == ("caféb", false))
    }

    @Test("no stop strings: everything passes at once")
    func none() {
        var matcher = StopMatcher(stops: [])
        #expect(matcher.feed("anything\n") == ("anything\n", false))
    }
}
