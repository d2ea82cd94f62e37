// CMPI: the MPI C API for Swift, from Open MPI or MPICH (whichever pkg-config named).
//
// Both define their predefined handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, ...) as macros:
// Open MPI's expand to the addresses of global structs, MPICH's to casts of integer constants;
// Swift imports neither. Each static inline function below is a one-line forward to one of
// them, so Swift can name it whatever the implementation.
#ifndef CMPI_SHIM_H
#define CMPI_SHIM_H

#include <mpi.h>

// Communicators and error handlers.
static inline MPI_Comm cmpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Comm cmpi_comm_null(void) { return MPI_COMM_NULL; }
static inline MPI_Win cmpi_win_null(void) { return MPI_WIN_NULL; }
static inline MPI_Errhandler cmpi_errors_return(void) { return MPI_ERRORS_RETURN; }

// Datatypes.
static inline MPI_Datatype cmpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype cmpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype cmpi_int(void) { return MPI_INT; }
static inline MPI_Datatype cmpi_int64(void) { return MPI_INT64_T; }

// Reduction operations.
static inline MPI_Op cmpi_op_sum(void) { return MPI_SUM; }
static inline MPI_Op cmpi_op_max(void) { return MPI_MAX; }
static inline MPI_Op cmpi_op_min(void) { return MPI_MIN; }
static inline MPI_Op cmpi_op_null(void) { return MPI_OP_NULL; }

// Sentinels.
static inline void *cmpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Status *cmpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline MPI_Status *cmpi_statuses_ignore(void) { return MPI_STATUSES_IGNORE; }
static inline MPI_Request cmpi_request_null(void) { return MPI_REQUEST_NULL; }

// Shared-memory windows.
static inline int cmpi_comm_type_shared(void) { return MPI_COMM_TYPE_SHARED; }
static inline MPI_Info cmpi_info_null(void) { return MPI_INFO_NULL; }
static inline int cmpi_mode_nocheck(void) { return MPI_MODE_NOCHECK; }

// Error classes (their numbers differ between implementations).
static inline int cmpi_err_buffer(void) { return MPI_ERR_BUFFER; }
static inline int cmpi_err_count(void) { return MPI_ERR_COUNT; }
static inline int cmpi_err_type(void) { return MPI_ERR_TYPE; }
static inline int cmpi_err_comm(void) { return MPI_ERR_COMM; }
static inline int cmpi_err_rank(void) { return MPI_ERR_RANK; }
static inline int cmpi_err_root(void) { return MPI_ERR_ROOT; }
static inline int cmpi_err_op(void) { return MPI_ERR_OP; }
static inline int cmpi_err_arg(void) { return MPI_ERR_ARG; }
static inline int cmpi_err_truncate(void) { return MPI_ERR_TRUNCATE; }
static inline int cmpi_err_win(void) { return MPI_ERR_WIN; }
static inline int cmpi_err_no_mem(void) { return MPI_ERR_NO_MEM; }
static inline int cmpi_err_intern(void) { return MPI_ERR_INTERN; }
static inline int cmpi_err_other(void) { return MPI_ERR_OTHER; }

// Constants that are macros.
static inline int cmpi_success(void) { return MPI_SUCCESS; }
static inline int cmpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }
static inline int cmpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
static inline int cmpi_max_library_version_string(void) { return MPI_MAX_LIBRARY_VERSION_STRING; }

#endif
