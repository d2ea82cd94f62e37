// Records the collectives a real MPI run makes, through MPI's profiling interface (PMPI): an
// LD_PRELOAD library for Open MPI or MPICH. Each rank writes MPI_CALL_TRACE.RANK, one line per
// call: start and end (seconds since MPI_Init), the call, elements, bytes per element, the
// communicator's size, its role (world: the whole job; node: a communicator the program made
// with MPI_Comm_split_type(MPI_COMM_TYPE_SHARED), the ranks of this rank's node; cross: one it
// made with MPI_Comm_split holding the ranks of equal node rank, one per node; other), and the calling thread's CPU seconds at start and end (the local work
// between two calls as a core of its own would run it, where the run's ranks share cores).
// scripts/simulate/simulate.py turns the steady step out of it into the schedule that
// step_replay.c runs under SimGrid's SMPI.
//   mpicc -shared -fPIC -O2 -o libmpi_call_trace.so mpi_call_trace.c
//   MPI_CALL_TRACE=/tmp/trace LD_PRELOAD=$PWD/libmpi_call_trace.so mpirun -np 2 -x MPI_CALL_TRACE -x LD_PRELOAD ...
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static FILE *trace;
static double origin, cpu_origin;
static int world_size;
// This rank's node and the ranks of equal node rank, to name the role of a call's communicator.
static MPI_Comm node = MPI_COMM_NULL, cross = MPI_COMM_NULL;

static double seconds(clockid_t clock) {
  struct timespec t;
  clock_gettime(clock, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}
static double now(void) { return seconds(CLOCK_MONOTONIC); }
static double cpu_now(void) { return seconds(CLOCK_THREAD_CPUTIME_ID); }

// The program's node and cross communicators (a communicator of the whole job on one node is the
// node's too: the handle tells which the program meant).
enum { KNOWN = 64 };
static MPI_Comm nodes_made[KNOWN], crosses_made[KNOWN];

static void remember(MPI_Comm *table, MPI_Comm comm) {
  for (int i = 0; i < KNOWN; i++)
    if (table[i] == MPI_COMM_NULL) { table[i] = comm; return; }
}
static void forget(MPI_Comm *table, MPI_Comm comm) {
  for (int i = 0; i < KNOWN; i++)
    if (table[i] == comm) table[i] = MPI_COMM_NULL;
}
static int known(MPI_Comm *table, MPI_Comm comm) {
  for (int i = 0; i < KNOWN; i++)
    if (table[i] == comm) return 1;
  return 0;
}

static void open_trace(void) {
  const char *path = getenv("MPI_CALL_TRACE");
  if (!path || !*path) return;
  for (int i = 0; i < KNOWN; i++) nodes_made[i] = crosses_made[i] = MPI_COMM_NULL;
  int rank = 0, node_rank = 0, node_size = 0;
  PMPI_Comm_rank(MPI_COMM_WORLD, &rank);
  PMPI_Comm_size(MPI_COMM_WORLD, &world_size);
  PMPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node);
  PMPI_Comm_rank(node, &node_rank);
  PMPI_Comm_size(node, &node_size);
  PMPI_Comm_split(MPI_COMM_WORLD, node_rank, rank, &cross);
  char name[4096];
  snprintf(name, sizeof name, "%s.%d", path, rank);
  trace = fopen(name, "w");
  if (!trace) {
    fprintf(stderr, "mpi_call_trace: cannot write %s (MPI_CALL_TRACE): calls are not recorded\n", name);
    return;
  }
  origin = now();
  cpu_origin = cpu_now();
  fprintf(trace, "# ranks %d ranks_per_node %d\n", world_size, node_size);
  fprintf(trace, "# start end call elements bytes_per_element communicator_size role cpu_start cpu_end\n");
}

static int same_ranks(MPI_Comm a, MPI_Comm b) {
  int result = MPI_UNEQUAL;
  if (a == MPI_COMM_NULL || b == MPI_COMM_NULL) return 0;
  PMPI_Comm_compare(a, b, &result);
  return result == MPI_IDENT || result == MPI_CONGRUENT;
}

static const char *role(MPI_Comm comm, int size) {
  if (comm == MPI_COMM_NULL) return "none";
  if (known(nodes_made, comm)) return "node";
  if (known(crosses_made, comm)) return "cross";
  if (size == world_size) return "world";
  return "other";
}

// A call's line; `start` and `cpu_start` were read before the call.
static void record(const char *call, double start, double cpu_start, long elements, MPI_Datatype type, MPI_Comm comm) {
  if (!trace) return;
  double end = now(), cpu_end = cpu_now();
  int bytes = 0, size = 0;
  if (type != MPI_DATATYPE_NULL) PMPI_Type_size(type, &bytes);
  if (comm != MPI_COMM_NULL) PMPI_Comm_size(comm, &size);
  fprintf(trace, "%.9f %.9f %s %ld %d %d %s %.9f %.9f\n", start - origin, end - origin, call, elements, bytes, size,
          role(comm, size), cpu_start - cpu_origin, cpu_end - cpu_origin);
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
  if (node != MPI_COMM_NULL) PMPI_Comm_free(&node);
  if (cross != MPI_COMM_NULL) PMPI_Comm_free(&cross);
  return PMPI_Finalize();
}

