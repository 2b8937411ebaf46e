// The first image of a GIF through giflib's record API (not DGifSlurp, which would read
// every frame of an animation into memory), as PIL's GifImagePlugin gives frame 0.
#include "clip_image_codecs.h"
#include <gif_lib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const uint8_t *data;
    size_t size;
    size_t offset;
} gif_source;

static int on_read(GifFileType *gif, GifByteType *dest, int length) {
    gif_source *src = (gif_source *)gif->UserData;
    size_t left = src->size - src->offset;
    size_t n = length < 0 ? 0 : (size_t)length;
    if (n > left) n = left;
    memcpy(dest, src->data + src->offset, n);
    src->offset += n;
    return (int)n;
}

static int fail(GifFileType *gif, uint8_t *canvas, GifPixelType *line, int status, char *message,
                size_t message_size, const char *what) {
    if (message_size && !message[0]) {
        const char *reason = gif ? GifErrorString(gif->Error) : NULL;
        snprintf(message, message_size, "%s%s%s", what, reason ? ": " : "", reason ? reason : "");
    }
    free(canvas);
    free(line);
    if (gif) DGifCloseFile(gif, NULL);
    return status;
}

int clip_gif_decode(const uint8_t *data, size_t size, uint64_t max_pixels,
                    clip_rgb_image *out, char *message, size_t message_size) {
    out->width = out->height = 0;
    out->pixels = NULL;
    if (message_size) message[0] = 0;
    gif_source src = {data, size, 0};
    int error = 0;
    GifFileType *gif = DGifOpen(&src, on_read, &error);
    if (!gif) {
        snprintf(message, message_size, "not a readable GIF: %s", GifErrorString(error) ? GifErrorString(error) : "?");
        return CLIP_CODEC_CORRUPT;
    }
    int width = gif->SWidth, height = gif->SHeight;
    if (width <= 0 || height <= 0) return fail(gif, NULL, NULL, CLIP_CODEC_CORRUPT, message, message_size, "zero width or height");
    if ((uint64_t)width * (uint64_t)height > max_pixels) {
        snprintf(message, message_size, "%dx%d pixels is over the limit of %llu", width, height, (unsigned long long)max_pixels);
        return fail(gif, NULL, NULL, CLIP_CODEC_TOO_LARGE, message, message_size, "");
    }
    int transparency = -1;
    for (;;) {
        GifRecordType record;
        if (DGifGetRecordType(gif, &record) == GIF_ERROR)
            return fail(gif, NULL, NULL, CLIP_CODEC_CORRUPT, message, message_size, "file is truncated or damaged");
        if (record == TERMINATE_RECORD_TYPE)
            return fail(gif, NULL, NULL, CLIP_CODEC_CORRUPT, message, message_size, "no image in the file");
        if (record == EXTENSION_RECORD_TYPE) {
            int code = 0;
            GifByteType *ext = NULL;
            if (DGifGetExtension(gif, &code, &ext) == GIF_ERROR)
                return fail(gif, NULL, NULL, CLIP_CODEC_CORRUPT, message, message_size, "damaged extension block");
            if (code == GRAPHICS_EXT_FUNC_CODE && ext && ext[0] >= 4) {
                // The frame's graphic control: its transparent index, if flagged.
                transparency = (ext[1] & 1) ? ext[4] : -1;
            }
            while (ext) {
                if (DGifGetExtensionNext(gif, &ext) == GIF_ERROR)
                    return fail(gif, NULL, NULL, CLIP_CODEC_CORRUPT, message, message_size, "damaged extension block");
            }
            continue;
        }
        if (record != IMAGE_DESC_RECORD_TYPE) continue;
        if (DGifGetImageDesc(gif) == GIF_ERROR)
            return fail(gif, NULL, NULL, CLIP_CODEC_CORRUPT, message, message_size, "damaged image descriptor");
        break;
    }
    GifImageDesc *d = &gif->Image;
    ColorMapObject *map = d->ColorMap ? d->ColorMap : gif->SColorMap;
    if (d->Width <= 0 || d->Height <= 0 || (uint64_t)d->Width * (uint64_t)d->Height > max_pixels)
        return fail(gif, NULL, NULL, CLIP_CODEC_CORRUPT, message, message_size, "frame size out of range");
    // PIL's frame 0: a canvas of index 0, or of the transparent index when there is one,
    // the frame pasted at its offset (cropped to the canvas), then the palette applied.
    size_t count = (size_t)width * height;
    uint8_t *canvas = malloc(count + 1);
    GifPixelType *line = malloc((size_t)d->Width + 1);
    if (!canvas || !line) return fail(gif, canvas, line, CLIP_CODEC_NO_MEMORY, message, message_size, "out of memory");
    memset(canvas, transparency >= 0 ? transparency : 0, count);
    static const int start[] = {0, 4, 2, 1}, step[] = {8, 8, 4, 2};
    int passes = d->Interlace ? 4 : 1;
    for (int pass = 0; pass < passes; pass++) {
        int first = d->Interlace ? start[pass] : 0, jump = d->Interlace ? step[pass] : 1;
        for (int y = first; y < d->Height; y += jump) {
            if (DGifGetLine(gif, line, d->Width) == GIF_ERROR)
                return fail(gif, canvas, line, CLIP_CODEC_CORRUPT, message, message_size, "file is truncated or damaged");
            int cy = d->Top + y;
            if (cy < 0 || cy >= height) continue;
            for (int x = 0; x < d->Width; x++) {
                int cx = d->Left + x;
                if (cx >= 0 && cx < width) canvas[(size_t)cy * width + cx] = line[x];
            }
        }
    }
    uint8_t *pixels = malloc(count * 3 + 1);
    if (!pixels) return fail(gif, canvas, line, CLIP_CODEC_NO_MEMORY, message, message_size, "out of memory");
    // An index past the colour table is black, as PIL's zero-filled palette gives it.
    for (size_t i = 0; i < count; i++) {
        int index = canvas[i];
        if (map && index < map->ColorCount) {
            pixels[3 * i] = map->Colors[index].Red;
            pixels[3 * i + 1] = map->Colors[index].Green;
            pixels[3 * i + 2] = map->Colors[index].Blue;
        } else {
            pixels[3 * i] = pixels[3 * i + 1] = pixels[3 * i + 2] = map ? 0 : (uint8_t)index;
        }
    }
    free(canvas);
    free(line);
    DGifCloseFile(gif, NULL);
    out->width = (uint32_t)width;
    out->height = (uint32_t)height;
    out->pixels = pixels;
    return CLIP_CODEC_OK;
}
