#include "terminal_guard.h"
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static struct termios saved;
static int guarded_fd = -1;
static char sequence[256];
static size_t sequence_length;
static volatile sig_atomic_t armed;
static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE};

static void restore_and_reraise(int sig) {
    if (armed) {
        armed = 0;
        if (sequence_length > 0) {
            ssize_t ignored = write(guarded_fd, sequence, sequence_length);
            (void)ignored;
        }
        tcsetattr(guarded_fd, TCSANOW, &saved);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

int clip_guard_install(int fd, const char *restore_sequence, size_t length) {
    if (tcgetattr(fd, &saved) != 0) return -1;
    guarded_fd = fd;
    sequence_length = length < sizeof(sequence) ? length : sizeof(sequence);
    memcpy(sequence, restore_sequence, sequence_length);
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = restore_and_reraise;
    sigemptyset(&action.sa_mask);
    // The alternate stack is the runtime's; SA_ONSTACK lets a stack overflow still reach us.
    action.sa_flags = SA_ONSTACK;
    for (size_t i = 0; i < sizeof(crash_signals) / sizeof(crash_signals[0]); i++) {
        sigaction(crash_signals[i], &action, NULL);
    }
    armed = 1;
    return 0;
}

void clip_guard_disarm(void) {
    armed = 0;
    for (size_t i = 0; i < sizeof(crash_signals) / sizeof(crash_signals[0]); i++) signal(crash_signals[i], SIG_DFL);
}
