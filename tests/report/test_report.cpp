// The reports: base64 against RFC 4648's vectors, metrics.csv read tolerantly, the charts written
// as real PNG files, and the pages of a real (short) run, whole and damaged.
#include <filesystem>
#include <regex>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ferkit/data/synth.h"
#include "ferkit/report/html.h"
#include "ferkit/report/html_page.h"
#include "ferkit/report/plots.h"
#include "ferkit/report/run_files.h"
#include "ferkit/train/trainer.h"
#include "ferkit/util/error.h"
#include "ferkit/util/fs.h"
#include "test_util.h"

namespace ferkit {
namespace {
namespace fs = std::filesystem;

// PNG signature and the IHDR width and height.
void expect_png(const std::string& path, int width, int height) {
  ASSERT_TRUE(fs::exists(path)) << path;
  const std::string b = read_text_file(path);
  ASSERT_GT(b.size(), 1000u) << path;
  EXPECT_EQ(b.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8)) << path;
  auto be32 = [&](size_t at) {
    return (static_cast<uint8_t>(b[at]) << 24) | (static_cast<uint8_t>(b[at + 1]) << 16) |
           (static_cast<uint8_t>(b[at + 2]) << 8) | static_cast<uint8_t>(b[at + 3]);
  };
  EXPECT_EQ(be32(16), static_cast<uint32_t>(width)) << path;
  EXPECT_EQ(be32(20), static_cast<uint32_t>(height)) << path;
}

TEST(Report, Base64MatchesRfc4648) {
  EXPECT_EQ(html::base64(""), "");
  EXPECT_EQ(html::base64("f"), "Zg==");
  EXPECT_EQ(html::base64("fo"), "Zm8=");
  EXPECT_EQ(html::base64("foo"), "Zm9v");
  EXPECT_EQ(html::base64("foob"), "Zm9vYg==");
  EXPECT_EQ(html::base64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(html::base64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(html::base64(std::string("\xff\x00\xfe", 3)), "/wD+");
  EXPECT_EQ(html::escape("<a href=\"x\">&</a>"), "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;");
}

TEST(Report, TruncatedMetricsCsvKeepsTheGoodRowsAndSaysWhere) {
  std::vector<std::string> problems;
  const auto t = parse_metrics_csv("epoch,lr,val_acc\n1,0.1,0.5\n2,0.05,0.6\n3,0.0", "m.csv", problems);
  EXPECT_EQ(t.size(), 2u);
  EXPECT_EQ(column(t, [](const EpochRecord& e) { return e.val.accuracy; }), (std::vector<double>{0.5, 0.6}));
  EXPECT_TRUE(std::isnan(t[0].val.loss));  // a column the file does not have
  EXPECT_FALSE(t[0].ema.has_value());
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("m.csv:4"), std::string::npos) << problems[0];
  EXPECT_NE(problems[0].find("2 fields"), std::string::npos) << problems[0];

  problems.clear();
  const auto bad = parse_metrics_csv("epoch,val_acc\n1,0.5\n2,abc\n", "m.csv", problems);
  EXPECT_EQ(bad.size(), 1u);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("m.csv:3: column val_acc is 'abc'"), std::string::npos) << problems[0];
}

TEST(Report, ChartsAreRealPngFiles) {
  test::TempDir tmp;
  plots::LineChart c{"loss", "epoch", "loss", {}};
  c.lines.push_back({"train", {1, 2, 3}, {1.0, 0.7, 0.5}, "", false});
  c.lines.push_back({"val_x", {1, 2, 3}, {1.1, NAN, 0.6}, "", true});  // a gap and an underscore
  plots::line_charts(tmp / "curves.png", {c, c}, 900, 300);
  expect_png(tmp / "curves.png", 900, 300);
  Confusion cm{};
  for (int i = 0; i < kNumEmotions; ++i) cm[i][i] = 10 + i, cm[i][(i + 1) % kNumEmotions] = 3;
  std::vector<std::string> names;
  for (int i = 0; i < kNumEmotions; ++i) names.push_back(emotion_name(i));
  plots::confusion_heatmap(tmp / "cm.png", cm, names, "confusion");
  expect_png(tmp / "cm.png", 820, 760);
  plots::bar_chart(tmp / "bars.png", "recall", "%", names, {{"recall", std::vector<double>(8, 0.5), std::vector<Interval>(8, {0.3, 0.7}), ""}},
                   true);
  expect_png(tmp / "bars.png", 1000, 460);
  plots::reliability_diagram(tmp / "rel.png", {{0.0, 0.5, 3, 0.4, 0.33}, {0.5, 1.0, 0, 0, 0}}, 0.07);
  expect_png(tmp / "rel.png", 620, 560);
  // no temporary files left beside them
  int files = 0;
  for (auto it = fs::directory_iterator(tmp.path()); it != fs::directory_iterator(); ++it) ++files;
  EXPECT_EQ(files, 4);
}

class RunReport : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new test::TempDir();
    SynthConfig sc;
    sc.out = *tmp_ / "data";
    sc.scale = 0.1;
    write_synthetic_dataset(sc);
    // one train image copied over a valid one: the audit at training start finds it, the report draws it
    fs::copy_file(fs::path(sc.out) / "FER2013Train" / "fer0000003.png", fs::path(sc.out) / "FER2013Valid" / "fer0000000.png",
                  fs::copy_options::overwrite_existing);
    TrainConfig c;
    c.data = sc.out;
    c.out = *tmp_ / "run";
    c.epochs = 2;
    c.width = 0.25;
    c.workers = 1;
    c.ema_decay = 0.9;
    c.posthoc_tau = parse_posthoc_tau("auto");
    run_training(c);
    write_run_report(c.out);  // as `ferkit train` does at the end
    c.out = *tmp_ / "run2";
    c.epochs = 1;
    c.posthoc_tau = parse_posthoc_tau("0");  // set by hand (to nothing): the report must not say a split chose it
    run_training(c);
    write_run_report(c.out);
  }
  static void TearDownTestSuite() { delete tmp_; }
  static test::TempDir* tmp_;
};
test::TempDir* RunReport::tmp_ = nullptr;

