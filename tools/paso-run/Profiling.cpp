//===- Profiling.cpp - paso-run --profile and --trace ---------------------===//

#include "Profiling.h"

#include "paso/Runtime/Json.h"
#include "paso/Runtime/paso_model.h"


#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

using namespace paso;
using json::Value;

namespace {

int fail(const std::string &message) {
  std::fprintf(stderr, "paso-run: error: %s\n", message.c_str());
  return 1;
}

/// The value at fraction `q` of sorted `values` (nearest rank).
double quantile(std::vector<double> values, double q) {
  if (values.empty())
    return 0;
  std::sort(values.begin(), values.end());
  size_t index = size_t(std::lround(q * double(values.size() - 1)));
  return values[std::min(index, values.size() - 1)];
}

Value spread(const std::vector<double> &values) {
  Value v = Value::makeObject();
  v.set("median", quantile(values, 0.5));
  v.set("min", quantile(values, 0));
  v.set("p10", quantile(values, 0.1));
  v.set("p90", quantile(values, 0.9));
  v.set("max", quantile(values, 1));
  return v;
}

bool writeFile(const std::string &path, const std::string &text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  return bool(out);
}

/// "#3 gemm conv1 (Conv)" for a trace slice and the table.
std::string label(const Value &kernel) {
  std::string text = "#" + std::to_string(long(kernel.numberOr("id", 0))) +
                     " " + kernel.stringOr("class", "?");
  if (const Value *nodes = kernel.get("onnx_nodes"))
    if (nodes->kind == Value::Array && !nodes->array.empty() &&
        nodes->array[0].kind == Value::String)
      text += " " + nodes->array[0].string;
  return text;
}

} // namespace

