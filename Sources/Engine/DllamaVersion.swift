import Transport

/// The release of the libraries and executables, and the wire protocol they speak
/// (`dllama --version`, `dllama-worker --version`).
public enum DllamaVersion {
    public static let release = "0.1.0"
    public static var description: String { "\(release) (wire protocol \(Handshake.protocolVersion))" }
}
