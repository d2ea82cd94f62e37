// The stall watchdog: a thread that ends the job when the training loop stops making progress.
//
// A rank that is stopped, swapped out or stuck on a file system leaves the others waiting in
// the next collective forever, and MPI has no timeout for that. The training loop calls
// cmpi_watchdog_beat at every step (two relaxed atomic stores and a clock read: no collective,
// nothing per step that other ranks see); the thread wakes five times a second and, when the
// last beat is older than the limit, prints one line and calls MPI_Abort, which ends every
// rank. Each rank waits its own rank x 0.5 s longer, so the lowest rank that is still running
// speaks first and the others are ended before they print. MPI_Abort from a second thread is
// what Open MPI and MPICH do in practice for a job that must end; the main thread is stuck
// inside MPI at that point and cannot.
//
// The arrival board names the ranks that did not arrive: the ranks of a node share one 64-byte
// slot each (an MPI shared-memory window made once at start), holding the rank's world rank, how
// many step collectives it has reached (cmpi_watchdog_arrive, one relaxed store per step into
// the rank's own cache line) and when its watchdog thread last ticked. On a stall, the ranks of
// this node behind the furthest one, and those whose thread has not ticked for over a second
// (the process is stopped, swapped out or gone), are the ones the others wait for; ranks on
// other nodes cannot be seen from here.
//
// The heartbeat (under `mnist-mpi elastic`): the same thread sends the supervisor a small UDP
// datagram every tick: the rank, its host, where its loop is, how many step collectives it has
// reached and how long ago its loop last beat. It keeps coming while the main thread waits in a
// collective, and stops when the process is frozen (docker pause, SIGSTOP, a soft lockup), so the
// supervisor tells a hung host from ranks that wait for it (ElasticSupervisor's ProgressBoard).
#include "cmpi_extras.h"

#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static _Atomic int64_t last_beat_nanoseconds;
static _Atomic int64_t beat_epoch;
static _Atomic int64_t beat_step;
static _Atomic int running;
// The limit in nanoseconds (0: no limit, heartbeat only); changed by cmpi_watchdog_set_limit.
static _Atomic int64_t limit_nanoseconds;
static _Atomic int64_t own_arrivals;
static int heartbeat_socket = -1;
static struct sockaddr_storage heartbeat_address;
static socklen_t heartbeat_address_length;
static char heartbeat_host[128];
// The rank the loop found slow (-1: none) and how much faster the job would step without it.
static _Atomic int slow_rank = -1;
static _Atomic int slow_speedup_milli;
static int watched_rank;
static pthread_t watchdog_thread;

static int64_t now_nanoseconds(void);

typedef struct {
  _Atomic int64_t world_rank;
  _Atomic int64_t arrivals;
  _Atomic int64_t alive_nanoseconds;
  char padding[40];
} board_slot;
static board_slot *board;
static int board_count, board_own, board_covers_world;

void cmpi_watchdog_set_board(void *slots, int count, int own, int covers_world) {
  board = slots;
  board_count = count;
  board_own = own;
  board_covers_world = covers_world;
}

int cmpi_watchdog_board_slot_bytes(void) { return (int)sizeof(board_slot); }

void cmpi_watchdog_register(int world_rank) {
  if (board == NULL) return;
  atomic_store(&board[board_own].world_rank, world_rank);
  atomic_store(&board[board_own].arrivals, 0);
  atomic_store(&board[board_own].alive_nanoseconds, now_nanoseconds());
}

void cmpi_watchdog_arrive(void) {
  // Only this thread writes it: a relaxed load and store, no locked add in the step.
  atomic_store_explicit(&own_arrivals, atomic_load_explicit(&own_arrivals, memory_order_relaxed) + 1,
                        memory_order_relaxed);
  if (board == NULL) return;
  int64_t next = atomic_load_explicit(&board[board_own].arrivals, memory_order_relaxed) + 1;
  atomic_store_explicit(&board[board_own].arrivals, next, memory_order_relaxed);
}

