// libjpeg-turbo's libjpeg API (Debian: libjpeg62-turbo-dev). Used only by CImageCodecs.
#include <stdio.h>
#include <jpeglib.h>
