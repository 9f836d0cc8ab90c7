// ferkit_bench: every benchmark of bench/ as one program, one subcommand each (one link, one
// build step instead of ten); bench/run.sh runs them side by side with their Python peers.
//   ferkit_bench NAME ARGS...   (ferkit_bench alone lists the names)
#include <cstdio>
#include <cstring>
#include <map>
#include <string>

int bench_load_data_main(int argc, char** argv);
int bench_backbones_main(int argc, char** argv);
int bench_serve_load_main(int argc, char** argv);
int bench_step_main(int argc, char** argv);
int bench_dist_main(int argc, char** argv);
int bench_predict_photo_main(int argc, char** argv);
int bench_face_template_main(int argc, char** argv);
int bench_photo_path_main(int argc, char** argv);
int bench_model_latency_main(int argc, char** argv);
int bench_serve_faults_main(int argc, char** argv);

int main(int argc, char** argv) {
  using Main = int (*)(int, char**);
  const std::map<std::string, Main> benchmarks = {
      {"load_data", bench_load_data_main},
      {"backbones", bench_backbones_main},
      {"serve_load", bench_serve_load_main},
      {"step", bench_step_main},
      {"dist", bench_dist_main},
      {"predict_photo", bench_predict_photo_main},
      {"face_template", bench_face_template_main},
      {"photo_path", bench_photo_path_main},
      {"model_latency", bench_model_latency_main},
      {"serve_faults", bench_serve_faults_main}};
  if (argc >= 2) {
    const auto it = benchmarks.find(argv[1]);
    if (it != benchmarks.end()) return it->second(argc - 1, argv + 1);  // argv[0] is then the benchmark's name
    std::fprintf(stderr, "ferkit_bench: unknown benchmark '%s'\n", argv[1]);
  }
  std::fprintf(stderr, "usage: ferkit_bench NAME ARGS...; the benchmarks:");
  for (const auto& [name, run] : benchmarks) std::fprintf(stderr, " %s", name.c_str());
  std::fprintf(stderr, "\n");
  return 2;
}
