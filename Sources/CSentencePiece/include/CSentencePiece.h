// A C face for SentencePiece's C++ processor, so that Swift sees plain functions and one
// opaque handle. Nothing here throws: C++ exceptions and statuses become an error string.
#ifndef CSENTENCEPIECE_H
#define CSENTENCEPIECE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct CSPProcessor CSPProcessor;

/// Parses a serialized model (the bytes of `spiece.model` / `tokenizer.model`). On failure
/// returns NULL and sets `*error` to a message the caller frees with `csp_free_string`.
CSPProcessor *_Nullable csp_load(const char *_Nonnull bytes, size_t length, char *_Nullable *_Nonnull error);
void csp_free(CSPProcessor *_Nullable processor);

/// Encodes UTF-8 text to ids. Writes at most `capacity` ids and returns how many there are
/// (call again with more room when that is larger), or -1 with `*error` set.
long csp_encode(const CSPProcessor *_Nonnull processor, const char *_Nonnull text, size_t length,
                int32_t *_Nullable ids, size_t capacity, char *_Nullable *_Nonnull error);

int32_t csp_piece_size(const CSPProcessor *_Nonnull processor);
/// The id of a piece (UTF-8), or the unknown id when the vocabulary has no such piece.
int32_t csp_piece_to_id(const CSPProcessor *_Nonnull processor, const char *_Nonnull piece, size_t length);
/// The piece of an id, as a string the caller frees with `csp_free_string` (NULL when out of range).
char *_Nullable csp_id_to_piece(const CSPProcessor *_Nonnull processor, int32_t id);
int32_t csp_unk_id(const CSPProcessor *_Nonnull processor);
/// Whether an id is a control symbol (<pad>, </s>, …) or the unknown symbol.
int csp_is_control(const CSPProcessor *_Nonnull processor, int32_t id);

void csp_free_string(char *_Nullable string);

#ifdef __cplusplus
}
#endif

#endif