// The <img> tags of a page and whether each holds an inlined PNG.
std::vector<std::string> images_of(const std::string& page) {
  std::vector<std::string> srcs;
  const std::regex img("<img alt=\"[^\"]*\" src=\"([^\"]{0,40})");
  for (auto it = std::sregex_iterator(page.begin(), page.end(), img); it != std::sregex_iterator(); ++it)
    srcs.push_back((*it)[1]);
  return srcs;
}

TEST_F(RunReport, DamagedFilesAreListed) {
  const std::string run = *tmp_ / "no-best-bad-summary";
  fs::copy(*tmp_ / "run", run, fs::copy_options::recursive);
  fs::remove(run + "/checkpoints/best.pt");
  test::write_file(run + "/summary.json", "{ \"epochs\": ");  // cut short
  const RunFiles r = read_run(run);
  std::string all;
  for (const auto& p : r.problems) all += p + "\n";
  EXPECT_NE(all.find("checkpoints/best.pt is missing"), std::string::npos) << all;
  EXPECT_NE(all.find("summary.json: not valid JSON"), std::string::npos) << all;
  EXPECT_FALSE(r.summary.has_value());
  EXPECT_NO_THROW(write_run_report(run));  // the report still draws the rest
}

TEST_F(RunReport, TrainingWritesACompleteSelfContainedReport) {
  const std::string run = *tmp_ / "run";
  const std::string page = test_read(run + "/report.html");
  for (const char* id : {"summary", "curves", "stability", "classes", "confusion", "calibration", "distribution", "posthoc",
                         "audit", "warnings", "config"})
    EXPECT_NE(page.find(std::string("id=\"") + id + "\""), std::string::npos) << id;
  const auto imgs = images_of(page);
  // curves, recall per epoch, recall bars, confusion, reliability, distribution, post-hoc, duplicate pairs
  EXPECT_EQ(imgs.size(), 8u);
  EXPECT_NE(page.find("1 of 80 valid images (1.2%) have an exact copy in another split"), std::string::npos);
  for (const auto& src : imgs) EXPECT_EQ(src.rfind("data:image/png;base64,iVBORw0KGgo", 0), 0u) << src;
  EXPECT_EQ(page.find("id=\"problems\""), std::string::npos);  // nothing missing
  EXPECT_EQ(page.find("src=\"plots/"), std::string::npos);     // nothing linked
  for (const char* png : {"curves", "confusion", "recall", "reliability", "class_distribution", "posthoc"})
    expect_png(run + "/plots/" + png + ".png", png == std::string("curves") ? 1500 : png == std::string("confusion") ? 820
                                                  : png == std::string("reliability")                             ? 620
                                                                                                                  : 1000,
               png == std::string("confusion") ? 760 : png == std::string("reliability") ? 560 : 460);
}

