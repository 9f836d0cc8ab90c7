// The Python module `ferkit`: the public C++ API (include/ferkit/) through pybind11.
//
//   import ferkit
//   model = ferkit.Model()                          # the default shipped model
//   for face in model.predict("photo.jpg"):         # or a numpy image (gray, or BGR as cv2 gives)
//       print(face["emotion"], face["confidence"], face["box"]["x"])
//   probs = model.predict_batch(crops)              # N x H x W uint8 face crops -> N x classes float32
//   summary = ferkit.train({"data": "data/ferplus", "out": "runs/a", "recipe": "cpu-fast"},
//                          progress=lambda p: print(p["epoch"], p["step"], p["loss"]))
//   scores = ferkit.evaluate("runs/a", "data/ferplus", split="valid", exclude_copies_of="train")
//
// Prediction, training and evaluation release the GIL, so other Python threads keep running; the
// progress callback takes it back for its call. Errors raise ferkit.Error (a RuntimeError) with
// the message the CLI prints; bad content of an input file raises its subclass ferkit.InputError.
#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <opencv2/core.hpp>

#include "ferkit/ferkit.h"

namespace py = pybind11;

namespace {

py::dict face_dict(const ferkit::Face& f) {
  py::dict probabilities;
  for (const auto& [name, p] : f.probabilities) probabilities[py::str(name)] = p;
  py::dict d;
  py::dict box;  // as `ferkit predict --json` writes a face
  box["x"] = f.box.x;
  box["y"] = f.box.y;
  box["width"] = f.box.width;
  box["height"] = f.box.height;
  d["box"] = box;
  d["emotion"] = f.emotion;
  d["confidence"] = f.confidence;
  d["probabilities"] = probabilities;
  return d;
}

py::list faces_list(const ferkit::PhotoResult& r) {
  py::list faces;
  for (const auto& f : r.faces) faces.append(face_dict(f));
  return faces;
}

py::object json_loads(const std::string& text) { return py::module_::import("json").attr("loads")(text); }

// A config value as `ferkit train` takes it on the command line.
std::string config_text(const py::handle& value) {
  if (py::isinstance<py::bool_>(value)) return value.cast<bool>() ? "true" : "false";
  if (py::isinstance<py::list>(value) || py::isinstance<py::tuple>(value)) {
    std::string joined;
    for (const auto& item : value) joined += (joined.empty() ? "" : ",") + config_text(item);
    return joined;
  }
  if (py::isinstance<py::str>(value)) return value.cast<std::string>();
  if (py::hasattr(value, "__fspath__")) return py::str(value.attr("__fspath__")()).cast<std::string>();
  return py::str(value).cast<std::string>();
}

// Arrays of another type are refused, not cast: a float image in [0, 1] cast to uint8 is black,
// and NaN or 1000.0 have no pixel value at all.
void require_uint8(const py::array& a, const std::string& what) {
  if (!a.dtype().is(py::dtype::of<std::uint8_t>()))
    throw ferkit::Error(what + ": the image must be a uint8 numpy array (0-255), not " + py::str(a.dtype()).cast<std::string>() +
                        " (a float image in [0, 1]: (image * 255).round().astype(numpy.uint8))");
}

ferkit::PhotoResult predict_array(const ferkit::Model& model, const py::array& image, const std::string& channels) {
  require_uint8(image, "predict");
  const auto a = py::array_t<std::uint8_t, py::array::c_style | py::array::forcecast>::ensure(image);
  if (!a) throw ferkit::Error("predict: the image must be a uint8 numpy array");
  int type = 0;
  if (a.ndim() == 2) {
    type = CV_8UC1;
  } else if (a.ndim() == 3 && (a.shape(2) == 1 || a.shape(2) == 3)) {
    type = a.shape(2) == 1 ? CV_8UC1 : CV_8UC3;
  } else {
    throw ferkit::Error("predict: the image must be H x W (gray) or H x W x 3 (" + channels + "), not of " +
                        std::to_string(a.ndim()) + " dimensions");
  }
  if (channels != "bgr" && channels != "rgb") throw ferkit::Error("predict: channels must be 'bgr' or 'rgb', not '" + channels + "'");
  const cv::Mat view(static_cast<int>(a.shape(0)), static_cast<int>(a.shape(1)), type, const_cast<std::uint8_t*>(a.data()));
  py::gil_scoped_release release;
  if (type == CV_8UC3 && channels == "rgb") {
    cv::Mat bgr;
    cv::Mat channels_of[3];
    cv::split(view, channels_of);
    std::swap(channels_of[0], channels_of[2]);
    cv::merge(channels_of, 3, bgr);
    return model.predict_image(bgr, "array");
  }
  return model.predict_image(view, "array");
}

}  // namespace