// Writes into `text` which ranks of this node have not reached the collective the others wait in.
static void describe_missing(char *text, size_t size) {
  if (board == NULL) {
    snprintf(text, size, "which rank is behind is not known");
    return;
  }
  int64_t furthest = 0;
  for (int i = 0; i < board_count; i++) {
    int64_t arrivals = atomic_load_explicit(&board[i].arrivals, memory_order_relaxed);
    if (arrivals > furthest) furthest = arrivals;
  }
  const int64_t now = now_nanoseconds();
  size_t used = (size_t)snprintf(text, size, "not arrived on this node:");
  int missing = 0;
  for (int i = 0; i < board_count && used < size; i++) {
    int behind = atomic_load_explicit(&board[i].arrivals, memory_order_relaxed) < furthest;
    int silent = now - atomic_load_explicit(&board[i].alive_nanoseconds, memory_order_relaxed) > 1000000000;
    if (behind || silent) {
      used += (size_t)snprintf(text + used, size - used, "%s rank %lld (%s)", missing ? "," : "",
                               (long long)atomic_load(&board[i].world_rank),
                               silent ? "not running: stopped, swapped out or gone" : "still before the collective");
      missing++;
    }
  }
  if (missing == 0 && used < size) {
    snprintf(text + used, size - used, " none (%s)",
             board_covers_world ? "every rank reached the step's collective: MPI itself hangs"
                                : "the rank that stalled is on another node, or the network hangs");
  } else if (!board_covers_world && used < size) {
    snprintf(text + used, size - used, " (other nodes not visible)");
  }
}

