// The page `ferkit serve` answers at /: choose or drop a photo, or use the webcam where the
// browser allows, and see each face boxed with its emotion and a bar per class. Self-contained
// (no external scripts, styles or fonts); it calls the JSON API (POST /v1/predict).
#pragma once

namespace ferkit::serve {

extern const char* const kTryItPage;

}  // namespace ferkit::serve
