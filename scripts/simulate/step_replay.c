// Replays the trainer's step under SimGrid's SMPI: the schedule simulate.py took from a real
// run's recorded calls (mpi_call_trace.c): per event, the local time before it (compute and the
// optimizer, measured on the real CPU; simulated here with smpi_execute) and the collective with
// its element count, size and communicator: the whole job, this rank's node (the ranks the
// platform puts on its host, MPI_Comm_split_type), or the ranks of equal node rank (one a node).
// A call across nodes was recorded on the schedule's nodes of ranks_per_node ranks, and its size
// follows how the trainer's reducers cut their buffers, for N nodes of C ranks:
// - allreduce: the shared-memory reducer's chunk, 1/C of the buffer: scaled by ranks_per_node / C;
// - allgather(v): the deterministic reducer's part of a rank's slice, 1/(C N) of a row: scaled by
//   (ranks_per_node nodes) / (C N);
// - exchange (the deterministic reducer's rows of each other node's part, recorded as isend,
//   irecv, waitall and merged by simulate.py): bytes to each other member, blocks x row / N:
//   scaled by nodes / N, sent to and received from every other member.
// STEP_REPLAY_MACHINE_CORES=C: the simulated ranks are a validation run's, which shared C cores
// of one machine (namespace hosts): rank r's local work takes as many times its recorded CPU time
// as ranks share its core r mod C (the kernel keeps a rank on a core for many steps, so in a step
// the ranks that share a core run at half speed while a rank alone runs at full; 3 ranks on 2
// cores take twice, not 1.5 times, their work). Every rank runs the same schedule (weak scaling: the per-rank
// batch and so the per-rank compute stay the same at any rank count), or its own SCHEDULE.RANK
// where that file exists (a validation run's ranks, recorded one by one). Rank 0 prints the
// simulated seconds a step, the mean over the timed steps after one warm-up step.
// A nonblocking sum (MPI_Iallreduce) runs at the first wait after it, as a blocking sum in call
// order with the others called before that wait: Open MPI's nonblocking collectives (libnbc, no
// progress thread) move only while the rank is inside an MPI call, and the trainer makes none
// between its per-layer sums and their waits. STEP_REPLAY_ASYNC_PROGRESS=1 starts each where it
// was called instead (a network that progresses on its own: RDMA offload, a progress thread),
// the bound --overlap aims for; SMPI's nonblocking allreduce is linear (every rank's vector
// through rank 0), so that mode is pessimistic and slow to simulate past a few dozen ranks.
//   smpicc -O2 -o step_replay step_replay.c
//   smpirun -np 64 -platform P.xml -hostfile H --cfg=smpi/coll-selector:ompi ./step_replay SCHEDULE STEPS
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum call { ALLREDUCE, IALLREDUCE, WAIT, ALLGATHER, ALLGATHERV, BCAST, BARRIER, EXCHANGE };

enum role { WORLD, NODE, CROSS };

struct event {
  double before;  // seconds of local work before the call
  enum call call;
  long elements;
  int bytes;
  enum role role;
};

static MPI_Datatype type_of(int bytes) {
  switch (bytes) {
  case 2: return MPI_SHORT;
  case 8: return MPI_DOUBLE;
  case 1: return MPI_CHAR;
  default: return MPI_FLOAT;
  }
}

static int parse(const char *name, enum call *call) {
  static const char *names[] = {"allreduce", "iallreduce", "wait", "allgather", "allgatherv", "bcast", "barrier", "exchange"};
  for (int i = 0; i < 8; i++)
    if (strcmp(name, names[i]) == 0) { *call = (enum call)i; return 0; }
  return -1;
}

static int parse_role(const char *name, enum role *role) {
  if (name[0] == '\0' || strcmp(name, "world") == 0 || strcmp(name, "none") == 0) { *role = WORLD; return 0; }
  if (strcmp(name, "node") == 0) { *role = NODE; return 0; }
  if (strcmp(name, "cross") == 0) { *role = CROSS; return 0; }
  return -1;
}