PYBIND11_MODULE(ferkit, m) {
  m.doc() = "ferkit: facial-expression recognition (models, prediction, training, evaluation)";
  auto error = py::register_exception<ferkit::Error>(m, "Error", PyExc_RuntimeError);
  py::register_exception<ferkit::InputError>(m, "InputError", error.ptr());

  py::class_<ferkit::Model>(m, "Model", "A trained model: a run folder, a model.ferkit bundle or a shipped model's name")
      .def(py::init([](const std::string& model, const std::string& detector, bool align, double margin, int threads) {
             ferkit::ModelOptions o;
             o.detector = detector;
             o.align = align;
             o.margin = margin;
             o.threads = threads;
             py::gil_scoped_release release;
             return std::make_unique<ferkit::Model>(model, o);
           }),
           py::arg("model") = "", py::kw_only(), py::arg("detector") = "default", py::arg("align") = true,
           py::arg("margin") = 0.1, py::arg("threads") = 0,
           "model: '' (the default shipped model), a shipped model's name, a run folder or a bundle; detector: "
           "default, dlib, tiny, haar, FILE.xml or none (the image is a face crop)")
      .def(
          "predict",
          [](const ferkit::Model& self, const py::object& image, const std::string& channels) {
            ferkit::PhotoResult r;
            if (py::isinstance<py::array>(image)) {
              r = predict_array(self, image.cast<py::array>(), channels);
            } else if (py::isinstance<py::str>(image) || py::hasattr(image, "__fspath__")) {
              const std::string path = config_text(image);
              py::gil_scoped_release release;
              r = self.predict_file(path);
            } else if (py::isinstance<py::bytes>(image)) {
              const std::string bytes = image.cast<std::string>();
              py::gil_scoped_release release;
              r = self.predict_bytes(bytes);
            } else {
              throw ferkit::Error("predict: give a file path, encoded image bytes or a uint8 numpy array");
            }
            return faces_list(r);
          },
          py::arg("image"), py::arg("channels") = "bgr",
          "The faces in an image (a path, encoded bytes, or a numpy array: H x W gray or H x W x 3 in `channels` "
          "order), largest first: dicts with box {x, y, width, height}, emotion, confidence and probabilities, as "
          "`ferkit predict --json` writes them")
      .def(
          "predict_batch",
          [](const ferkit::Model& self, const py::array& crops) {
            require_uint8(crops, "predict_batch");
            const auto a = py::array_t<std::uint8_t, py::array::c_style | py::array::forcecast>::ensure(crops);
            if (!a || a.ndim() != 3) throw ferkit::Error("predict_batch: give an N x H x W uint8 array of face crops");
            const auto n = a.shape(0);
            const auto classes = static_cast<py::ssize_t>(self.classes().size());
            py::array_t<float> out({n, classes});
            const std::uint8_t* in = a.data();
            float* dst = out.mutable_data();
            {
              py::gil_scoped_release release;
              self.predict_crops(in, n, static_cast<int>(a.shape(1)), static_cast<int>(a.shape(2)), dst);
            }
            return out;
          },
          py::arg("crops"),
          "Probabilities (N x classes, float32) of N gray face crops (N x H x W uint8), each taken whole as "
          "`ferkit predict --detector none` does")
      .def_property_readonly("classes", &ferkit::Model::classes)
      .def_property_readonly("path", &ferkit::Model::path)
      .def_property_readonly("detector", &ferkit::Model::detector);

  m.def(
      "train",
      [](const py::dict& config, const py::object& progress, bool resume, bool overwrite, int threads) {
        std::map<std::string, std::string> keys;
        for (const auto& [key, value] : config) keys[py::str(key).cast<std::string>()] = config_text(value);
        std::atomic<bool> stop{false};
        std::optional<py::error_already_set> raised;  // from the callback: stops training, raised after
        ferkit::TrainControl control;
        control.resume = resume;
        control.overwrite = overwrite;
        control.threads = threads;
        control.stop = &stop;
        control.progress = [&](const ferkit::TrainProgress& p) {
          py::gil_scoped_acquire acquire;
          if (raised) return;
          try {
            if (PyErr_CheckSignals() != 0) throw py::error_already_set();  // Ctrl-C in Python
            if (progress.is_none()) return;
            py::dict d;
            d["epoch"] = p.epoch;
            d["epochs"] = p.epochs;
            d["step"] = p.step;
            d["steps"] = p.steps;
            d["loss"] = p.loss;
            d["lr"] = p.lr;
            d["validated"] = p.validated;
            if (p.validated) {
              d["val_accuracy"] = p.val_accuracy;
              d["val_balanced_accuracy"] = p.val_balanced_accuracy;
              d["val_macro_f1"] = p.val_macro_f1;
              d["val_loss"] = p.val_loss;
            }
            progress(d);
          } catch (py::error_already_set& e) {
            raised.emplace(std::move(e));
            stop = true;
          }
        };
        std::optional<ferkit::RunResult> result;
        try {
          py::gil_scoped_release release;
          result = ferkit::train(keys, control);
        } catch (const ferkit::Error&) {
          if (raised) throw std::move(*raised);  // the callback's exception, not the stop it caused
          throw;
        }
        py::dict summary = json_loads(result->json);
        summary["run"] = result->run;
        summary["bundle"] = result->bundle;
        return summary;
      },
      py::arg("config"), py::arg("progress") = py::none(), py::kw_only(), py::arg("resume") = false,
      py::arg("overwrite") = false, py::arg("threads") = 0,
      "Trains as `ferkit train` does, the dict's keys being its flags without dashes ('recipe' included; "
      "values: str, numbers, bools, lists). progress(dict) is called after every batch and every validation; an "
      "exception it raises stops training and is raised here. Returns the run's summary.json as a dict, with "
      "'run' and 'bundle' added.");

  m.def(
      "evaluate",
      [](const std::string& model, const std::string& data, const std::string& split, const std::string& tta,
         const std::string& exclude_copies_of, int bootstrap, int image_size, bool resize, int threads) {
        ferkit::EvaluateOptions o;
        o.split = split;
        o.tta = tta;
        o.exclude_copies_of = exclude_copies_of;
        o.bootstrap = bootstrap;
        o.image_size = image_size;
        o.resize = resize;
        o.threads = threads;
        std::string json;
        {
          py::gil_scoped_release release;
          json = ferkit::evaluate(model, data, o).json;
        }
        return json_loads(json);
      },
      py::arg("model"), py::arg("data"), py::kw_only(), py::arg("split") = "test", py::arg("tta") = "none",
      py::arg("exclude_copies_of") = "", py::arg("bootstrap") = 1000, py::arg("image_size") = 0, py::arg("resize") = false,
      py::arg("threads") = 0,
      "Scores a model on a split of a data folder as `ferkit eval --json` does; returns its record as a dict "
      "(with 'without_copies' when exclude_copies_of is given)");

  m.def(
      "read_run_summary",
      [](const std::string& run) {
        const ferkit::RunResult r = ferkit::read_run_summary(run);
        py::dict summary = json_loads(r.json);
        summary["run"] = r.run;
        summary["bundle"] = r.bundle;
        return summary;
      },
      py::arg("run"), "A finished run folder's summary.json as a dict, with 'run' and 'bundle' added");
}
