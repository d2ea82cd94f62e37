import CMPI

// MPI's handles are opaque by the standard, and the two families implement them differently:
// Open MPI's are pointers to structs (Swift sees optional OpaquePointers), MPICH's (and Intel
// MPI's, Cray MPICH's, MVAPICH's) are C ints. These aliases name the storage a variable of each
// kind needs, so the code that creates and frees handles reads the same for both; the package
// defines MPICH when built with MPI=mpich.
#if MPICH
typealias CommHandle = MPI_Comm
typealias WindowHandle = MPI_Win
typealias RequestHandle = MPI_Request
typealias DatatypeHandle = MPI_Datatype
#else
typealias CommHandle = MPI_Comm?
typealias WindowHandle = MPI_Win?
typealias RequestHandle = MPI_Request?
typealias DatatypeHandle = MPI_Datatype?
#endif
