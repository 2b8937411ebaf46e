import ArgumentParser
import Foundation
#if os(Linux)
    import CMalloc
#endif
import Tensors

@main
struct CLITool: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clip-tui",
        abstract: "Prompt engineering with CLIP, in the terminal.",
        version: CLITool.version,
        subcommands: [
            SessionCommand.self, TokenizeCommand.self, EncodeCommand.self, EmbedCommand.self, EvalCommand.self, CompareCommand.self,
            SelectCommand.self, ExportCommand.self, CacheCommand.self, FetchModelCommand.self, BenchCommand.self
        ])

    /// What `--version` prints.
    static let version = "0.21.0"

    static func main() async {
        useTheCPUsKernels()
        keepFreedBlocks()
        await main(nil)
    }

    /// The live engine makes and drops the same few 4 MB matrices at every key (1,000
    /// images × 1,000 classes: the cosines, a template's products). glibc gives blocks that
    /// large back to the kernel when they are freed (by default anything above 128 KB is
    /// its own mapping), so the next key writes to fresh pages: the cosines' product took
    /// 5.1 ms instead of 3.7 ms, and in some processes 17–24 ms (this VM's host reclaims
    /// freed pages). Blocks up to 32 MB (glibc's most) stay in the heap for reuse, and the
    /// heap is given back only once 256 MB of it is free.
    private static func keepFreedBlocks() {
        #if os(Linux)
            _ = mallopt(M_MMAP_THRESHOLD, 32 << 20)
            _ = mallopt(M_TRIM_THRESHOLD, 256 << 20)
        #endif
    }

    /// Starts this process again with `OPENBLAS_CORETYPE` naming the kernels this CPU runs
    /// when OpenBLAS fell back to old ones (`BLASKernels`): it chooses when it loads, before
    /// any code here runs, so the variable takes effect only in a new process. Not when the
    /// variable is set already (the user's choice, or this restart's), and a failed `execv`
    /// goes on with the kernels loaded.
    private static func useTheCPUsKernels() {
        #if os(Linux)
            guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil,
                let core = BLASKernels.replacement(loaded: BLASKernels.loaded, forThisCPU: BLASKernels.forThisCPU)
            else { return }
            // The binary's own path, not /proc/self/exe: the process keeps its name
            // ("clip-tui", for ps and pkill), which is the name of the file executed.
            guard let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return }
            setenv("OPENBLAS_CORETYPE", core, 1)
            execv(path, CommandLine.unsafeArgv)
        #endif
    }
}

/// Runs a command body; a library error becomes its message on stderr and exit code 1.
func reportingErrors(_ body: () throws -> Void) throws {
    defer { CacheHealth.report() }
    do { try body() } catch { throw reported(error) }
}

/// `reportingErrors` for a command that awaits (downloads).
func reportingErrors(_ body: () async throws -> Void) async throws {
    defer { CacheHealth.report() }
    do { try await body() } catch { throw reported(error) }
}

/// An error said on stderr, as the exit code that ends the command.
private func reported(_ error: Error) -> Error {
    if error is ExitCode { return error }
    FileHandle.standardError.write(Data("clip-tui: error: \(error)\n".utf8))
    return ExitCode.failure
}

/// Writes one JSON value to stdout.
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
    var data = try encoder.encode(value)
    data.append(0x0A)
    FileHandle.standardOutput.write(data)
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case json
}