int MPI_Comm_split_type(MPI_Comm comm, int split_type, int key, MPI_Info info, MPI_Comm *made) {
  int status = PMPI_Comm_split_type(comm, split_type, key, info, made);
  if (status == MPI_SUCCESS && split_type == MPI_COMM_TYPE_SHARED && *made != MPI_COMM_NULL) {
    int size = 0;
    PMPI_Comm_size(comm, &size);
    if (size == world_size) remember(nodes_made, *made);
  }
  return status;
}

int MPI_Comm_split(MPI_Comm comm, int color, int key, MPI_Comm *made) {
  int status = PMPI_Comm_split(comm, color, key, made);
  if (status == MPI_SUCCESS && *made != MPI_COMM_NULL && same_ranks(*made, cross)) remember(crosses_made, *made);
  return status;
}

int MPI_Comm_free(MPI_Comm *comm) {
  forget(nodes_made, *comm);
  forget(crosses_made, *comm);
  return PMPI_Comm_free(comm);
}

// Point to point: elements as bytes (the trainer sends rows of a derived datatype), the peer
// left out (the trainer's exchanges go to every other member of the communicator).
static void record_bytes(const char *name, double start, double cpu_start, int count, MPI_Datatype type, MPI_Comm comm) {
  int bytes = 0;
  PMPI_Type_size(type, &bytes);
  record(name, start, cpu_start, (long)count * bytes, MPI_BYTE, comm);
}

int MPI_Isend(const void *buffer, int count, MPI_Datatype type, int peer, int tag, MPI_Comm comm, MPI_Request *request) {
  double start = now(), cpu_start = cpu_now();
  int status = PMPI_Isend(buffer, count, type, peer, tag, comm, request);
  record_bytes("isend", start, cpu_start, count, type, comm);
  return status;
}

int MPI_Irecv(void *buffer, int count, MPI_Datatype type, int peer, int tag, MPI_Comm comm, MPI_Request *request) {
  double start = now(), cpu_start = cpu_now();
  int status = PMPI_Irecv(buffer, count, type, peer, tag, comm, request);
  record_bytes("irecv", start, cpu_start, count, type, comm);
  return status;
}

int MPI_Waitall(int count, MPI_Request *requests, MPI_Status *statuses) {
  double start = now(), cpu_start = cpu_now();
  int status = PMPI_Waitall(count, requests, statuses);
  record("waitall", start, cpu_start, count, MPI_DATATYPE_NULL, MPI_COMM_NULL);
  return status;
}

int MPI_Allreduce(const void *send, void *receive, int count, MPI_Datatype type, MPI_Op op, MPI_Comm comm) {
  double start = now(), cpu_start = cpu_now();
  int status = PMPI_Allreduce(send, receive, count, type, op, comm);
  record("allreduce", start, cpu_start, count, type, comm);
  return status;
}

int MPI_Iallreduce(const void *send, void *receive, int count, MPI_Datatype type, MPI_Op op, MPI_Comm comm,
                   MPI_Request *request) {
  double start = now(), cpu_start = cpu_now();
  int status = PMPI_Iallreduce(send, receive, count, type, op, comm, request);
  record("iallreduce", start, cpu_start, count, type, comm);
  return status;
}

int MPI_Wait(MPI_Request *request, MPI_Status *status) {
  double start = now(), cpu_start = cpu_now();
  int result = PMPI_Wait(request, status);
  record("wait", start, cpu_start, 0, MPI_DATATYPE_NULL, MPI_COMM_NULL);
  return result;
}

int MPI_Allgather(const void *send, int send_count, MPI_Datatype send_type, void *receive, int receive_count,
                  MPI_Datatype receive_type, MPI_Comm comm) {
  double start = now(), cpu_start = cpu_now();
  int status = PMPI_Allgather(send, send_count, send_type, receive, receive_count, receive_type, comm);
  record("allgather", start, cpu_start, receive_count, receive_type, comm);
  return status;
}

int MPI_Allgatherv(const void *send, int send_count, MPI_Datatype send_type, void *receive, const int *receive_counts,
                   const int *displacements, MPI_Datatype receive_type, MPI_Comm comm) {
  double start = now(), cpu_start = cpu_now();
  int status = PMPI_Allgatherv(send, send_count, send_type, receive, receive_counts, displacements, receive_type, comm);
  int size = 0;
  PMPI_Comm_size(comm, &size);
  long total = 0;
  for (int i = 0; i < size; i++) total += receive_counts[i];
  // Elements per rank on average: the replay gives every rank the same share.
  record("allgatherv", start, cpu_start, size ? total / size : 0, receive_type, comm);
  return status;
}

int MPI_Bcast(void *buffer, int count, MPI_Datatype type, int root, MPI_Comm comm) {
  double start = now(), cpu_start = cpu_now();
  int status = PMPI_Bcast(buffer, count, type, root, comm);
  record("bcast", start, cpu_start, count, type, comm);
  return status;
}

int MPI_Barrier(MPI_Comm comm) {
  double start = now(), cpu_start = cpu_now();
  int status = PMPI_Barrier(comm);
  record("barrier", start, cpu_start, 0, MPI_DATATYPE_NULL, comm);
  return status;
}
