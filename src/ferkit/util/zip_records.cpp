#include "ferkit/util/zip_records.h"

#include <cstdint>
#include <cstring>
#include <string>

#include <fmt/format.h>
#include <zlib.h>

#include "ferkit/util/error.h"
#include "ferkit/util/fs.h"

namespace ferkit {

namespace {

uint32_t u32(const std::string& b, uint64_t at) {
  uint32_t v;
  std::memcpy(&v, b.data() + at, 4);
  return v;  // zip is little-endian, as every machine ferkit runs on
}
uint16_t u16(const std::string& b, uint64_t at) {
  uint16_t v;
  std::memcpy(&v, b.data() + at, 2);
  return v;
}
uint64_t u64(const std::string& b, uint64_t at) {
  uint64_t v;
  std::memcpy(&v, b.data() + at, 8);
  return v;
}

constexpr uint32_t kEndRecord = 0x06054b50, kZip64EndRecord = 0x06064b50, kZip64Locator = 0x07064b50;
constexpr uint32_t kCentralHeader = 0x02014b50, kLocalHeader = 0x04034b50;

// The CRC-32 of a deflated record's inflated bytes (LibTorch deflates the small code records).
template <typename MakeError>
uLong inflated_crc(const char* data, uint64_t size, MakeError&& make_error) {
  z_stream z{};
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK) throw make_error("zlib cannot start");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
  z.avail_in = static_cast<uInt>(std::min<uint64_t>(size, 1u << 30));
  uLong crc = crc32(0L, Z_NULL, 0);
  std::string out(1 << 16, '\0');
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&z);
      throw make_error("its deflated bytes do not inflate (" + std::string(z.msg ? z.msg : "zlib error") + ")");
    }
    crc = crc32(crc, reinterpret_cast<const Bytef*>(out.data()), static_cast<uInt>(out.size() - z.avail_out));
    if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0) {
      inflateEnd(&z);
      throw make_error("its deflated bytes end early");
    }
  }
  inflateEnd(&z);
  return crc;
}

}  // namespace

ZipCheck check_zip_records(const std::string& path) {
  const std::string b = read_text_file(path);
  auto damaged = [&](const std::string& what) { return Error(path + ": damaged file: " + what); };
  // The end record is in the last 64 KiB + 22 bytes (its comment is at most 64 KiB).
  if (b.size() < 22) return ZipCheck::kNotZip;
  int64_t end = -1;
  for (int64_t at = static_cast<int64_t>(b.size()) - 22; at >= 0 && at >= static_cast<int64_t>(b.size()) - 22 - 65535; --at)
    if (u32(b, at) == kEndRecord) { end = at; break; }
  if (end < 0) return ZipCheck::kNotZip;
  uint64_t entries = u16(b, end + 10), dir_offset = u32(b, end + 16);
  // Zip64: the locator just before the end record points at the zip64 end record.
  if (end >= 20 && u32(b, end - 20) == kZip64Locator) {
    const uint64_t at = u64(b, end - 20 + 8);
    if (at + 56 > b.size() || u32(b, at) != kZip64EndRecord) throw damaged("the zip64 end record is not where its locator says");
    entries = u64(b, at + 32);
    dir_offset = u64(b, at + 48);
  }
  uint64_t at = dir_offset;
  std::string first_folder;
  for (uint64_t k = 0; k < entries; ++k) {
    if (at + 46 > b.size() || u32(b, at) != kCentralHeader) throw damaged(fmt::format("the zip directory is broken at entry {}", k + 1));
    const uint16_t method = u16(b, at + 10), name_len = u16(b, at + 28), extra_len = u16(b, at + 30), comment_len = u16(b, at + 32);
    const uint32_t crc = u32(b, at + 16);
    uint64_t compressed = u32(b, at + 20), local = u32(b, at + 42);
    if (at + 46 + name_len + extra_len > b.size()) throw damaged(fmt::format("the zip directory is cut short at entry {}", k + 1));
    const std::string name = b.substr(at + 46, name_len);
    // Sizes and offsets that do not fit 32 bits are in the zip64 extra field (id 1), in this order.
    for (uint64_t e = at + 46 + name_len; e + 4 <= at + 46 + name_len + extra_len;) {
      const uint16_t id = u16(b, e), len = u16(b, e + 2);
      if (id == 1) {
        uint64_t f = e + 4;
        if (u32(b, at + 24) == 0xFFFFFFFFu) f += 8;  // uncompressed size comes first
        if (compressed == 0xFFFFFFFFu) compressed = u64(b, f), f += 8;
        if (local == 0xFFFFFFFFu) local = u64(b, f);
      }
      e += 4 + len;
    }
    if (method != 0 && method != 8) throw damaged(fmt::format("record {} uses compression method {} (zip readers know 0 and 8)", name, method));
    if (local + 30 > b.size() || u32(b, local) != kLocalHeader) throw damaged(fmt::format("record {} has no local header where the directory says", name));
    // The directory's name and the record's own must agree, and a LibTorch archive keeps every
    // record under one folder: a renamed record makes LibTorch's TorchScript loader call
    // std::terminate when it looks for it (found by fuzz/).
    const uint16_t local_name_len = u16(b, local + 26);
    if (local + 30 + local_name_len > b.size() || b.compare(local + 30, local_name_len, name) != 0)
      throw damaged(fmt::format("record {} is named differently in the directory and in the record", name));
    const std::string folder = name.substr(0, name.find('/') + 1);
    if (k == 0) first_folder = folder;
    if (folder.empty() || folder != first_folder)
      throw damaged(fmt::format("record {} is not under the archive's folder {}", name, first_folder));
    const uint64_t data = local + 30 + u16(b, local + 26) + u16(b, local + 28);
    if (data + compressed > b.size()) throw damaged(fmt::format("record {} runs past the end of the file (truncated?)", name));
    uLong computed = crc32(0L, Z_NULL, 0);
    if (method == 0) {
      for (uint64_t off = 0; off < compressed;) {  // zlib takes at most 4 GiB a call
        const uInt n = static_cast<uInt>(std::min<uint64_t>(compressed - off, 1u << 30));
        computed = crc32(computed, reinterpret_cast<const Bytef*>(b.data() + data + off), n);
        off += n;
      }
    } else {
      computed = inflated_crc(b.data() + data, compressed, [&](const std::string& why) { return damaged("record " + name + ": " + why); });
    }
    if (computed != crc)
      throw damaged(fmt::format("record {} fails its CRC-32 check (stored {:08x}, computed {:08x}): the file was changed "
                                "after it was written", name, crc, static_cast<uint32_t>(computed)));
    at += 46 + name_len + extra_len + comment_len;
  }
  return ZipCheck::kIntact;
}

}  // namespace ferkit
