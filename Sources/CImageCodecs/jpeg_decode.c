// libjpeg reports errors through error_exit, which must not return: longjmp back here.
#include "clip_image_codecs.h"
#include <stdio.h>
#include <jpeglib.h>
#include <jerror.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    char *message;
    size_t message_size;
    int truncated;
} jpeg_error_context;

static void on_error_exit(j_common_ptr cinfo) {
    jpeg_error_context *ctx = (jpeg_error_context *)cinfo->err;
    char buffer[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, buffer);
    if (ctx->message_size) snprintf(ctx->message, ctx->message_size, "%s", buffer);
    longjmp(ctx->jump, 1);
}

static void on_output_message(j_common_ptr cinfo) { (void)cinfo; }

static void on_emit_message(j_common_ptr cinfo, int level) {
    jpeg_error_context *ctx = (jpeg_error_context *)cinfo->err;
    if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) ctx->truncated = 1;
    if (level < 0) cinfo->err->num_warnings++;
}

int clip_jpeg_decode(const uint8_t *data, size_t size, uint64_t max_pixels,
                     clip_rgb_image *out, char *message, size_t message_size) {
    struct jpeg_decompress_struct cinfo;
    jpeg_error_context err;
    uint8_t *volatile pixels = NULL;
    volatile int status = CLIP_CODEC_CORRUPT;
    out->width = out->height = 0;
    out->pixels = NULL;
    if (message_size) message[0] = 0;
    if (size < 3 || data[0] != 0xFF || data[1] != 0xD8) {
        snprintf(message, message_size, "not a JPEG signature");
        return CLIP_CODEC_CORRUPT;
    }
    cinfo.err = jpeg_std_error(&err.base);
    err.base.error_exit = on_error_exit;
    err.base.output_message = on_output_message;
    err.base.emit_message = on_emit_message;
    err.truncated = 0;
    err.message = message;
    err.message_size = message_size;
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&cinfo);
        free(pixels);
        return status;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, (const unsigned char *)data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    if ((uint64_t)cinfo.image_width * cinfo.image_height > max_pixels) {
        snprintf(message, message_size, "%ux%u pixels is over the limit of %llu", cinfo.image_width,
                 cinfo.image_height, (unsigned long long)max_pixels);
        jpeg_destroy_decompress(&cinfo);
        return CLIP_CODEC_TOO_LARGE;
    }
    if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
        snprintf(message, message_size, "CMYK JPEG is not supported; convert it to RGB first");
        jpeg_destroy_decompress(&cinfo);
        return CLIP_CODEC_UNSUPPORTED;
    }
    cinfo.out_color_space = JCS_RGB;  // grey is replicated, as PIL's convert("RGB") does
    jpeg_start_decompress(&cinfo);
    size_t stride = (size_t)cinfo.output_width * 3;
    pixels = malloc(stride * cinfo.output_height + 1);
    if (!pixels) {
        snprintf(message, message_size, "out of memory");
        status = CLIP_CODEC_NO_MEMORY;
        longjmp(err.jump, 1);
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = pixels + stride * cinfo.output_scanline;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    // libjpeg pads a truncated stream with grey and only warns; PIL refuses it, so do we.
    if (err.truncated) {
        snprintf(message, message_size, "file is truncated");
        longjmp(err.jump, 1);
    }
    jpeg_finish_decompress(&cinfo);
    out->width = cinfo.output_width;
    out->height = cinfo.output_height;
    out->pixels = pixels;
    jpeg_destroy_decompress(&cinfo);
    return CLIP_CODEC_OK;
}
