// libpng 1.6 (Debian: libpng-dev). Used only by the CImageCodecs C target.
#include <png.h>
