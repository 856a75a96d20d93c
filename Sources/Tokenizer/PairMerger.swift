/// The merge loop every encoder here shares: repeatedly merge the best adjacent pair of symbols
/// until no pair can merge.
///
/// Symbols are spans of the input bytes in a doubly linked list; candidate pairs wait in a binary
/// heap, ordered by priority (lower first) and then by the left symbol's position (leftmost first).
/// That is the tie-break of llama.cpp's `llm_tokenizer_spm`/`llm_tokenizer_bpe` bigram queues and
/// of the `.t` encoder's "first pair wins". A merge makes candidates stale rather than removing them;
/// a popped candidate is used only if both symbols still exist with the sizes it was made from
/// (llama.cpp's check). The cost is O(n log n) in the number of bytes, so a megabyte-long word is
/// no problem, where rescanning every pair after each merge would be quadratic.
struct PairMerger {
    struct Symbol {
        var start: Int32
        var end: Int32
        /// The token the span is, or -1 if the span is not a token.
        var id: Int32
        var previous: Int32
        var next: Int32
        var length: Int32 { end - start }
    }

    struct Candidate {
        var priority: Double
        var left: Int32
        var right: Int32
        var size: Int32
        var merged: Int32

        func precedes(_ other: Candidate) -> Bool {
            priority < other.priority || (priority == other.priority && left < other.left)
        }
    }

    private(set) var symbols: [Symbol]
    private var heap: [Candidate] = []

    /// One symbol per span, in order; `spans` must be contiguous and non-empty.
    init(spans: [(range: Range<Int>, id: Int32)]) {
        symbols = spans.enumerated().map { index, span in
            Symbol(start: Int32(span.range.lowerBound), end: Int32(span.range.upperBound), id: span.id,
                   previous: Int32(index - 1), next: index + 1 < spans.count ? Int32(index + 1) : -1)
        }
        heap.reserveCapacity(symbols.count)
    }

    /// Runs the merges. `rule(left, right)` gives the priority and the resulting token of merging
    /// two adjacent symbols, or nil if they do not merge.
    mutating func run(_ rule: (Symbol, Symbol) -> (priority: Double, merged: Int32)?) {
        for index in symbols.indices.dropLast() { propose(Int32(index), Int32(index + 1), rule) }
        while let best = popBest() {
            let left = symbols[Int(best.left)], right = symbols[Int(best.right)]
            // Stale: one side was merged away or grew since this candidate was made.
            guard left.length > 0, right.length > 0, left.next == best.right, left.length + right.length == best.size
            else { continue }
            symbols[Int(best.left)].end = right.end
            symbols[Int(best.left)].id = best.merged
            symbols[Int(best.left)].next = right.next
            symbols[Int(best.right)].end = symbols[Int(best.right)].start  // length 0: gone
            if right.next >= 0 { symbols[Int(right.next)].previous = best.left }
            if left.previous >= 0 { propose(left.previous, best.left, rule) }
            if right.next >= 0 { propose(best.left, right.next, rule) }
        }
    }

    /// The remaining symbols, in order.
    var result: [Symbol] {
        var out: [Symbol] = []
        var index: Int32 = symbols.isEmpty ? -1 : 0
        while index >= 0 {
            out.append(symbols[Int(index)])
            index = symbols[Int(index)].next
        }
        return out
    }

    private mutating func propose(_ left: Int32, _ right: Int32, _ rule: (Symbol, Symbol) -> (priority: Double, merged: Int32)?) {
        let l = symbols[Int(left)], r = symbols[Int(right)]
        guard let merge = rule(l, r) else { return }
        push(Candidate(priority: merge.priority, left: left, right: right, size: l.length + r.length, merged: merge.merged))
    }

    private mutating func push(_ candidate: Candidate) {
        heap.append(candidate)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func popBest() -> Candidate? {
        guard let top = heap.first else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var best = parent
                if left < heap.count && heap[left].precedes(heap[best]) { best = left }
                if right < heap.count && heap[right].precedes(heap[best]) { best = right }
                if best == parent { break }
                heap.swapAt(parent, best)
                parent = best
            }
        }
        return top
    }
}