// Runs the nonblocking sums called since the last wait, in call order, as blocking sums; returns
// the number left waiting (none).
static int run_deferred(const long *counts, const MPI_Datatype *types, int waiting, char *send, char *receive) {
  for (int d = 0; d < waiting; d++) MPI_Allreduce(send, receive, (int)counts[d], types[d], MPI_SUM, MPI_COMM_WORLD);
  return 0;
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (argc < 3) {
    if (rank == 0) fprintf(stderr, "usage: step_replay SCHEDULE STEPS\n");
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  char own[4096];
  snprintf(own, sizeof own, "%s.%d", argv[1], rank);
  FILE *file = rank > 0 ? fopen(own, "r") : NULL;
  if (!file) file = fopen(argv[1], "r");
  if (!file) {
    if (rank == 0) fprintf(stderr, "step_replay: cannot read the schedule %s\n", argv[1]);
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  // This rank's node (the ranks the platform's hostfile puts on its host) and the ranks of equal
  // node rank.
  MPI_Comm node, cross;
  int node_rank = 0, node_size = 1;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node);
  MPI_Comm_rank(node, &node_rank);
  MPI_Comm_size(node, &node_size);
  MPI_Comm_split(MPI_COMM_WORLD, node_rank, rank, &cross);
  MPI_Comm comms[] = {MPI_COMM_WORLD, node, cross};
  struct event events[256];
  int count = 0, recorded_per_node = 1, recorded_nodes = 1, node_count = 1;
  MPI_Comm_size(cross, &node_count);
  long largest = 1;
  char line[512], name[64], role[64];
  while (fgets(line, sizeof line, file) && count < 256) {
    if (line[0] == '#') {
      sscanf(line, "# ranks_per_node %d nodes %d", &recorded_per_node, &recorded_nodes);
      continue;
    }
    struct event e;
    role[0] = '\0';
    if (sscanf(line, "%lf %63s %ld %d %63s", &e.before, name, &e.elements, &e.bytes, role) < 4 ||
        parse(name, &e.call) != 0 || parse_role(role, &e.role) != 0) {
      if (rank == 0) fprintf(stderr, "step_replay: %s: cannot read the line: %s", argv[1], line);
      MPI_Abort(MPI_COMM_WORLD, 2);
    }
    if (e.role == CROSS) {
      long recorded = (long)recorded_per_node * (e.call == ALLREDUCE || e.call == IALLREDUCE ? 1 : recorded_nodes);
      long simulated = (long)node_size * (e.call == ALLREDUCE || e.call == IALLREDUCE ? 1 : node_count);
      if (e.call == EXCHANGE) recorded = recorded_nodes, simulated = node_count;
      e.elements = (e.elements * recorded + simulated - 1) / simulated;
    }
    long need = e.elements * (e.bytes > 0 ? e.bytes : 1) * (e.call == ALLGATHER || e.call == ALLGATHERV ? size : 1);
    if (need > largest) largest = need;
    events[count++] = e;
  }
  fclose(file);
  const int steps = atoi(argv[2]);
  double slowdown = 1;
  const char *machine = getenv("STEP_REPLAY_MACHINE_CORES");
  if (machine != NULL && atoi(machine) > 0) {
    const int cores = atoi(machine), core = rank % cores;
    slowdown = size / cores + (core < size % cores ? 1 : 0);
  }
  // One buffer pair for every rank (SMPI's shared malloc: 1,024 ranks do not need 1,024 copies;
  // the contents do not matter to the simulated time).
  // Receives may be a little larger than this rank's own sends (a validation run's ranks cut
  // their chunks on 16-float lines): room for slack bytes more.
  const long slack = 65536;
  largest += slack;
  char *send = SMPI_SHARED_MALLOC((size_t)largest);
  char *receive = SMPI_SHARED_MALLOC((size_t)largest);
  int *counts = malloc(sizeof(int) * (size_t)size), *displacements = malloc(sizeof(int) * (size_t)size);
  MPI_Request pending[64];
  MPI_Request *exchanges = malloc(sizeof(MPI_Request) * 2 * (size_t)size);
  int first = 0, last = 0;
  const char *async = getenv("STEP_REPLAY_ASYNC_PROGRESS");
  const int progress_alone = async != NULL && strcmp(async, "1") == 0;
  long deferred[64];  // element counts of the sums called but not started (progress_alone == 0)
  MPI_Datatype deferred_types[64];
  int waiting = 0;
  double start = 0;
  for (int step = 0; step <= steps; step++) {
    if (step == 1) {
      MPI_Barrier(MPI_COMM_WORLD);
      start = MPI_Wtime();
    }
    for (int i = 0; i < count; i++) {
      struct event *e = &events[i];
      if (e->before > 0) smpi_execute(e->before * slowdown);
      MPI_Datatype type = type_of(e->bytes);
      int n = (int)e->elements;
      MPI_Comm comm = comms[e->role];
      int members = size;
      MPI_Comm_size(comm, &members);
      switch (e->call) {
      case ALLREDUCE: MPI_Allreduce(send, receive, n, type, MPI_SUM, comm); break;
      case IALLREDUCE:
        if (progress_alone) {
          MPI_Iallreduce(send, receive, n, type, MPI_SUM, comm, &pending[last++ % 64]);
        } else {
          if (waiting == 64) {
            if (rank == 0) fprintf(stderr, "step_replay: %s: more than 64 nonblocking sums before a wait\n", argv[1]);
            MPI_Abort(MPI_COMM_WORLD, 2);
          }
          deferred[waiting] = n;
          deferred_types[waiting++] = type;
        }
        break;
      case WAIT:
        waiting = run_deferred(deferred, deferred_types, waiting, send, receive);
        if (first < last) MPI_Wait(&pending[first++ % 64], MPI_STATUS_IGNORE);
        break;
      case ALLGATHER: MPI_Allgather(send, n, type, receive, n, type, comm); break;
      case ALLGATHERV:
        for (int r = 0; r < members; r++) { counts[r] = n; displacements[r] = r * n; }
        MPI_Allgatherv(send, n, type, receive, counts, displacements, type, comm);
        break;
      case BCAST: MPI_Bcast(send, n, type, 0, comm); break;
      case BARRIER: MPI_Barrier(comm); break;
      case EXCHANGE: {
        int posted = 0, me = 0;
        MPI_Comm_rank(comm, &me);
        for (int peer = 0; peer < members; peer++) {
          if (peer == me) continue;
          MPI_Irecv(receive, (int)largest, MPI_CHAR, peer, 0, comm, &exchanges[posted++]);
          MPI_Isend(send, n, type, peer, 0, comm, &exchanges[posted++]);
        }
        MPI_Waitall(posted, exchanges, MPI_STATUSES_IGNORE);
        break;
      }
      }
    }
    waiting = run_deferred(deferred, deferred_types, waiting, send, receive);
    while (first < last) MPI_Wait(&pending[first++ % 64], MPI_STATUS_IGNORE);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank == 0) printf("seconds_per_step %.9f ranks %d steps %d\n", (MPI_Wtime() - start) / steps, size, steps);
  MPI_Comm_free(&node);
  MPI_Comm_free(&cross);
  SMPI_SHARED_FREE(send);
  SMPI_SHARED_FREE(receive);
  free(counts);
  free(exchanges);
  free(displacements);
  MPI_Finalize();
  return 0;
}
