// CStopSignal: remembers that SIGTERM or SIGINT arrived, so the trainer can stop at the next
// step boundary instead of dying mid-update.
//
// A signal handler may only set a volatile sig_atomic_t; Swift cannot declare one, so the
// flag and the handler live here in C.
#ifndef CSTOPSIGNAL_H
#define CSTOPSIGNAL_H

/// Installs the handler for SIGTERM and SIGINT (mpirun forwards both to every rank), and
/// leaves both to a thread of their own (sigwait): with the handler interrupting the training
/// loop, a SIGTERM to mpirun crashed 2-4 runs of 8 with glibc's "corrupted size vs. prev_size"
/// inside oneDNN's primitive execution (never with OpenBLAS); with the waiting thread none of 18.
void stop_signal_install(void);

/// The signal number that asked the process to stop, or 0 if none has arrived.
int stop_signal_received(void);

/// Makes this process look as if `signal` had arrived (for tests).
void stop_signal_raise(int signal);

#endif
