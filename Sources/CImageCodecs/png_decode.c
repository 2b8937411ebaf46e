// libpng reports errors by longjmp; this file catches them and returns a status and message.
#include "clip_image_codecs.h"
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const uint8_t *data;
    size_t size;
    size_t offset;
    char *message;
    size_t message_size;
} png_source;

static void on_error(png_structp png, png_const_charp msg) {
    png_source *src = (png_source *)png_get_error_ptr(png);
    if (src && src->message && src->message_size) snprintf(src->message, src->message_size, "%s", msg);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg) { (void)png; (void)msg; }

static void on_read(png_structp png, png_bytep dest, png_size_t length) {
    png_source *src = (png_source *)png_get_io_ptr(png);
    if (length > src->size - src->offset) png_error(png, "file is truncated");
    memcpy(dest, src->data + src->offset, length);
    src->offset += length;
}

int clip_png_decode(const uint8_t *data, size_t size, uint64_t max_pixels,
                    clip_rgb_image *out, char *message, size_t message_size) {
    png_source src = {data, size, 0, message, message_size};
    png_structp png = NULL;
    png_infop info = NULL;
    // Set after setjmp and read after longjmp: volatile, or the error path may see the
    // register copies from before the malloc and leak both (found by fuzz-png).
    png_bytep *volatile rows = NULL;
    uint8_t *volatile pixels = NULL;
    volatile int status = CLIP_CODEC_CORRUPT;
    out->width = out->height = 0;
    out->pixels = NULL;
    if (message_size) message[0] = 0;

    if (size < 8 || png_sig_cmp(data, 0, 8) != 0) {
        snprintf(message, message_size, "not a PNG signature");
        return CLIP_CODEC_CORRUPT;
    }
    png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &src, on_error, on_warning);
    if (!png) return CLIP_CODEC_NO_MEMORY;
    info = png_create_info_struct(png);
    if (!info) { png_destroy_read_struct(&png, NULL, NULL); return CLIP_CODEC_NO_MEMORY; }

    if (setjmp(png_jmpbuf(png))) {
        free(rows);
        free(pixels);
        png_destroy_read_struct(&png, &info, NULL);
        return status;
    }
    png_set_read_fn(png, &src, on_read);
    png_read_info(png, info);
    png_uint_32 width = png_get_image_width(png, info);
    png_uint_32 height = png_get_image_height(png, info);
    if ((uint64_t)width * (uint64_t)height > max_pixels) {
        snprintf(message, message_size, "%ux%u pixels is over the limit of %llu", (unsigned)width,
                 (unsigned)height, (unsigned long long)max_pixels);
        status = CLIP_CODEC_TOO_LARGE;
        png_longjmp(png, 1);
    }
    int color = png_get_color_type(png, info);
    int depth = png_get_bit_depth(png, info);
    // The same conversions as PIL's convert("RGB"): no gamma, no compositing.
    if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (depth == 16) png_set_strip_16(png);  // keeps the high byte
    // Alpha channels and the alpha that tRNS expands to are dropped, not composited.
    if ((color & PNG_COLOR_MASK_ALPHA) || png_get_valid(png, info, PNG_INFO_tRNS)) png_set_strip_alpha(png);
    if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != (size_t)width * 3) {
        snprintf(message, message_size, "unexpected row layout after conversion");
        png_longjmp(png, 1);
    }
    pixels = malloc((size_t)width * height * 3 + 1);
    rows = malloc(sizeof(png_bytep) * (height ? height : 1));
    if (!pixels || !rows) { status = CLIP_CODEC_NO_MEMORY; snprintf(message, message_size, "out of memory"); png_longjmp(png, 1); }
    for (png_uint_32 y = 0; y < height; y++) rows[y] = pixels + (size_t)y * width * 3;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    free(rows);
    png_destroy_read_struct(&png, &info, NULL);
    out->width = width;
    out->height = height;
    out->pixels = pixels;
    return CLIP_CODEC_OK;
}

void clip_codec_free(clip_rgb_image *image) {
    free(image->pixels);
    image->pixels = NULL;
}
