/// The test set's confusion matrix, summed over ranks, and what follows from it.
public struct TestResult: Codable, Sendable, Equatable {
    public let classCount: Int
    /// `[classCount × classCount]`: row = true class, column = predicted class.
    public let confusion: [Int64]

    public init(classCount: Int, confusion: [Int64]) {
        precondition(confusion.count == classCount * classCount, "confusion matrix size")
        self.classCount = classCount
        self.confusion = confusion
    }

    /// Examples evaluated.
    public var total: Int64 { confusion.reduce(0, +) }
    /// Examples classified correctly (the diagonal).
    public var correct: Int64 { (0..<classCount).reduce(0) { $0 + confusion[$1 * classCount + $1] } }
    /// correct / total, 0...1.
    public var accuracy: Double { total == 0 ? 0 : Double(correct) / Double(total) }

    /// Per true class: the fraction classified correctly (recall).
    public var perClassAccuracy: [Double] {
        (0..<classCount).map { row in
            let count = confusion[(row * classCount)..<((row + 1) * classCount)].reduce(0, +)
            return count == 0 ? 0 : Double(confusion[row * classCount + row]) / Double(count)
        }
    }

    /// The matrix and per-class accuracy as text lines for the log.
    public func tableLines(classNames: [String]) -> [String] {
        let width = max(7, (classNames.map(\.count).max() ?? 0) + 1)
        func pad(_ text: String) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
        var lines = ["confusion matrix (rows: true class, columns: predicted class)"]
        lines.append(pad("") + classNames.map(pad).joined() + pad("acc"))
        for row in 0..<classCount {
            let counts = (0..<classCount).map { pad(String(confusion[row * classCount + $0])) }
            let accuracy = pad(String(format: "%.1f%%", perClassAccuracy[row] * 100))
            lines.append(pad(classNames[row]) + counts.joined() + accuracy)
        }
        return lines
    }
}

import Foundation
