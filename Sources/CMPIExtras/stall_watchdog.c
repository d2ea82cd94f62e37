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
#include "cmpi_extras.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

static _Atomic int64_t last_beat_nanoseconds;
static _Atomic int64_t beat_epoch;
static _Atomic int64_t beat_step;
static _Atomic int running;
static double limit_seconds;
static int watched_rank;
static pthread_t watchdog_thread;

static int64_t now_nanoseconds(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

static void *watch(void *unused) {
  (void)unused;
  const int64_t limit = (int64_t)((limit_seconds + 0.5 * watched_rank) * 1e9);
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
    int64_t idle = now - atomic_load_explicit(&last_beat_nanoseconds, memory_order_relaxed);
    if (atomic_load_explicit(&running, memory_order_relaxed) && idle > limit && now > quiet_until) {
      fprintf(stderr,
              "error: no progress for %.0f s at epoch %lld step %lld (rank %d waited): a rank stalled "
              "or died (stopped, swapped out, stuck on I/O) or the network hangs; ending the job "
              "(--stall-timeout %g; 0 disables)\n",
              (double)idle / 1e9, (long long)atomic_load(&beat_epoch), (long long)atomic_load(&beat_step),
              watched_rank, limit_seconds);
      fflush(stderr);
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

int cmpi_watchdog_start(double seconds, int rank) {
  if (atomic_load(&running)) return 0;
  limit_seconds = seconds;
  watched_rank = rank;
  cmpi_watchdog_beat(0, 0);
  atomic_store(&running, 1);
  int status = pthread_create(&watchdog_thread, NULL, watch, NULL);
  if (status != 0) atomic_store(&running, 0);
  return status;
}

void cmpi_watchdog_stop(void) {
  if (!atomic_exchange(&running, 0)) return;
  pthread_join(watchdog_thread, NULL);
}
