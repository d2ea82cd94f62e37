import CMPI

/// A Swift scalar type with a matching predefined MPI datatype.
public protocol MPIScalar: Numeric {
    /// The MPI datatype of one element.
    static var mpiDatatype: MPI_Datatype { get }
    /// `self / count`, for `ReductionOperation.average`.
    func divided(by count: Int) -> Self
}

extension Float: MPIScalar {
    public static var mpiDatatype: MPI_Datatype { cmpi_float() }
    public func divided(by count: Int) -> Float { self / Float(count) }
}

extension Double: MPIScalar {
    public static var mpiDatatype: MPI_Datatype { cmpi_double() }
    public func divided(by count: Int) -> Double { self / Double(count) }
}

extension Int32: MPIScalar {
    public static var mpiDatatype: MPI_Datatype { cmpi_int() }
    public func divided(by count: Int) -> Int32 { self / Int32(count) }
}

extension Int64: MPIScalar {
    public static var mpiDatatype: MPI_Datatype { cmpi_int64() }
    public func divided(by count: Int) -> Int64 { self / Int64(count) }
}
