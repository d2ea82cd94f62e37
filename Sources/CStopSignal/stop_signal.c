#include "stop_signal.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>

static volatile sig_atomic_t received_signal = 0;

static void remember(int signal) { received_signal = signal; }

/// Takes SIGTERM and SIGINT synchronously, so that no handler ever interrupts the thread that
/// installed it (the training loop, often inside oneDNN's JIT kernels, whose stack pointer
/// may point into the heap: see stop_signal.h).
static void *wait_for_signals(void *unused) {
    (void)unused;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    for (;;) {
        int signal = 0;
        if (sigwait(&set, &signal) == 0) received_signal = signal;
    }
    return NULL;
}

void stop_signal_install(void) {
    // The handler stays the process's disposition: threads made before this call (MPI's) may
    // still take the signal, and then only set the flag.
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = remember;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, 0);
    sigaction(SIGINT, &action, 0);
    // The calling thread (and threads it makes from now on) leave both signals to a waiting
    // thread of their own.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigset_t previous;
    pthread_sigmask(SIG_BLOCK, &set, &previous);
    pthread_t waiter;  // made with both blocked, as sigwait needs
    if (pthread_create(&waiter, NULL, wait_for_signals, NULL) == 0) {
        pthread_detach(waiter);
    } else {
        pthread_sigmask(SIG_SETMASK, &previous, NULL);  // no waiter: the handler takes them here
    }
}

void stop_signal_shield_thread(void) {
    sigset_t set;
    sigfillset(&set);
    const int deliverable[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS, SIGABRT, SIGPIPE};
    for (size_t i = 0; i < sizeof deliverable / sizeof deliverable[0]; i++) sigdelset(&set, deliverable[i]);
    pthread_sigmask(SIG_BLOCK, &set, NULL);  // glibc leaves its own internal signals unblocked
}

int stop_signal_received(void) { return received_signal; }

void stop_signal_raise(int signal) { received_signal = signal; }
