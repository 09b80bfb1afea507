import Foundation
import Testing
import FuzzTargets

/// Every committed fuzz input (Tests/FuzzCorpus/<target>/: seeds, and each input that once
/// crashed hvsim, kept as a regression) runs through its target in the ordinary test
/// binary: none may crash, trap or hang.
@Suite struct FuzzCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("FuzzCorpus")

    static func inputs(_ t: FuzzTarget) -> [URL] {
        let dir = corpus.appendingPathComponent(t.rawValue)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.sorted().map { dir.appendingPathComponent($0) }
    }

    @Test(arguments: FuzzTarget.allCases)
    func committedInputsRun(target: FuzzTarget) throws {
        let files = Self.inputs(target)
        #expect(!files.isEmpty, "no inputs in Tests/FuzzCorpus/\(target.rawValue)")
        for f in files { target.run(Array(try Data(contentsOf: f))) }
    }

    /// The corpus directories are the targets, no more.
    @Test func everyCorpusDirectoryIsATarget() throws {
        let dirs = try FileManager.default.contentsOfDirectory(atPath: Self.corpus.path).filter { !$0.hasPrefix(".") }
        #expect(Set(dirs) == Set(FuzzTarget.allCases.map(\.rawValue)))
    }
}
