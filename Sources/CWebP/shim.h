// libwebp's decoder and its demuxer's animation decoder (Debian: libwebp-dev), the
// library PIL reads WebP with. Used only by CImageCodecs.
#include <webp/decode.h>
#include <webp/demux.h>
