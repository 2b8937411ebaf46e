#ifndef CLIP_TUI_TERMINAL_GUARD_H
#define CLIP_TUI_TERMINAL_GUARD_H
#include <stddef.h>

// Restores the terminal when the process dies of a crash signal (SIGSEGV, SIGBUS, SIGILL,
// SIGTRAP, SIGABRT, SIGFPE), e.g. a Swift runtime trap on the encoder thread: curses'
// endwin() cannot run then, so the handler puts back the termios saved before curses
// started and writes the given escape sequence (leave the alternate screen, show the
// cursor, mouse reporting off), then re-raises the signal with its default action so the
// crash is still a crash. Only async-signal-safe calls run in the handler.
//
// Call clip_guard_install before initscr(); clip_guard_disarm after endwin().
int clip_guard_install(int fd, const char *restore_sequence, size_t length);
void clip_guard_disarm(void);

#endif
