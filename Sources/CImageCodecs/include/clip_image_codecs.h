#ifndef CLIP_IMAGE_CODECS_H
#define CLIP_IMAGE_CODECS_H
#include <stddef.h>
#include <stdint.h>

/// Result codes of the decoders.
enum clip_codec_status {
    CLIP_CODEC_OK = 0,
    CLIP_CODEC_CORRUPT = 1,      /* the library refused the data; message says why */
    CLIP_CODEC_TOO_LARGE = 2,    /* width * height over max_pixels, refused before allocating */
    CLIP_CODEC_UNSUPPORTED = 3,  /* a valid file we do not convert (CMYK JPEG) */
    CLIP_CODEC_NO_MEMORY = 4
};

/// 8-bit RGB pixels, rows top to bottom; `pixels` is malloc'd, free with clip_codec_free.
typedef struct {
    uint32_t width;
    uint32_t height;
    uint8_t *pixels;
} clip_rgb_image;

/// Decodes a PNG as PIL's `convert("RGB")` sees it: palette expanded, grey replicated,
/// 1/2/4-bit grey scaled, 16-bit reduced to the high byte, alpha and tRNS dropped, no gamma.
int clip_png_decode(const uint8_t *data, size_t size, uint64_t max_pixels,
                    clip_rgb_image *out, char *message, size_t message_size);

/// Decodes a baseline or progressive JPEG (RGB/YCbCr or grey) with libjpeg's defaults.
int clip_jpeg_decode(const uint8_t *data, size_t size, uint64_t max_pixels,
                     clip_rgb_image *out, char *message, size_t message_size);

void clip_codec_free(clip_rgb_image *image);

#endif
