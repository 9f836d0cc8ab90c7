// Puts a face where FER2013's registered faces have theirs: the similarity transform (rotation,
// uniform scale, shift; least squares) that maps the eyes and mouth found by the landmarks onto
// the template measured on FER+ training faces, then the crop at the model's stored size, gray,
// as the training images look.
#pragma once
#include <array>
#include <string>

#include <opencv2/core.hpp>

#include "ferkit/infer/dlib_faces.h"

namespace ferkit::infer {

// Left eye, right eye, mouth centres in the unit coordinates of a FER2013 crop (face_align.cpp
// says how they were measured).
extern const std::array<cv::Point2f, 3> kFer2013EyesAndMouth;

// The 2x3 similarity that maps `from` onto `to` in the least-squares sense (Umeyama, no reflection).
cv::Matx23d fit_similarity(const std::array<cv::Point2f, 3>& from, const std::array<cv::Point2f, 3>& to);

// How far a face's eyes and mouth are from the template's shape once the best similarity is
// applied: the mean distance of the three points, in units of the template's eye distance. On
// FER+ training faces: median 0.03, 99th percentile 0.11, largest 0.17 (bench/face_template.cpp);
// a landmark fit on something that is not a face lands far off.
double template_misfit(const Landmarks& landmarks);

// The aligned side x side crop (the image's border replicated where the face reaches beyond it).
cv::Mat align_face(const cv::Mat& gray, const Landmarks& landmarks, int side);

}  // namespace ferkit::infer
