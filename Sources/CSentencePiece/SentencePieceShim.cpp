// Wraps sentencepiece::SentencePieceProcessor behind the C functions of CSentencePiece.h.
#include "CSentencePiece.h"

#include <sentencepiece_processor.h>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

struct CSPProcessor {
    sentencepiece::SentencePieceProcessor processor;
};

static char *copy_string(const std::string &s) {
    char *out = static_cast<char *>(std::malloc(s.size() + 1));
    if (out) {
        std::memcpy(out, s.data(), s.size());
        out[s.size()] = 0;
    }
    return out;
}

extern "C" CSPProcessor *csp_load(const char *bytes, size_t length, char **error) {
    *error = nullptr;
    try {
        auto *p = new CSPProcessor();
        auto status = p->processor.LoadFromSerializedProto(std::string_view(bytes, length));
        if (!status.ok()) {
            *error = copy_string(status.ToString());
            delete p;
            return nullptr;
        }
        return p;
    } catch (const std::exception &e) {
        *error = copy_string(e.what());
    } catch (...) {
        *error = copy_string("unknown C++ exception");
    }
    return nullptr;
}

extern "C" void csp_free(CSPProcessor *processor) { delete processor; }

extern "C" long csp_encode(const CSPProcessor *processor, const char *text, size_t length, int32_t *ids,
                           size_t capacity, char **error) {
    *error = nullptr;
    try {
        std::vector<int> out;
        auto status = processor->processor.Encode(std::string_view(text, length), &out);
        if (!status.ok()) {
            *error = copy_string(status.ToString());
            return -1;
        }
        for (size_t i = 0; i < out.size() && i < capacity; i++) ids[i] = out[i];
        return static_cast<long>(out.size());
    } catch (const std::exception &e) {
        *error = copy_string(e.what());
    } catch (...) {
        *error = copy_string("unknown C++ exception");
    }
    return -1;
}

extern "C" int32_t csp_piece_size(const CSPProcessor *processor) { return processor->processor.GetPieceSize(); }

extern "C" int32_t csp_piece_to_id(const CSPProcessor *processor, const char *piece, size_t length) {
    return processor->processor.PieceToId(std::string_view(piece, length));
}

extern "C" char *csp_id_to_piece(const CSPProcessor *processor, int32_t id) {
    if (id < 0 || id >= processor->processor.GetPieceSize()) return nullptr;
    return copy_string(processor->processor.IdToPiece(id));
}

extern "C" int32_t csp_unk_id(const CSPProcessor *processor) { return processor->processor.unk_id(); }

extern "C" int csp_is_control(const CSPProcessor *processor, int32_t id) {
    if (id < 0 || id >= processor->processor.GetPieceSize()) return 0;
    return processor->processor.IsControl(id) || processor->processor.IsUnknown(id);
}

extern "C" void csp_free_string(char *string) { std::free(string); }
