#include "stop_signal.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t received_signal = 0;

static void remember(int signal) { received_signal = signal; }

void stop_signal_install(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = remember;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, 0);
    sigaction(SIGINT, &action, 0);
}

int stop_signal_received(void) { return received_signal; }

void stop_signal_raise(int signal) { received_signal = signal; }
