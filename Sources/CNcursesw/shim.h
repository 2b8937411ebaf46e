// ncursesw (Debian: libncursesw5-dev). Without NCURSES_WIDECHAR the wide-character
// functions (wget_wch, mvadd_wch, setcchar) are not declared.
#define NCURSES_WIDECHAR 1
#define _XOPEN_SOURCE_EXTENDED 1
#include <locale.h>
#include <ncursesw/curses.h>

// Attribute and mouse constants are function-like macros that Swift does not import; these
// give their values as this ncurses defines them (never copied by hand: they differ
// between ncurses versions).
static inline attr_t clip_attr_bold(void) { return A_BOLD; }
static inline attr_t clip_attr_reverse(void) { return A_REVERSE; }
static inline attr_t clip_attr_dim(void) { return A_DIM; }
static inline mmask_t clip_mouse_button1(void) { return BUTTON1_CLICKED | BUTTON1_PRESSED; }
// The wheel: ncurses 6 (mouse version 2) reports it as buttons 4 (up) and 5 (down).
static inline mmask_t clip_mouse_wheel_up(void) { return BUTTON4_PRESSED; }
#if defined(BUTTON5_PRESSED)
static inline mmask_t clip_mouse_wheel_down(void) { return BUTTON5_PRESSED; }
#else
static inline mmask_t clip_mouse_wheel_down(void) { return 0; }
#endif

// Curses' globals, read through functions: Swift 6 sees the globals themselves as shared
// mutable state (they are, but only the input thread touches curses).
static inline WINDOW *clip_stdscr(void) { return stdscr; }
static inline int clip_colors(void) { return COLORS; }
static inline int clip_color_pairs(void) { return COLOR_PAIRS; }
#include <stdio.h>
static inline FILE *clip_stdout(void) { return stdout; }
static inline FILE *clip_stdin(void) { return stdin; }
