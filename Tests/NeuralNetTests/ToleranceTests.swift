import Testing
import TestSupport

/// The error helpers the numeric tests rely on fail on what a plain maximum would let pass.
@Suite struct ToleranceTests {
    @Test func aNaNAnywhereIsNotAPass() {
        #expect(largestPropagatingNaN([1, Float.nan, 2]).isNaN)
        #expect(largestPropagatingNaN([Float.nan]).isNaN)
        #expect(!(worstRelativeError([1, .nan], [1, 1] as [Float]) < 1))
        #expect(!(worstRelativeError([1, 1], [1, .infinity] as [Float]) < 1))
    }

    @Test func nothingToCompareOrMismatchedLengthsAreNotAPass() {
        #expect(largestPropagatingNaN([Double]()) == .infinity)
        #expect(worstRelativeError([Float](), []) == .infinity)
        #expect(worstRelativeError([1, 2], [1] as [Float]) == .infinity)
    }

    @Test func agreeingValuesPass() {
        #expect(worstRelativeError([1, 2.0001], [1, 2] as [Float]) < 1e-4)
        #expect(largestPropagatingNaN([3, 1, 2] as [Double]) == 3)
    }
}
