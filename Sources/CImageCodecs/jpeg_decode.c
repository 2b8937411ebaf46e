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

/// PIL reads every four-component JPEG as inverted CMYK (rawmode "CMYK;I", "assume adobe
/// conventions", JpegImagePlugin.py), then converts with cmyk2rgb (libImaging/Convert.c):
/// out = nk − nk·c/255 rounded as MULDIV255, nk = 255 − k. With c = 255 − stored and
/// k = 255 − stored, nk is the stored K.
void clip_cmyk_inverted_to_rgb(const uint8_t *in, uint8_t *out, size_t count) {
    for (size_t x = 0; x < count; x++, in += 4, out += 3) {
        int nk = in[3];
        for (int ch = 0; ch < 3; ch++) {
            int tmp = (255 - in[ch]) * nk + 128;
            int v = nk - (((tmp >> 8) + tmp) >> 8);
            out[ch] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    }
}

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
    // Four components (CMYK, or YCCK that libjpeg turns into CMYK) are read as CMYK and
    // converted below; everything else straight to RGB (grey replicated, as PIL's
    // convert("RGB") does).
    int cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
    jpeg_start_decompress(&cinfo);
    size_t stride = (size_t)cinfo.output_width * 3;
    pixels = malloc(stride * cinfo.output_height + (size_t)cinfo.output_width * (cmyk ? 4 : 0) + 1);
    if (!pixels) {
        snprintf(message, message_size, "out of memory");
        status = CLIP_CODEC_NO_MEMORY;
        longjmp(err.jump, 1);
    }
    // A CMYK scanline goes to the spare room after the image, then into its RGB row.
    uint8_t *spare = pixels + stride * cinfo.output_height;
    while (cinfo.output_scanline < cinfo.output_height) {
        uint8_t *rgb = pixels + stride * cinfo.output_scanline;
        JSAMPROW row = cmyk ? spare : rgb;
        jpeg_read_scanlines(&cinfo, &row, 1);
        if (cmyk) clip_cmyk_inverted_to_rgb(spare, rgb, cinfo.output_width);
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