int paso::run::profileModel(const ModelApi &api,
                            const std::function<int()> &runOnce,
                            const ProfileOptions &options) {
  auto kernelTable = api.kernelTable;
  auto enable = api.profileEnable;
  auto read = api.profileRead;
  auto counters = api.profileCounters;
  auto traceEvents = api.profileTrace;
  Value table;
  std::string error;
  if (!json::parse(kernelTable(), table, error) ||
      table.kind != Value::Object || !table.get("kernels") ||
      table.get("kernels")->kind != Value::Array)
    return fail("'" + options.modelPath + "' carries a broken kernel table (" +
                error + ")");
  std::vector<Value> *kernelList = nullptr;
  for (auto &member : table.object)
    if (member.first == "kernels")
      kernelList = &member.second.array;
  std::vector<Value> &kernels = *kernelList;

  // Counters are read with system calls around every kernel, which would
  // add to the run's time: times come from runs without them, counters
  // from runs of their own.
  enable(PASO_PROFILE_COUNTERS);
  const char *names[PASO_PROFILE_MAX_COUNTERS] = {};
  int32_t errors[PASO_PROFILE_MAX_COUNTERS] = {};
  int numCounters =
      std::min<int>(counters(names, errors, PASO_PROFILE_MAX_COUNTERS),
                    PASO_PROFILE_MAX_COUNTERS);
  const int numValues = 2 + numCounters;

  // Per kernel (slot 0: the whole run) and run: time and counter deltas.
  std::vector<int> ids{0};
  for (const Value &kernel : kernels)
    ids.push_back(int(kernel.numberOr("id", 0)));
  std::vector<std::vector<std::vector<double>>> samples(
      ids.size(), std::vector<std::vector<double>>(numValues));
  std::vector<uint64_t> before(ids.size() * numValues),
      after(ids.size() * numValues);
  auto snapshot = [&](std::vector<uint64_t> &into) {
    for (size_t k = 0; k < ids.size(); ++k)
      read(ids[k], &into[k * numValues], numValues);
  };
  auto measure = [&](int firstValue, int lastValue, int runs) -> bool {
    for (int r = 0; r < runs; ++r) {
      snapshot(before);
      if (runOnce() != 0)
        return false;
      snapshot(after);
      for (size_t k = 0; k < ids.size(); ++k)
        for (int v = firstValue; v < lastValue; ++v)
          samples[k][v].push_back(double(after[k * numValues + v] -
                                         before[k * numValues + v]));
    }
    return true;
  };
  // One run untimed, as --bench does: the first pays for page faults and
  // cold caches, which a small model's median over few runs would carry.
  if (runOnce() != 0) {
    enable(0);
    return fail("a profiled run failed");
  }
  bool anyCounter = false;
  for (int c = 0; c < numCounters; ++c)
    anyCounter |= errors[c] == 0;
  if (anyCounter && !measure(2, numValues, std::min(options.runs, 5))) {
    enable(0);
    return fail("a profiled run failed");
  }
  enable(options.tracePath.empty() ? PASO_PROFILE_TIME
                                   : PASO_PROFILE_TIME | PASO_PROFILE_TRACE);
  if (!measure(0, 2, options.runs)) {
    enable(0);
    return fail("a profiled run failed");
  }
  std::vector<paso_trace_event> events(65536);
  int numEvents = 0;
  if (!options.tracePath.empty())
    numEvents = traceEvents(events.data(), int32_t(events.size()));
  enable(0);

  double peakGflops = table.numberOr("peak_gflops_per_core", 0) *
                      options.threads;
  double dramGBps = table.numberOr("memory_gbps", 0);
  Value counterInfo = Value::makeObject();
  Value measured = Value::makeArray(), unavailable = Value::makeObject();
  for (int c = 0; c < numCounters; ++c) {
    if (errors[c] == 0)
      measured.array.push_back(names[c]);
    else
      unavailable.set(names[c], errors[c] > 0 ? std::strerror(errors[c])
                                              : "not opened");
  }
  counterInfo.set("measured", measured);
  counterInfo.set("unavailable", unavailable);
  counterInfo.set("scope", "the calling thread (pool workers not counted)");

  auto counterIndex = [&](const char *name) {
    for (int c = 0; c < numCounters; ++c)
      if (errors[c] == 0 && std::strcmp(names[c], name) == 0)
        return c;
    return -1;
  };
  // Per-run kernel time sums, for the generated code's share.
  std::vector<double> kernelSum(options.runs, 0.0);
  for (size_t k = 1; k < ids.size(); ++k) {
    Value &kernel = kernels[k - 1];
    std::vector<double> micros;
    for (double ns : samples[k][1])
      micros.push_back(ns / 1e3);
    for (int r = 0; r < options.runs; ++r)
      kernelSum[r] += micros[r];
    double median = quantile(micros, 0.5);
    kernel.set("calls_per_run", quantile(samples[k][0], 0.5));
    kernel.set("median_us", median);
    kernel.set("time_us", spread(micros));
    double flops = kernel.numberOr("flops", 0),
           bytes = kernel.numberOr("bytes", 0);
    // The memory roof for this kernel's traffic (cache or DRAM), as the
    // cost model sees it.
    double memoryGBps = kernel.numberOr("roof_gbps", dramGBps);
    if (median > 0) {
      double gflops = flops / median / 1e3, gbps = bytes / median / 1e3;
      kernel.set("gflops", gflops);
      kernel.set("gbps", gbps);
      // Roofline: below the ridge intensity the memory roof is lower.
      bool memoryBound = peakGflops > 0 && memoryGBps > 0 && bytes > 0 &&
                         flops / bytes < peakGflops / memoryGBps;
      kernel.set("bound", memoryBound ? "memory" : "compute");
      if (peakGflops > 0 && memoryGBps > 0)
        kernel.set("roof_fraction", memoryBound ? gbps / memoryGBps
                                                : gflops / peakGflops);
    }
    Value perRun = Value::makeObject();
    for (int c = 0; c < numCounters; ++c)
      if (errors[c] == 0)
        perRun.set(names[c], quantile(samples[k][2 + c], 0.5));
    int cycles = counterIndex("cycles"), instructions =
                                             counterIndex("instructions");
    int references = counterIndex("cache-references"),
        misses = counterIndex("cache-misses");
    if (cycles >= 0 && instructions >= 0 &&
        perRun.numberOr("cycles", 0) > 0)
      kernel.set("ipc", perRun.numberOr("instructions", 0) /
                            perRun.numberOr("cycles", 1));
    if (references >= 0 && misses >= 0 &&
        perRun.numberOr("cache-references", 0) > 0)
      kernel.set("cache_miss_rate", perRun.numberOr("cache-misses", 0) /
                                        perRun.numberOr("cache-references", 1));
    kernel.set("counters_per_run", perRun);
  }
  std::vector<double> runMicros, generatedMicros;
  for (int r = 0; r < options.runs; ++r) {
    runMicros.push_back(samples[0][1][r] / 1e3);
    generatedMicros.push_back(std::max(0.0, runMicros[r] - kernelSum[r]));
  }

  Value profile = Value::makeObject();
  profile.set("format", "paso-profile");
  profile.set("version", table.numberOr("version", 1));
  profile.set("model", table.stringOr("model", ""));
  profile.set("target", table.stringOr("target", ""));
  profile.set("model_file", options.modelPath);
  profile.set("threads", options.threads);
  profile.set("runs", options.runs);
  profile.set("peak_gflops", peakGflops);
  profile.set("memory_gbps", dramGBps);
  profile.set("counters", counterInfo);
  profile.set("run_us", spread(runMicros));
  Value generated = table.get("generated") ? *table.get("generated")
                                           : Value::makeObject();
  generated.set("median_us", quantile(generatedMicros, 0.5));
  profile.set("generated", generated);
  profile.set("kernels", Value(*table.get("kernels")));

  // The top kernels by measured time.
  std::vector<const Value *> order;
  for (const Value &kernel : kernels)
    order.push_back(&kernel);
  std::sort(order.begin(), order.end(), [](const Value *a, const Value *b) {
    return a->numberOr("median_us", 0) > b->numberOr("median_us", 0);
  });
  double runMedian = quantile(runMicros, 0.5);
  std::printf("profile: %d runs, %d threads, median %.1f us per run; "
              "generated code %.1f us (predicted %.1f)\n",
              options.runs, options.threads, runMedian,
              quantile(generatedMicros, 0.5),
              generated.numberOr("predicted_us", 0));
  std::printf("counters: %zu measured, %zu unavailable%s\n",
              measured.array.size(), unavailable.object.size(),
              unavailable.object.empty() ? ""
                                         : " (see the profile's 'counters')");
  std::printf("%4s %-9s %10s %10s %6s %8s %7s %-7s %-14s %s\n", "id",
              "class", "median us", "pred. us", "share", "GFLOP/s", "GB/s",
              "bound", "output", "kernel");
  for (size_t i = 0; i < order.size() && int(i) < options.top; ++i) {
    const Value &k = *order[i];
    double median = k.numberOr("median_us", 0);
    std::printf("%4ld %-9s %10.1f %10.1f %5.1f%% %8.1f %7.1f %-7s %-14s %s\n",
                long(k.numberOr("id", 0)), k.stringOr("class", "?").c_str(),
                median,
                options.threads == 1 ? k.numberOr("predicted_1t_us", 0)
                                     : k.numberOr("predicted_us", 0),
                runMedian > 0 ? 100 * median / runMedian : 0.0,
                k.numberOr("gflops", 0), k.numberOr("gbps", 0),
                k.stringOr("bound", "-").c_str(),
                k.stringOr("output_shape", "-").c_str(), label(k).c_str());
  }

  if (!options.profilePath.empty() &&
      !writeFile(options.profilePath, json::dump(profile, 1) + "\n"))
    return fail("cannot write '" + options.profilePath + "'");
  if (!options.tracePath.empty()) {
    std::map<int, const Value *> byId;
    for (const Value &kernel : kernels)
      byId[int(kernel.numberOr("id", 0))] = &kernel;
    uint64_t origin = numEvents ? events[0].start_ns : 0;
    for (int i = 0; i < numEvents; ++i)
      origin = std::min(origin, events[i].start_ns);
    Value slices = Value::makeArray();
    for (int i = 0; i < numEvents; ++i) {
      const paso_trace_event &e = events[i];
      Value slice = Value::makeObject();
      auto it = byId.find(e.kernel);
      std::string name =
          e.kernel == 0 ? "paso_run"
          : it != byId.end() ? label(*it->second)
                             : "#" + std::to_string(e.kernel);
      if (e.thread > 0)
        name += " (worker)";
      slice.set("name", name);
      slice.set("cat", it != byId.end() ? it->second->stringOr("class", "")
                                        : "run");
      slice.set("ph", "X");
      slice.set("ts", double(e.start_ns - origin) / 1e3);
      slice.set("dur", double(e.end_ns - e.start_ns) / 1e3);
      slice.set("pid", 1);
      slice.set("tid", e.thread);
      slices.array.push_back(slice);
    }
    Value trace = Value::makeObject();
    trace.set("traceEvents", slices);
    trace.set("displayTimeUnit", "ms");
    if (!writeFile(options.tracePath, json::dump(trace) + "\n"))
      return fail("cannot write '" + options.tracePath + "'");
  }
  return 0;
}
