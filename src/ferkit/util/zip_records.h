// Checks the CRC-32 of every record of a zip file. LibTorch's archives (model.ferkit bundles,
// checkpoints) are zip files, but the miniz inside LibTorch is built without CRC checks, so a
// flipped byte in a tensor loads silently as a wrong weight. ferkit checks the records itself
// before handing a file to LibTorch.
#pragma once
#include <string>

namespace ferkit {

enum class ZipCheck { kNotZip, kIntact };

// kNotZip when the file has no zip end record (not an archive at all: the caller decides what
// that means); kIntact when every record's stored bytes match its CRC-32. Throws Error
// "PATH: damaged file: ..." naming the record when one does not, or when the directory points
// outside the file.
ZipCheck check_zip_records(const std::string& path);

}  // namespace ferkit
