import ModelFormat

/// What a node declares about itself: RAM available to dllama and relative speed.
public struct NodeCapacity: Codable, Sendable, Equatable {
    /// Bytes of RAM the node may use; nil when not declared (assumed enough).
    public var ramBytes: Int?
    /// Relative compute speed (1 = reference); shares grow with it.
    public var speed: Double

    public init(ramBytes: Int? = nil, speed: Double = 1) {
        self.ramBytes = ramBytes
        self.speed = speed
    }

    /// Capacities for `nodes` nodes from the `--ram 4G,8G` and `--speed 1,2` option values (each
    /// may be empty, one value for all, or one value per node).
    public static func parse(ram: String?, speed: String?, nodes: Int) throws -> [NodeCapacity] {
        func list(_ text: String?, _ option: String) throws -> [String]? {
            guard let text, !text.isEmpty else { return nil }
            let items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            if items.count == 1 { return Array(repeating: items[0], count: nodes) }
            guard items.count == nodes else { throw PlanError.capacityCount(option: option, given: items.count, nodes: nodes) }
            return items
        }
        let rams = try list(ram, "--ram")?.map { item -> Int in
            guard let bytes = parseByteSize(item), bytes > 0 else { throw PlanError.invalidCapacity(option: "--ram", value: item) }
            return bytes
        }
        let speeds = try list(speed, "--speed")?.map { item -> Double in
            guard let s = Double(item), s > 0, s.isFinite else { throw PlanError.invalidCapacity(option: "--speed", value: item) }
            return s
        }
        return (0..<nodes).map { NodeCapacity(ramBytes: rams?[$0], speed: speeds?[$0] ?? 1) }
    }

    /// Speeds weighted by RAM, when every node declared it (nil otherwise): the split a plan
    /// falls back to when shares by speed leave a node short of RAM.
    static func ramWeights(_ capacities: [NodeCapacity]) -> [Double]? {
        let rams = capacities.compactMap(\.ramBytes)
        guard rams.count == capacities.count, let largest = rams.max() else { return nil }
        return capacities.map { $0.speed * Double($0.ramBytes!) / Double(largest) }
    }
}

import Foundation
