// Records the collectives a real MPI run makes, through MPI's profiling interface (PMPI): an
// LD_PRELOAD library for Open MPI or MPICH. Each rank writes MPI_CALL_TRACE.RANK, one line per
// call: start and end (seconds since MPI_Init), the call, elements, bytes per element, the
// communicator's size. scripts/simulate/simulate.py turns the steady step out of it into the
// schedule that step_replay.c runs under SimGrid's SMPI.
//   mpicc -shared -fPIC -O2 -o libmpi_call_trace.so mpi_call_trace.c
//   MPI_CALL_TRACE=/tmp/trace LD_PRELOAD=$PWD/libmpi_call_trace.so mpirun -np 2 -x MPI_CALL_TRACE -x LD_PRELOAD ...
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static FILE *trace;
static double origin;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void open_trace(void) {
  const char *path = getenv("MPI_CALL_TRACE");
  if (!path || !*path) return;
  int rank = 0;
  PMPI_Comm_rank(MPI_COMM_WORLD, &rank);
  char name[4096];
  snprintf(name, sizeof name, "%s.%d", path, rank);
  trace = fopen(name, "w");
  if (!trace) {
    fprintf(stderr, "mpi_call_trace: cannot write %s (MPI_CALL_TRACE): calls are not recorded\n", name);
    return;
  }
  origin = now();
  fprintf(trace, "# start end call elements bytes_per_element communicator_size\n");
}

static void record(const char *call, double start, long elements, MPI_Datatype type, MPI_Comm comm) {
  if (!trace) return;
  int bytes = 0, size = 0;
  if (type != MPI_DATATYPE_NULL) PMPI_Type_size(type, &bytes);
  if (comm != MPI_COMM_NULL) PMPI_Comm_size(comm, &size);
  fprintf(trace, "%.9f %.9f %s %ld %d %d\n", start - origin, now() - origin, call, elements, bytes, size);
}

int MPI_Init(int *argc, char ***argv) {
  int status = PMPI_Init(argc, argv);
  open_trace();
  return status;
}

int MPI_Init_thread(int *argc, char ***argv, int required, int *provided) {
  int status = PMPI_Init_thread(argc, argv, required, provided);
  open_trace();
  return status;
}

int MPI_Finalize(void) {
  if (trace) {
    fclose(trace);
    trace = NULL;
  }
  return PMPI_Finalize();
}

int MPI_Allreduce(const void *send, void *receive, int count, MPI_Datatype type, MPI_Op op, MPI_Comm comm) {
  double start = now();
  int status = PMPI_Allreduce(send, receive, count, type, op, comm);
  record("allreduce", start, count, type, comm);
  return status;
}

int MPI_Iallreduce(const void *send, void *receive, int count, MPI_Datatype type, MPI_Op op, MPI_Comm comm,
                   MPI_Request *request) {
  double start = now();
  int status = PMPI_Iallreduce(send, receive, count, type, op, comm, request);
  record("iallreduce", start, count, type, comm);
  return status;
}

int MPI_Wait(MPI_Request *request, MPI_Status *status) {
  double start = now();
  int result = PMPI_Wait(request, status);
  record("wait", start, 0, MPI_DATATYPE_NULL, MPI_COMM_NULL);
  return result;
}

int MPI_Allgather(const void *send, int send_count, MPI_Datatype send_type, void *receive, int receive_count,
                  MPI_Datatype receive_type, MPI_Comm comm) {
  double start = now();
  int status = PMPI_Allgather(send, send_count, send_type, receive, receive_count, receive_type, comm);
  record("allgather", start, receive_count, receive_type, comm);
  return status;
}

int MPI_Allgatherv(const void *send, int send_count, MPI_Datatype send_type, void *receive, const int *receive_counts,
                   const int *displacements, MPI_Datatype receive_type, MPI_Comm comm) {
  double start = now();
  int status = PMPI_Allgatherv(send, send_count, send_type, receive, receive_counts, displacements, receive_type, comm);
  int size = 0;
  PMPI_Comm_size(comm, &size);
  long total = 0;
  for (int i = 0; i < size; i++) total += receive_counts[i];
  // Elements per rank on average: the replay gives every rank the same share.
  record("allgatherv", start, size ? total / size : 0, receive_type, comm);
  return status;
}

int MPI_Bcast(void *buffer, int count, MPI_Datatype type, int root, MPI_Comm comm) {
  double start = now();
  int status = PMPI_Bcast(buffer, count, type, root, comm);
  record("bcast", start, count, type, comm);
  return status;
}

int MPI_Barrier(MPI_Comm comm) {
  double start = now();
  int status = PMPI_Barrier(comm);
  record("barrier", start, 0, MPI_DATATYPE_NULL, comm);
  return status;
}
