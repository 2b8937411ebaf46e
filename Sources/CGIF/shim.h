// giflib (Debian: libgif-dev). Used only by CImageCodecs.
#include <gif_lib.h>
