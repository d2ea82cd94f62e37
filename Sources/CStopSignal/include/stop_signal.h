// CStopSignal: remembers that SIGTERM or SIGINT arrived, so the trainer can stop at the next
// step boundary instead of dying mid-update.
//
// A signal handler may only set a volatile sig_atomic_t; Swift cannot declare one, so the
// flag and the handler live here in C.
#ifndef CSTOPSIGNAL_H
#define CSTOPSIGNAL_H

/// Installs the handler for SIGTERM and SIGINT (mpirun forwards both to every rank), and
/// leaves both to a thread of their own (sigwait), so that no handler ever runs on the calling
/// (training) thread. oneDNN's JIT matrix-product kernels (gemm:jit, oneDNN up to 3.11:
/// uxlfoundation/oneDNN issue 4845) point the stack pointer into a heap buffer while they run, so a
/// signal handled on that thread writes its frame over the heap: SIGTERMs to mpirun crashed 2-4
/// runs of 8 with glibc's "corrupted size vs. prev_size", and a storm of any handled signal crashes
/// every run.
void stop_signal_install(void);

/// Blocks every other asynchronous signal on the calling (training) thread, for the same reason:
/// a handler someone else installs (a signal-sampling profiler, a library) then runs on one of the
/// process's other threads, which take every signal sent to the process as before. Left
/// deliverable: the synchronous ones a fault raises on the thread itself (SIGSEGV, SIGBUS,
/// SIGFPE, SIGILL, SIGTRAP, SIGSYS, SIGABRT) and SIGPIPE (a write to a closed pipe). Call it
/// after stop_signal_install, whose thread must not inherit this mask.
void stop_signal_shield_thread(void);

/// The signal number that asked the process to stop, or 0 if none has arrived.
int stop_signal_received(void);

/// Makes this process look as if `signal` had arrived (for tests).
void stop_signal_raise(int signal);

#endif
