#include "ferkit/data/image_header.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdlib>

namespace ferkit {

bool image_header_size(const std::string& b, int& width, int& height) {
  auto u8 = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(b[i])); };
  auto be16 = [&](size_t i) { return (u8(i) << 8) | u8(i + 1); };
  auto be32 = [&](size_t i) { return (u8(i) << 24) | (u8(i + 1) << 16) | (u8(i + 2) << 8) | u8(i + 3); };
  auto le16 = [&](size_t i) { return u8(i) | (u8(i + 1) << 8); };
  auto le32 = [&](size_t i) { return u8(i) | (u8(i + 1) << 8) | (u8(i + 2) << 16) | (u8(i + 3) << 24); };
  if (b.size() >= 24 && b.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0 && b.compare(12, 4, "IHDR") == 0) {
    width = static_cast<int>(std::min<uint32_t>(be32(16), INT32_MAX));
    height = static_cast<int>(std::min<uint32_t>(be32(20), INT32_MAX));
    return true;
  }
  if (b.size() >= 26 && b[0] == 'B' && b[1] == 'M') {
    width = static_cast<int>(le32(18));
    height = std::abs(static_cast<int>(le32(22)));  // negative: top-down rows
    return true;
  }
  if (b.size() >= 10 && (b.compare(0, 6, "GIF87a") == 0 || b.compare(0, 6, "GIF89a") == 0)) {
    width = static_cast<int>(le16(6));
    height = static_cast<int>(le16(8));
    return true;
  }
  if (b.size() >= 4 && u8(0) == 0xFF && u8(1) == 0xD8) {  // JPEG: walk the segments to a start-of-frame
    size_t i = 2;
    while (i + 9 < b.size()) {
      if (u8(i) != 0xFF) return false;
      const uint32_t marker = u8(i + 1);
      if (marker == 0xFF) { ++i; continue; }  // fill byte
      if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7)) { i += 2; continue; }
      const bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
      if (sof) {
        height = static_cast<int>(be16(i + 5));
        width = static_cast<int>(be16(i + 7));
        return true;
      }
      i += 2 + be16(i + 2);
    }
  }
  return false;
}

int image_header_bytes_per_pixel(const std::string& b) {
  auto u8 = [&](size_t i) { return static_cast<int>(static_cast<unsigned char>(b[i])); };
  if (b.size() >= 26 && b.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0 && b.compare(12, 4, "IHDR") == 0) {
    const int depth = u8(24) > 8 ? 2 : 1;
    switch (u8(25)) {  // colour type
      case 0: return depth;          // gray
      case 2: return 3 * depth;      // RGB
      case 3: return 3;              // palette, expanded to BGR
      case 4: return 2 * depth;      // gray + alpha
      case 6: return 4 * depth;      // RGBA
      default: return 8;
    }
  }
  if (b.size() >= 4 && u8(0) == 0xFF && u8(1) == 0xD8) {  // JPEG: components of the start-of-frame
    size_t i = 2;
    while (i + 9 < b.size()) {
      if (u8(i) != 0xFF) break;
      const int marker = u8(i + 1);
      if (marker == 0xFF) { ++i; continue; }
      if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7)) { i += 2; continue; }
      if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) return std::max(1, u8(i + 9));
      i += 2 + ((u8(i + 2) << 8) | u8(i + 3));
    }
  }
  return 4;
}

std::string image_truncation_warning(const std::string& b) {
  size_t end = b.size();
  while (end > 0 && (b[end - 1] == '\0' || b[end - 1] == '\n' || b[end - 1] == '\r')) --end;  // padding some writers add
  if (b.size() >= 4 && static_cast<unsigned char>(b[0]) == 0xFF && static_cast<unsigned char>(b[1]) == 0xD8) {
    if (end < 2 || static_cast<unsigned char>(b[end - 2]) != 0xFF || static_cast<unsigned char>(b[end - 1]) != 0xD9)
      return "JPEG cut short (no end-of-image marker): the missing part of the picture was filled in by the decoder";
  } else if (b.size() >= 8 && b.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0) {
    if (b.size() < 12 || b.find("IEND", b.size() >= 12 ? b.size() - 12 : 0) == std::string::npos)
      return "PNG cut short (no IEND chunk): the missing part of the picture was filled in by the decoder";
  }
  return "";
}

}  // namespace ferkit
