// swift-tools-version:6.0
import PackageDescription

// Dependencies point one way: Emu <- Devices <- Hypervisor <- Machine <- hvsim (docs/architecture.md, "Modules").
let package = Package(
    name: "hvsim",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "hvsim", targets: ["hvsim"]),
        .library(name: "Machine", targets: ["Machine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CCapstone", pkgConfig: "capstone",
                       providers: [.apt(["libcapstone-dev"])]),
        .target(name: "Emu", dependencies: ["CCapstone"]),
        .target(name: "Devices", dependencies: ["Emu"]),
        .target(name: "Hypervisor", dependencies: ["Emu", "Devices"]),
        .target(name: "Machine", dependencies: ["Emu", "Devices", "Hypervisor"]),
        .executableTarget(name: "hvsim", dependencies: [
            "Machine", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // Fuzzing: the targets (one per input surface) and their libFuzzer driver (`make fuzz`).
        .target(name: "FuzzTargets", dependencies: ["Emu", "Devices", "Hypervisor", "Machine"]),
        .target(name: "CFuzzDriver"),
        .executableTarget(name: "hvsim-fuzz", dependencies: ["FuzzTargets", "CFuzzDriver"]),
        .testTarget(name: "EmuTests", dependencies: ["Emu"]),
        .testTarget(name: "DevicesTests", dependencies: ["Devices", "Emu"]),
        .testTarget(name: "HypervisorTests", dependencies: ["Hypervisor", "Emu", "Devices"]),
        .testTarget(name: "MachineTests", dependencies: ["Machine", "Emu", "Devices"]),
        .testTarget(name: "DiffTests", dependencies: ["Machine", "Emu"]),
        .testTarget(name: "FuzzTests", dependencies: ["FuzzTargets"]),
    ],
    swiftLanguageModes: [.v5]
)
