#include "ferkit/train/history.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace ferkit {

ValFigures figures(const Metrics& m) { return {m.loss, m.accuracy, m.balanced_accuracy, m.macro_f1, m.recall}; }

namespace {
nlohmann::json to_json(const ValFigures& v) {
  return {{"loss", v.loss}, {"accuracy", v.accuracy}, {"balanced_accuracy", v.balanced_accuracy}, {"macro_f1", v.macro_f1}, {"recall", v.recall}};
}
ValFigures val_from_json(const nlohmann::json& j) {
  ValFigures v;
  v.loss = j.at("loss");
  v.accuracy = j.at("accuracy");
  v.balanced_accuracy = j.at("balanced_accuracy");
  v.macro_f1 = j.at("macro_f1");
  v.recall = j.at("recall").get<std::array<double, kNumEmotions>>();
  return v;
}
}  // namespace

std::string history_to_json(const std::vector<EpochRow>& rows) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& r : rows) {
    nlohmann::json j = {{"epoch", r.epoch}, {"lr", r.lr}, {"train_loss", r.train_loss}, {"train_acc", r.train_acc},
                        {"seconds", r.seconds}, {"val", to_json(r.val)}};
    if (r.has_ema) j["ema"] = to_json(r.ema);
    a.push_back(j);
  }
  return a.dump();
}
std::vector<EpochRow> history_from_json(const std::string& text) {
  std::vector<EpochRow> rows;
  if (text.empty()) return rows;
  for (const auto& j : nlohmann::json::parse(text)) {
    EpochRow r;
    r.epoch = j.at("epoch");
    r.lr = j.at("lr");
    r.train_loss = j.at("train_loss");
    r.train_acc = j.at("train_acc");
    r.seconds = j.at("seconds");
    r.val = val_from_json(j.at("val"));
    r.has_ema = j.contains("ema");
    if (r.has_ema) r.ema = val_from_json(j.at("ema"));
    rows.push_back(r);
  }
  return rows;
}

std::string metrics_csv(const std::vector<EpochRow>& rows) {
  std::string out = "epoch,lr,train_loss,train_acc,val_loss,val_acc,val_balanced_acc,val_macro_f1";
  for (int k = 0; k < kNumEmotions; ++k) out += fmt::format(",val_recall_{}", emotion_name(k));
  out += ",ema_val_loss,ema_val_acc,ema_val_balanced_acc,ema_val_macro_f1,seconds\n";
  for (const auto& r : rows) {
    out += fmt::format("{},{:.6g},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f}", r.epoch, r.lr, r.train_loss, r.train_acc,
                       r.val.loss, r.val.accuracy, r.val.balanced_accuracy, r.val.macro_f1);
    for (double rec : r.val.recall) out += fmt::format(",{:.6f}", rec);
    out += r.has_ema ? fmt::format(",{:.6f},{:.6f},{:.6f},{:.6f}", r.ema.loss, r.ema.accuracy, r.ema.balanced_accuracy, r.ema.macro_f1)
                     : std::string(",,,,");
    out += fmt::format(",{:.2f}\n", r.seconds);
  }
  return out;
}


}  // namespace ferkit
