import Foundation

/// A parsed JSON document (config.json, tokenizer.json, a safetensors header), with typed
/// accessors that say which key was wrong instead of trapping.
struct JSONValue {
    let raw: Any?

    init(_ raw: Any?) { self.raw = raw }

    /// Parses `data`; `path` names the file in the error.
    static func parse(_ data: Data, path: String, what: String) throws -> JSONValue {
        do {
            return JSONValue(try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]))
        } catch {
            throw ConverterError.notAnInput(path: path, reason: "\(what) is not valid JSON: \(error.localizedDescription)")
        }
    }

    /// Reads and parses the JSON file at `path`.
    static func read(path: String, what: String) throws -> JSONValue {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConverterError.notAnInput(path: path, reason: "\(what) cannot be read")
        }
        return try parse(data, path: path, what: what)
    }

    subscript(key: String) -> JSONValue { JSONValue((raw as? [String: Any])?[key]) }

    var isNull: Bool { raw == nil || raw is NSNull }
    var object: [String: Any]? { raw as? [String: Any] }
    var array: [JSONValue]? { (raw as? [Any])?.map(JSONValue.init) }
    var string: String? { raw as? String }

    /// An integral number (JSON `4096` or `4096.0`), nil for anything else, booleans included.
    var int: Int? {
        guard let number = raw as? NSNumber, !isBoolean(number) else { return nil }
        let value = number.doubleValue
        guard value.rounded() == value, abs(value) < 9.0e15 else { return nil }
        return Int(value)
    }

    var double: Double? {
        guard let number = raw as? NSNumber, !isBoolean(number) else { return nil }
        return number.doubleValue
    }

    var bool: Bool? {
        guard let number = raw as? NSNumber, isBoolean(number) else { return nil }
        return number.boolValue
    }

    /// JSON `true` / `false` arrive as NSNumbers of type `c` (char); JSON numbers never do.
    private func isBoolean(_ number: NSNumber) -> Bool {
        String(cString: number.objCType) == "c"
    }
}
