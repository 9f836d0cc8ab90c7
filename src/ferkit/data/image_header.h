// The width and height an encoded image (PNG, JPEG, BMP, GIF) declares, read from its header
// without decoding, so that a 30000 x 30000 image is refused before its pixels are allocated
// (data readers, predict and serve). False when the format is not one of these or the header is
// cut short.
#pragma once
#include <string>

namespace ferkit {

bool image_header_size(const std::string& bytes, int& width, int& height);

}  // namespace ferkit
