// WebP through libwebp's animation decoder, as PIL reads every WebP (WebPImagePlugin: one
// WebPAnimDecoder, RGBA out, the first frame unless asked for another).
#include "clip_image_codecs.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <webp/decode.h>
#include <webp/demux.h>

int clip_webp_decode(const uint8_t *data, size_t size, uint64_t max_pixels,
                     clip_rgb_image *out, char *message, size_t message_size) {
    out->width = out->height = 0;
    out->pixels = NULL;
    if (message_size) message[0] = 0;
    // The header's canvas size first: nothing is allocated for a picture over the limit.
    WebPBitstreamFeatures features;
    VP8StatusCode status = WebPGetFeatures(data, size, &features);
    if (status == VP8_STATUS_NOT_ENOUGH_DATA) {
        snprintf(message, message_size, "file is truncated");
        return CLIP_CODEC_CORRUPT;
    }
    if (status != VP8_STATUS_OK) {
        snprintf(message, message_size, "not a valid WebP header (libwebp status %d)", (int)status);
        return CLIP_CODEC_CORRUPT;
    }
    if (features.width <= 0 || features.height <= 0) {
        snprintf(message, message_size, "zero width or height");
        return CLIP_CODEC_CORRUPT;
    }
    if ((uint64_t)features.width * (uint64_t)features.height > max_pixels) {
        snprintf(message, message_size, "%dx%d pixels is over the limit of %llu", features.width, features.height,
                 (unsigned long long)max_pixels);
        return CLIP_CODEC_TOO_LARGE;
    }
    WebPData webp = {data, size};
    WebPAnimDecoderOptions options;
    if (!WebPAnimDecoderOptionsInit(&options)) {
        snprintf(message, message_size, "libwebp version mismatch");
        return CLIP_CODEC_CORRUPT;
    }
    options.color_mode = MODE_RGBA;  // PIL's choice; alpha is dropped below, not composited
    options.use_threads = 0;
    WebPAnimDecoder *decoder = WebPAnimDecoderNew(&webp, &options);
    if (!decoder) {
        snprintf(message, message_size, "libwebp cannot parse the file");
        return CLIP_CODEC_CORRUPT;
    }
    WebPAnimInfo info;
    if (!WebPAnimDecoderGetInfo(decoder, &info) || info.canvas_width == 0 || info.canvas_height == 0 ||
        (uint64_t)info.canvas_width * info.canvas_height > max_pixels) {
        WebPAnimDecoderDelete(decoder);
        snprintf(message, message_size, "canvas of %ux%u pixels refused", info.canvas_width, info.canvas_height);
        return CLIP_CODEC_TOO_LARGE;
    }
    uint8_t *rgba = NULL;
    int timestamp = 0;
    if (!WebPAnimDecoderGetNext(decoder, &rgba, &timestamp) || !rgba) {
        WebPAnimDecoderDelete(decoder);
        snprintf(message, message_size, "the first frame does not decode");
        return CLIP_CODEC_CORRUPT;
    }
    size_t count = (size_t)info.canvas_width * info.canvas_height;
    uint8_t *pixels = malloc(count * 3 + 1);
    if (!pixels) {
        WebPAnimDecoderDelete(decoder);
        snprintf(message, message_size, "out of memory");
        return CLIP_CODEC_NO_MEMORY;
    }
    for (size_t i = 0; i < count; i++) memcpy(pixels + 3 * i, rgba + 4 * i, 3);
    WebPAnimDecoderDelete(decoder);  // owns the frame buffer
    out->width = info.canvas_width;
    out->height = info.canvas_height;
    out->pixels = pixels;
    return CLIP_CODEC_OK;
}
