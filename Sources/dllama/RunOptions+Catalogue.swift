import Foundation
import ModelCatalogue

extension RunOptions {
    /// `--model NAME` for a catalogue model: the paths of its pulled files (the `.t` beside a `.m`
    /// unless `--tokenizer` is given). A path is left as it is. Throws, saying `dllama pull NAME`,
    /// when the model is not in the cache.
    mutating func resolveCatalogueModel() throws {
        let resolved = try ModelCache.chosen(cache).resolve(model, catalogue: try Catalogue.standard(), cacheOption: cache)
        guard resolved.entry != nil else { return }
        model = resolved.modelPath
        if tokenizer == nil { tokenizer = resolved.tokenizerPath }
    }

    /// The catalogue name of the model, when it is a pulled catalogue model (after `resolveCatalogueModel`).
    var catalogueName: String? {
        ModelCache.chosen(cache).entryName(containing: model, catalogue: try? Catalogue.standard())
    }
}
