// The width and height an encoded image (PNG, JPEG, BMP, GIF) declares, read from its header
// without decoding, so that a 30000 x 30000 image is refused before its pixels are allocated
// (data readers, predict and serve). False when the format is not one of these or the header is
// cut short.
#pragma once
#include <string>

namespace ferkit {

bool image_header_size(const std::string& bytes, int& width, int& height);

// The bytes per pixel a decoder holds for this image before any conversion (channels times bytes
// per sample: 8 for 16-bit RGBA PNG), from the header; 4 when the header does not say. With the
// pixel count it bounds the memory of one decode.
int image_header_bytes_per_pixel(const std::string& bytes);

// A warning when the encoded image is cut short (a JPEG without its end-of-image marker, a PNG
// without its IEND chunk): decoders fill the missing rows and say so only on stderr. "" otherwise.
std::string image_truncation_warning(const std::string& bytes);

}  // namespace ferkit
