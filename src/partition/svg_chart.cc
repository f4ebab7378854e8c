#include "partition/svg_chart.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>

namespace skyrun::partition {
namespace {

struct Series {
  const char* label;
  const char* color;
  const char* dash;                                     // stroke-dasharray, "" for solid
  std::function<double(const ExperimentPoint&)> value;  // percent of even
};

constexpr double kPanelW = 300, kPanelH = 220, kLeft = 70, kTop = 70, kGapX = 40, kGapY = 80;
constexpr double kYMin = 30, kYMax = 105;

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '&')
      out += "&amp;";
    else
      out += c;
  }
  return out;
}

}  // namespace

std::string ExperimentSvg(const ExperimentResult& r) {
  const auto& layers = r.config.encoder_layers;
  const auto& devices = r.config.device_counts;
  const int cols = static_cast<int>(layers.size());
  const double width = kLeft + cols * kPanelW + (cols - 1) * kGapX + 180;
  const double height = kTop + 2 * kPanelH + kGapY + 70;
  std::vector<Series> pipelined = {
      {"even", "#888888", "6,4", [](const ExperimentPoint&) { return 100.0; }},
      {"heuristic", "#e08214", "", [](const ExperimentPoint& p) { return 100.0 - p.heuristic_cut; }},
      {"exact (given order)", "#2166ac", "", [](const ExperimentPoint& p) { return 100.0 - p.exact_cut; }},
      {"free order", "#1b7837", "2,3", [](const ExperimentPoint& p) { return 100.0 - p.ordered_cut; }},
      {"lower bound", "#000000", "8,3,2,3",
       [](const ExperimentPoint& p) { return 100.0 - p.lower_bound_cut; }},
  };
  std::vector<Series> sequential = {
      {"even", "#888888", "6,4", [](const ExperimentPoint&) { return 100.0; }},
      {"heuristic", "#e08214", "", [](const ExperimentPoint& p) { return 100.0 - p.heuristic_seq_cut; }},
      {"exact (given order)", "#2166ac", "",
       [](const ExperimentPoint& p) { return 100.0 - p.exact_seq_cut; }},
      {"free order", "#1b7837", "2,3", [](const ExperimentPoint& p) { return 100.0 - p.ordered_seq_cut; }},
  };

  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{:.0f}\" height=\"{:.0f}\" viewBox=\"0 0 {:.0f} "
      "{:.0f}\" "
      "font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
      width, height, width, height);
  svg += fmt::format(
      "<text x=\"{:.0f}\" y=\"24\" font-size=\"16\" font-weight=\"bold\">BERT-large layer partition over "
      "heterogeneous devices: time per iteration vs even ({} seeds per point)</text>\n",
      kLeft, r.config.seeds);
  svg += fmt::format(
      "<text x=\"{:.0f}\" y=\"44\" fill=\"#444\">slowness 1+U{{1..6}} per device as in the released Sky "
      "Computing "
      "code; memory caps from 16-80 GiB GPU classes; lower is better</text>\n",
      kLeft);

  auto panel = [&](int col, int row, const std::vector<Series>& series, const std::string& title) {
    const double x0 = kLeft + col * (kPanelW + kGapX);
    const double y0 = kTop + row * (kPanelH + kGapY);
    auto px = [&](size_t i) {
      return devices.size() == 1 ? x0 + kPanelW / 2
                                 : x0 + 20 + (kPanelW - 40) * static_cast<double>(i) / (devices.size() - 1);
    };
    auto py = [&](double v) {
      v = std::clamp(v, kYMin, kYMax);
      return y0 + kPanelH - (v - kYMin) / (kYMax - kYMin) * kPanelH;
    };
    svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-weight=\"bold\">{}</text>\n", x0, y0 - 10,
                       Escape(title));
    svg += fmt::format(
        "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"none\" "
        "stroke=\"#333\"/>\n",
        x0, y0, kPanelW, kPanelH);
    for (double v = 40; v <= 100; v += 10) {
      svg += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>\n",
                         x0, py(v), x0 + kPanelW, py(v));
      if (col == 0) {
        svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{:.0f}%</text>\n", x0 - 6,
                           py(v) + 4, v);
      }
    }
    for (size_t i = 0; i < devices.size(); ++i) {
      svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n", px(i),
                         y0 + kPanelH + 16, devices[i]);
    }
    svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">devices</text>\n",
                       x0 + kPanelW / 2, y0 + kPanelH + 32);
    for (const Series& s : series) {
      std::string points;
      std::vector<std::pair<double, double>> xy;
      for (size_t i = 0; i < devices.size(); ++i) {
        for (const auto& p : r.points) {
          if (p.devices == devices[i] && p.layers == layers[col]) xy.push_back({px(i), py(s.value(p))});
        }
      }
      for (auto [x, y] : xy) points += fmt::format("{:.1f},{:.1f} ", x, y);
      svg += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"{}/>\n",
                         points, s.color, *s.dash ? fmt::format(" stroke-dasharray=\"{}\"", s.dash) : "");
      for (auto [x, y] : xy) {
        svg += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\"/>\n", x, y, s.color);
      }
    }
    if (row == 0 && layers[col] == 160) {
      for (size_t i = 0; i < devices.size(); ++i) {
        if (devices[i] != 64) continue;
        double y = py(100.0 - kSeedReductionPercent);
        svg += fmt::format("<path d=\"M {:.1f} {:.1f} l 6 6 l -6 6 l -6 -6 z\" fill=\"#d6604d\"/>\n", px(i),
                           y - 6);
        svg += fmt::format(
            "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\" fill=\"#d6604d\">seed: -55%</text>\n",
            px(i) - 8, y + 4);
      }
    }
  };
  for (int col = 0; col < cols; ++col) {
    panel(col, 0, pipelined, fmt::format("{} layers: pipelined (bottleneck)", layers[col]));
    panel(col, 1, sequential, fmt::format("{} layers: sequential (sum of stages)", layers[col]));
  }
  // Legend.
  const double lx = kLeft + cols * (kPanelW + kGapX) - kGapX + 20;
  double ly = kTop + 10;
  for (const Series& s : pipelined) {
    svg += fmt::format(
        "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"{}\" "
        "stroke-width=\"2\"{}/>\n",
        lx, ly, lx + 28, ly, s.color, *s.dash ? fmt::format(" stroke-dasharray=\"{}\"", s.dash) : "");
    svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text>\n", lx + 34, ly + 4, Escape(s.label));
    ly += 20;
  }
  svg +=
      fmt::format("<path d=\"M {:.1f} {:.1f} l 6 6 l -6 6 l -6 -6 z\" fill=\"#d6604d\"/>\n", lx + 14, ly - 6);
  svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\">seed 000 (64 x 160)</text>\n", lx + 34, ly + 4);
  svg +=
      fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" fill=\"#444\">y: % of even's time</text>\n", lx, ly + 30);
  svg += "</svg>\n";
  return svg;
}

}  // namespace skyrun::partition