static int64_t now_nanoseconds(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

// The launcher's side on this node (the rank's parent when it is mpirun or an Open MPI daemon),
// recorded at start. After the stall line, MPI_Abort asks that daemon to end the job; a daemon
// that cannot reach mpirun (a cut network) or an mpirun waiting for a frozen node's daemon never
// finishes that. So a reaper process, forked just before MPI_Abort, waits `reaper_grace` seconds
// and then kills the daemon and this rank if they still run: every process the ranks that can
// still act can reach ends, and the stall line stays the only line.
static pid_t launcher_pid;
static const int reaper_grace_seconds = 10;

// Whether `pid` runs one of Open MPI's launcher programs (read from /proc; async-signal-safe).
static int is_launcher(pid_t pid) {
  char path[64], name[32] = {0};
  snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
  int descriptor = open(path, O_RDONLY);
  if (descriptor < 0) return 0;
  ssize_t count = read(descriptor, name, sizeof name - 1);
  close(descriptor);
  if (count <= 0) return 0;
  if (name[count - 1] == '\n') name[count - 1] = 0;
  return strcmp(name, "orted") == 0 || strcmp(name, "prted") == 0 || strcmp(name, "mpirun") == 0 ||
         strcmp(name, "orterun") == 0 || strcmp(name, "prterun") == 0 || strcmp(name, "mpiexec") == 0;
}

static void start_reaper(void) {
  const pid_t rank_pid = getpid();
  const pid_t launcher = launcher_pid > 1 && is_launcher(launcher_pid) ? launcher_pid : 0;
  pid_t child = fork();
  if (child != 0) return;  // the rank goes on to MPI_Abort (or fork failed: nothing more to do)
  setsid();
  // Outlive the rank: a second fork, so the reaper is nobody's child to wait for.
  if (fork() != 0) _exit(0);
  struct timespec grace = {reaper_grace_seconds, 0};
  nanosleep(&grace, NULL);
  if (launcher != 0 && kill(launcher, 0) == 0 && is_launcher(launcher)) kill(launcher, SIGKILL);
  if (kill(rank_pid, 0) == 0) kill(rank_pid, SIGKILL);
  _exit(0);
}

// Sends the supervisor one heartbeat datagram (nothing when no heartbeat was asked for);
// `finished`: the last one, the loop is over (its silence from then on is not a hang).
static void send_heartbeat(int64_t now, int finished) {
  if (heartbeat_socket < 0) return;
  char text[320];
  int length = snprintf(text, sizeof text,
                        "mnist-mpi-heartbeat 1 rank=%d epoch=%lld step=%lld arrivals=%lld idle_ms=%lld finished=%d "
                        "slow_rank=%d speedup_milli=%d host=%s",
                        watched_rank, (long long)atomic_load(&beat_epoch), (long long)atomic_load(&beat_step),
                        (long long)atomic_load_explicit(&own_arrivals, memory_order_relaxed),
                        (long long)((now - atomic_load_explicit(&last_beat_nanoseconds, memory_order_relaxed)) / 1000000),
                        finished, atomic_load(&slow_rank), atomic_load(&slow_speedup_milli), heartbeat_host);
  if (length > 0 && length < (int)sizeof text) {
    // Best effort: a lost datagram is the next tick's to make up.
    (void)sendto(heartbeat_socket, text, (size_t)length, MSG_DONTWAIT, (struct sockaddr *)&heartbeat_address,
                 heartbeat_address_length);
  }
}

static void *watch(void *unused) {
  (void)unused;
  const struct timespec tick = {0, 200000000};
  int64_t last_tick = now_nanoseconds(), quiet_until = 0;
  while (atomic_load_explicit(&running, memory_order_relaxed)) {
    nanosleep(&tick, NULL);
    int64_t now = now_nanoseconds();
    // A tick that took over a second means this process itself was stopped (SIGSTOP, swapped
    // out): the stall was ours, and the ranks that waited for us speak. Stay quiet a moment, or
    // the SIGCONT that comes before mpirun's SIGTERM would let us report our own stall too.
    if (now - last_tick > 1000000000) quiet_until = now + 2000000000;
    last_tick = now;
    if (board != NULL) atomic_store_explicit(&board[board_own].alive_nanoseconds, now, memory_order_relaxed);
    send_heartbeat(now, 0);
    int64_t limit_base = atomic_load_explicit(&limit_nanoseconds, memory_order_relaxed);
    if (limit_base <= 0) continue;
    const int64_t limit = limit_base + (int64_t)watched_rank * 500000000;
    int64_t idle = now - atomic_load_explicit(&last_beat_nanoseconds, memory_order_relaxed);
    if (atomic_load_explicit(&running, memory_order_relaxed) && idle > limit && now > quiet_until) {
      char missing[512];
      describe_missing(missing, sizeof missing);
      fprintf(stderr,
              "error: no progress for %.0f s at epoch %lld step %lld (rank %d waited; %s): a rank "
              "stalled or died (stopped, swapped out, stuck on I/O) or the network hangs; ending the "
              "job (--stall-timeout %g; 0 disables)\n",
              (double)idle / 1e9, (long long)atomic_load(&beat_epoch), (long long)atomic_load(&beat_step),
              watched_rank, missing, (double)limit_base / 1e9);
      fflush(stderr);
      start_reaper();
      MPI_Abort(MPI_COMM_WORLD, 3);
    }
  }
  return NULL;
}

void cmpi_watchdog_beat(int64_t epoch, int64_t step) {
  atomic_store_explicit(&beat_epoch, epoch, memory_order_relaxed);
  atomic_store_explicit(&beat_step, step, memory_order_relaxed);
  atomic_store_explicit(&last_beat_nanoseconds, now_nanoseconds(), memory_order_relaxed);
}

void cmpi_watchdog_set_slow_rank(int rank, double speedup) {
  atomic_store(&slow_speedup_milli, rank >= 0 && speedup > 0 && speedup < 1e6 ? (int)(speedup * 1000) : 0);
  atomic_store(&slow_rank, rank);
}

void cmpi_watchdog_set_limit(double seconds) {
  atomic_store(&limit_nanoseconds, seconds > 0 ? (int64_t)(seconds * 1e9) : 0);
}

int cmpi_watchdog_set_heartbeat(const char *host, int port) {
  struct addrinfo hints, *list = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  char service[16];
  snprintf(service, sizeof service, "%d", port);
  if (getaddrinfo(host, service, &hints, &list) != 0 || list == NULL) return -1;
  int descriptor = socket(list->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (descriptor < 0 || list->ai_addrlen > sizeof heartbeat_address) {
    if (descriptor >= 0) close(descriptor);
    freeaddrinfo(list);
    return -1;
  }
  memcpy(&heartbeat_address, list->ai_addr, list->ai_addrlen);
  heartbeat_address_length = list->ai_addrlen;
  freeaddrinfo(list);
  if (gethostname(heartbeat_host, sizeof heartbeat_host - 1) != 0) snprintf(heartbeat_host, sizeof heartbeat_host, "?");
  // One word: the datagram is space-separated.
  for (char *c = heartbeat_host; *c; c++) if (*c == ' ' || *c == '=') *c = '_';
  heartbeat_socket = descriptor;
  return 0;
}

int cmpi_watchdog_start(double seconds, int rank) {
  if (atomic_load(&running)) return 0;
  cmpi_watchdog_set_limit(seconds);
  watched_rank = rank;
  launcher_pid = getppid();
  cmpi_watchdog_beat(0, 0);
  atomic_store(&running, 1);
  int status = pthread_create(&watchdog_thread, NULL, watch, NULL);
  if (status != 0) atomic_store(&running, 0);
  return status;
}

void cmpi_watchdog_stop(void) {
  if (atomic_exchange(&running, 0)) pthread_join(watchdog_thread, NULL);
  board = NULL;
  send_heartbeat(now_nanoseconds(), 1);
  if (heartbeat_socket >= 0) close(heartbeat_socket);
  heartbeat_socket = -1;
}
