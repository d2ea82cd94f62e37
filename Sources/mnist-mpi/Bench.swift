import ArgumentParser
import Diagnostics
import NeuralNet
import Foundation
import SwiftMPI
import RunOutput
import Training

/// `mnist-mpi bench floor|allreduce`: the measurements scripts/bench.sh and
/// scripts/scaling.sh combine. Each prints one JSON object on rank 0's stdout.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Micro-benchmarks: the sgemm compute floor, allreduce timings, the compute of gradient compression.",
        subcommands: [Floor.self, AllReduce.self, Compression.self])

    struct Compression: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "compression",
            abstract: "Time the compute each --compression adds to a step (encode and decode, no transfer), one thread (no MPI).")

        @Option(help: "Hidden layer widths.") var hidden: String = "256,256"
        @Option(help: "PowerSGD's rank.") var powersgdRank: Int = 4
        @Option(help: "Steps per timed round.") var steps: Int = 200
        @Option(name: .customLong("repeat"), help: "Rounds; the median is reported.") var repeats: Int = 5

        func validate() throws {
            guard steps >= 1, repeats >= 1, powersgdRank >= 1 else {
                throw ValidationError("--steps, --repeat and --powersgd-rank must be at least 1")
            }
        }

        func run() throws {
            let sizes = [784] + (try ModelOptions.parseWidths(hidden)) + [10]
            let result = CompressionCost.measure(sizes: sizes, rank: powersgdRank, steps: steps, repeats: repeats)
            print(try jsonLine([
                "seconds_per_step": result.secondsPerStep, "powersgd_rank": result.powerSGDRank, "steps": result.steps,
            ]))
        }
    }

    struct Floor: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "floor",
            abstract: "Time only the matrix products of one epoch's forward and backward, one thread (no MPI).",
            discussion: """
                With a --model of convolutions or pooling: oneDNN's own convolution, pooling and \
                matmul primitives (bias and activation fused, float32), the floor the trainer's \
                compute per epoch is measured against (scripts/bench-cnn.sh).
                """)

        @Option(help: "Hidden layer widths.") var hidden: String = "256,256"
        @Option(help: "mlp (the --hidden widths), lenet5, or a list of layers such as conv3x3x32p1,pool2,fc128,fc10.")
        var model: String = "mlp"
        @Option(help: "The activation fused into the primitives of a --model with convolutions.")
        var activation: Activation = .relu
        @Option(help: "Batch size.") var batchSize: Int = 100
        @Option(help: "Batches per epoch.") var steps: Int = 600
        @Option(name: .customLong("repeat"), help: "Epochs timed; the median is reported.")
        var repeats: Int = 5
        @Option(help: "Kernels: openblas or onednn (auto: oneDNN where it loads). Default: openblas; oneDNN with a --model of convolutions.")
        var kernels: KernelChoice?
        @Option(help: "fp32 or bf16 (oneDNN only).") var precision: Precision = .fp32

        func validate() throws {
            guard batchSize >= 1, steps >= 1, repeats >= 1 else {
                throw ValidationError("--batch-size, --steps and --repeat must be at least 1")
            }
        }

        func run() throws {
            let layers: [LayerSpec]?
            do { layers = try NamedModel.layers(named: model) } catch { throw ValidationError("--model \(model): \(error.message)") }
            if let layers {
                try runPrimitives(layers: layers)
                return
            }
            let sizes = [784] + (try ModelOptions.parseWidths(hidden)) + [10]
            let chosen = try ComputeKernels.resolve(library: (kernels ?? .openblas).library, precision: precision)
            let result = try ComputeFloor.measure(
                sizes: sizes, batchSize: batchSize, steps: steps, repeats: repeats, kernels: chosen)
            print(try jsonLine([
                "floor_seconds": result.medianSeconds, "floor_runs": result.seconds,
                "gflop_per_epoch": result.flops / 1e9, "gflops_per_second": result.gflopsPerSecond,
                "kernels": chosen.library.rawValue, "precision": chosen.precision.rawValue,
                "implementations": result.implementations,
                "openblas_core": BLASCoreSelection.activeCoreDescription,
                "products": result.products.map { ["name": $0.name, "m": $0.m, "n": $0.n, "k": $0.k, "seconds": $0.seconds] as [String: Any] },
            ]))
        }

        /// The floor of a model on images: oneDNN's primitives (`PrimitiveFloor`).
        private func runPrimitives(layers: [LayerSpec]) throws {
            guard kernels != .openblas, precision == .fp32 else {
                throw ValidationError("--model \(model): the floor of convolutions is oneDNN's float32 primitives; drop --kernels openblas and --precision bf16")
            }
            let layout: NetworkLayout
            do { layout = try NetworkLayout(input: DataParallelTrainer.imageShape, layers: layers) } catch {
                throw ValidationError("--model \(model): \(error.message) (on \(DataParallelTrainer.imageShape) images)")
            }
            let result = try PrimitiveFloor.measure(
                layout: layout, activation: activation, batchSize: batchSize, steps: steps, repeats: repeats)
            print(try jsonLine([
                "floor_seconds": result.medianSeconds, "floor_runs": result.seconds,
                "gflop_per_epoch": result.flops / 1e9, "gflops_per_second": result.gflopsPerSecond,
                "kernels": "onednn", "precision": "fp32", "model": NamedModel.name(of: layers),
                "activation": activation.rawValue, "implementations": result.implementations,
                "products": result.products.map { ["name": $0.name, "m": $0.m, "n": $0.n, "k": $0.k, "seconds": $0.seconds] as [String: Any] },
            ]))
        }
    }

    struct AllReduce: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "allreduce",
            abstract: "Under mpirun: the Swift allreduce against a raw C MPI_Allreduce loop, and a size sweep.")

        @Option(help: "Floats per allreduce (default: the seed model's gradients and control values).")
        var elements: Int = 269_325
        @Option(help: "Calls per timed round.") var iterations: Int = 200
        @Option(help: "Alternating rounds; medians are reported.") var rounds: Int = 7
        @Flag(help: "Also time sizes from 4 B to 4 MiB (factors of 4).") var sweep = false

        func validate() throws {
            guard elements >= 1, iterations >= 1, rounds >= 1 else {
                throw ValidationError("--elements, --iterations and --rounds must be at least 1")
            }
        }

        func run() throws {
            MPIRuntime.runJob(report: { Logger.error($0) }) { communicator in
                let comparison = try AllReduceBenchmark.compare(
                    on: communicator, elements: elements, iterations: iterations, rounds: rounds)
                let points = sweep ? try AllReduceBenchmark.sweep(on: communicator) : []
                guard communicator.isRoot else { return }
                var object: [String: Any] = [
                    "ranks": communicator.size, "elements": elements,
                    "raw_c_seconds": comparison.rawMedian, "swift_seconds": comparison.swiftMedian,
                    "swift_over_raw": comparison.swiftMedian / comparison.rawMedian,
                    "raw_c_runs": comparison.rawSeconds, "swift_runs": comparison.swiftSeconds,
                ]
                if sweep { object["sweep"] = points.map { ["bytes": $0.bytes, "seconds": $0.seconds] } }
                print(try jsonLine(object))
            }
        }
    }
}

/// One JSON object on one line, keys sorted.
func jsonLine(_ object: [String: Any]) throws -> String {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    return String(decoding: data, as: UTF8.self)
}