// The report says where the epoch and tau were chosen: here on the validation split (auto), and
// by nobody for a tau set in the configuration.
TEST_F(RunReport, SaysWhichSplitChoseTheEpochAndTau) {
  const std::string chosen = test_read(*tmp_ / "run/report.html");
  EXPECT_NE(chosen.find("by accuracy, chosen on the validation split"), std::string::npos);
  EXPECT_NE(chosen.find("Tau was chosen on this validation split"), std::string::npos);
  const std::string set = test_read(*tmp_ / "run2/report.html");
  EXPECT_NE(set.find("post-hoc logit adjustment tau 0.0 (set, chosen on nothing)"), std::string::npos);
  EXPECT_NE(set.find("Tau was set in the configuration, not chosen on any split."), std::string::npos);
  EXPECT_EQ(set.find("Tau was chosen"), std::string::npos);
  EXPECT_NE(test_read(*tmp_ / "run2/summary.json").find("\"posthoc_tau_chosen\": false"), std::string::npos);

  // A summary from before posthoc_tau_chosen: config.yaml tells a number from auto.
  for (const char* run : {"run", "run2"}) {
    const std::string old = *tmp_ / (std::string("old-") + run);
    fs::copy(*tmp_ / run, old, fs::copy_options::recursive);
    auto j = nlohmann::json::parse(test_read(old + "/summary.json"));
    j.erase("posthoc_tau_chosen");
    test::write_file(old + "/summary.json", j.dump());
    const std::string page = test_read(write_run_report(old));
    EXPECT_EQ(page.find("Tau was set in the configuration") != std::string::npos, run == std::string("run2")) << run;
  }
}

TEST_F(RunReport, ADamagedRunShowsWhatItCanAndSaysWhatIsMissing) {
  const fs::path run = fs::path(*tmp_ / "damaged");
  fs::create_directories(run);
  fs::copy_file(*tmp_ / "run/config.yaml", run / "config.yaml");
  std::string csv = test_read(*tmp_ / "run/metrics.csv");
  csv = csv.substr(0, csv.size() - 20);  // the last row cut short
  test::write_file((run / "metrics.csv").string(), csv);
  const std::string out = write_run_report(run.string());
  const std::string page = test_read(out);
  EXPECT_NE(page.find("id=\"problems\""), std::string::npos);
  EXPECT_NE(page.find("summary.json is missing"), std::string::npos);
  EXPECT_NE(page.find("checkpoints/last.pt is missing"), std::string::npos);
  EXPECT_NE(page.find("metrics.csv:3:"), std::string::npos);  // the truncated row, by line
  EXPECT_NE(page.find("The run has not finished"), std::string::npos);
  EXPECT_EQ(images_of(page).size(), 2u);  // the curves of the one good epoch
}

TEST_F(RunReport, NotARunFolderIsAnError) {
  test::TempDir empty;
  EXPECT_THROW(write_run_report(empty.str()), Error);
  EXPECT_THROW(write_run_report(empty / "nope"), Error);
  EXPECT_FALSE(fs::exists(empty / "report.html"));
}

TEST_F(RunReport, CompareShowsEveryRun) {
  const std::string out = *tmp_ / "compare.html";
  write_compare_report({*tmp_ / "run", *tmp_ / "run2"}, out);
  const std::string page = test_read(out);
  EXPECT_NE(page.find("<td>run</td>"), std::string::npos);
  EXPECT_NE(page.find("<td>run2</td>"), std::string::npos);
  EXPECT_NE(page.find("Noise floor"), std::string::npos);
  EXPECT_EQ(images_of(page).size(), 1u);
  EXPECT_THROW(write_compare_report({*tmp_ / "run", *tmp_ / "missing"}, *tmp_ / "c2.html"), Error);
  EXPECT_FALSE(fs::exists(*tmp_ / "c2.html"));
}

}  // namespace
}  // namespace ferkit
