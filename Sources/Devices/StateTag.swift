import Emu

// Each device's snapshot state starts with a tag naming the device and the layout version, so
// that state restored into the wrong device, or written by an older layout, is refused clearly.
extension StateWriter {
    mutating func tag(_ name: String) { string(name) }
}

extension StateReader {
    mutating func expectTag(_ name: String) throws {
        let found = try string()
        guard found == name else {
            throw StateError("snapshot holds \"\(found)\" state where \"\(name)\" was expected")
        }
    }
}
