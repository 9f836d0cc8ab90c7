// A program that embeds ferkit: the default shipped model finds the faces in a photo and names
// their emotions. Build it against an installed ferkit with this folder's CMakeLists.txt.
#include <iostream>

#include <ferkit/model.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: embed PHOTO\n";
    return 2;
  }
  try {
    const ferkit::Model model;  // the default shipped model and face detector
    const ferkit::PhotoResult photo = model.predict_file(argv[1]);
    std::cout << photo.source << ": " << photo.faces.size() << " face(s) with " << model.path() << "\n";
    for (const ferkit::Face& face : photo.faces) {
      std::cout << "face at " << face.box.x << "," << face.box.y << " (" << face.box.width << "x" << face.box.height
                << "): " << face.emotion << " " << face.confidence << "\n";
      for (const auto& [emotion, probability] : face.probabilities) std::cout << "  " << emotion << " " << probability << "\n";
    }
  } catch (const ferkit::Error& e) {
    std::cerr << "embed: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
