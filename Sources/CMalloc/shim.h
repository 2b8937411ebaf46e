// glibc's allocator settings (mallopt), which Swift's Glibc module leaves out. Used only
// by the clip-tui executable, once at start.
#include <malloc.h>
