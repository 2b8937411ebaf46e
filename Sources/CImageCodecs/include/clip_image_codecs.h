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

/// Decodes a baseline or progressive JPEG with libjpeg's defaults: YCbCr, RGB and grey
/// straight to RGB, CMYK and YCCK as PIL converts them (`clip_cmyk_inverted_to_rgb`).
int clip_jpeg_decode(const uint8_t *data, size_t size, uint64_t max_pixels,
                     clip_rgb_image *out, char *message, size_t message_size);

/// Decodes a WebP (lossy, lossless, with alpha, animated) as PIL does: libwebp's
/// animation decoder in RGBA, the first frame, alpha dropped.
int clip_webp_decode(const uint8_t *data, size_t size, uint64_t max_pixels,
                     clip_rgb_image *out, char *message, size_t message_size);

/// Decodes a GIF's first image as PIL's frame 0 converted to RGB: a canvas of the
/// logical screen's size filled with index 0 (the transparent index if flagged), the
/// image pasted at its offset, the local or global colour table applied.
int clip_gif_decode(const uint8_t *data, size_t size, uint64_t max_pixels,
                    clip_rgb_image *out, char *message, size_t message_size);

/// `count` pixels of CMYK as libjpeg gives them (stored inverted, as Adobe writes it and as
/// PIL assumes for every CMYK JPEG) to RGB, as PIL's convert("RGB") gives them.
void clip_cmyk_inverted_to_rgb(const uint8_t *in, uint8_t *out, size_t count);

void clip_codec_free(clip_rgb_image *image);

#endif
