//===- Profile.cpp - reading profiles, fitting the cost model -------------===//

#include "paso/Target/Profile.h"

#include "paso/Target/CostModel.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

using namespace mlir::paso;

namespace {

/// Typed access to a JSON object with errors naming the file and the
/// field's path.
class Reader {
public:
  Reader(llvm::StringRef path) : path(path) {}

  llvm::Error fail(const llvm::Twine &message) const {
    return llvm::createStringError("profile '" + path + "': " + message);
  }

  llvm::Error string(const llvm::json::Object &object, llvm::StringRef key,
                     const llvm::Twine &where, std::string &into) const {
    std::optional<llvm::StringRef> value = object.getString(key);
    if (!value)
      return fail(where + "'" + key + "' is missing or not a string");
    into = value->str();
    return llvm::Error::success();
  }

  llvm::Error number(const llvm::json::Object &object, llvm::StringRef key,
                     const llvm::Twine &where, double &into) const {
    std::optional<double> value = object.getNumber(key);
    if (!value)
      return fail(where + "'" + key + "' is missing or not a number");
    if (!std::isfinite(*value) || *value < 0)
      return fail(where + "'" + key + "' must be finite and non-negative");
    into = *value;
    return llvm::Error::success();
  }

  llvm::Error integer(const llvm::json::Object &object, llvm::StringRef key,
                      const llvm::Twine &where, int64_t &into) const {
    double value;
    if (llvm::Error error = number(object, key, where, value))
      return error;
    if (value != std::floor(value))
      return fail(where + "'" + key + "' must be an integer");
    into = static_cast<int64_t>(value);
    return llvm::Error::success();
  }

  std::string path;
};

} // namespace

llvm::Expected<Profile> mlir::paso::readProfile(llvm::StringRef path) {
  Reader r(path);
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return r.fail(buffer.getError().message());
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse((*buffer)->getBuffer());
  if (!json)
    return r.fail("not JSON (" + llvm::toString(json.takeError()) +
                  "); is the file truncated?");
  const llvm::json::Object *root = json->getAsObject();
  if (!root)
    return r.fail("expected a JSON object");
  if (root->getString("format") != llvm::StringRef("paso-profile"))
    return r.fail("not a PASO profile (no \"format\": \"paso-profile\"); "
                  "write one with paso-run MODEL.so --profile=FILE");
  int64_t version = 0;
  if (llvm::Error error = r.integer(*root, "version", "", version))
    return std::move(error);
  if (version != kProfileFormatVersion)
    return r.fail("format version " + llvm::Twine(version) +
                  ", this PASO reads version " +
                  llvm::Twine(kProfileFormatVersion));

  Profile profile;
  profile.path = path.str();
  if (llvm::Error error = r.string(*root, "model", "", profile.model))
    return std::move(error);
  if (llvm::Error error = r.string(*root, "target", "", profile.target))
    return std::move(error);
  if (llvm::Error error = r.integer(*root, "threads", "", profile.threads))
    return std::move(error);
  if (llvm::Error error = r.integer(*root, "runs", "", profile.runs))
    return std::move(error);
  if (profile.runs < 1 || profile.threads < 1)
    return r.fail("'runs' and 'threads' must be at least 1");
  const llvm::json::Object *run = root->getObject("run_us");
  if (!run)
    return r.fail("'run_us' is missing or not an object");
  if (llvm::Error error =
          r.number(*run, "median", "run_us.", profile.runMedianMicroseconds))
    return std::move(error);
  const llvm::json::Object *generated = root->getObject("generated");
  if (!generated)
    return r.fail("'generated' is missing or not an object");
  for (auto [key, field] :
       {std::pair{"predicted_us", &profile.generatedPredictedMicroseconds},
        {"raw_predicted_us", &profile.generatedRawMicroseconds},
        {"median_us", &profile.generatedMedianMicroseconds},
        {"traffic_us", &profile.generatedWork.trafficMicroseconds},
        {"ops", &profile.generatedWork.ops},
        {"transcendentals", &profile.generatedWork.transcendentals}})
    if (llvm::Error error = r.number(*generated, key, "generated.", *field))
      return std::move(error);

  const llvm::json::Array *kernels = root->getArray("kernels");
  if (!kernels)
    return r.fail("'kernels' is missing or not an array");
  std::set<int64_t> ids;
  for (auto [index, value] : llvm::enumerate(*kernels)) {
    std::string where = "kernels[" + std::to_string(index) + "].";
    const llvm::json::Object *object = value.getAsObject();
    if (!object)
      return r.fail(where.substr(0, where.size() - 1) + " is not an object");
    ProfiledKernel kernel;
    if (llvm::Error error = r.integer(*object, "id", where, kernel.id))
      return std::move(error);
    if (!ids.insert(kernel.id).second)
      return r.fail(where + "'id' " + llvm::Twine(kernel.id) +
                    " appears twice");
    if (llvm::Error error =
            r.string(*object, "class", where, kernel.kernelClass))
      return std::move(error);
    if (!llvm::is_contained(kKernelClasses, kernel.kernelClass))
      return r.fail(where + "'class' '" + kernel.kernelClass +
                    "' is not a kernel class");
    if (llvm::Error error =
            r.string(*object, "algorithm", where, kernel.algorithm))
      return std::move(error);
    if (llvm::Error error = r.integer(*object, "threads", where,
                                      kernel.threads))
      return std::move(error);
    for (auto [key, field] :
         {std::pair{"flops", &kernel.flops}, {"bytes", &kernel.bytes},
          {"predicted_us", &kernel.predictedMicroseconds},
          {"raw_predicted_us", &kernel.rawPredictedMicroseconds},
          {"predicted_1t_us", &kernel.singleThreadMicroseconds},
          {"raw_predicted_1t_us", &kernel.rawSingleThreadMicroseconds},
          {"median_us", &kernel.medianMicroseconds}})
      if (llvm::Error error = r.number(*object, key, where, *field))
        return std::move(error);
    if (std::optional<llvm::StringRef> shape =
            object->getString("output_shape"))
      kernel.outputShape = shape->str();
    if (std::optional<llvm::StringRef> product = object->getString("product"))
      kernel.product = product->str();
    if (const llvm::json::Array *nodes = object->getArray("onnx_nodes"))
      for (const llvm::json::Value &node : *nodes)
        if (std::optional<llvm::StringRef> name = node.getAsString())
          kernel.onnxNodes.push_back(name->str());
    profile.kernels.push_back(std::move(kernel));
  }
  return profile;
}

namespace {
/// The generated code's fitted costs (predictGeneratedMicroseconds).
struct GeneratedFit {
  double trafficScale = 1, opMicroseconds = 0, transcendentalNanoseconds = 0,
         runMicroseconds = 0;
};
} // namespace

/// Solves the k x k system `a` x = `b` in place (Gaussian elimination,
/// partial pivoting); false when singular.
static bool solve(std::vector<std::vector<double>> &a, std::vector<double> &b) {
  size_t k = b.size();
  for (size_t c = 0; c < k; ++c) {
    size_t pivot = c;
    for (size_t r = c + 1; r < k; ++r)
      if (std::abs(a[r][c]) > std::abs(a[pivot][c]))
        pivot = r;
    if (std::abs(a[pivot][c]) < 1e-12)
      return false;
    std::swap(a[c], a[pivot]);
    std::swap(b[c], b[pivot]);
    for (size_t r = 0; r < k; ++r)
      if (r != c) {
        double f = a[r][c] / a[c][c];
        for (size_t j = c; j < k; ++j)
          a[r][j] -= f * a[c][j];
        b[r] -= f * b[c];
      }
  }
  for (size_t c = 0; c < k; ++c)
    b[c] /= a[c][c];
  return true;
}

/// Fits measured generated time = s x traffic + c x ops + t x
/// transcendentals + b over the profiles, each residual weighted by
/// 1 / the run's time, so that a 10 us model's relative error counts as
/// much as a 60 ms model's (an unweighted fit gave the big models' noise
/// as a fixed cost larger than the small models' whole run). The
/// coefficients are non-negative: every subset of the terms is fitted and
/// the best with no negative coefficient wins (four terms: 15 subsets).
/// A term no profile exercises keeps its default; from fewer profiles than
/// terms the ratio of measured to raw time scales them all.
static GeneratedFit fitGeneratedCode(const std::vector<Profile> &profiles) {
  const double defaults[4] = {1, defaultGeneratedOpMicroseconds(),
                              defaultTranscendentalMicroseconds(), 0};
  auto feature = [](const Profile &p, int term) {
    switch (term) {
    case 0:
      return p.generatedWork.trafficMicroseconds;
    case 1:
      return p.generatedWork.ops;
    case 2:
      return p.generatedWork.transcendentals;
    default:
      return 1.0;
    }
  };
  auto result = [](const double c[4]) {
    return GeneratedFit{std::clamp(c[0], 1e-3, 1e3), c[1], c[2] * 1e3, c[3]};
  };
  double measured = 0, raw = 0;
  for (const Profile &p : profiles) {
    measured += p.generatedMedianMicroseconds;
    raw += p.generatedRawMicroseconds;
  }
  std::vector<int> terms;
  for (int term = 0; term < 4; ++term)
    if (llvm::any_of(profiles, [&](const Profile &p) {
          return feature(p, term) > 0;
        }))
      terms.push_back(term);
  if (profiles.size() <= terms.size() || raw <= 0) {
    double ratio = raw > 0 && measured > 0 ? measured / raw : 1;
    double scaled[4] = {ratio, ratio * defaults[1], ratio * defaults[2], 0};
    return result(scaled);
  }
  double best[4], bestError = std::numeric_limits<double>::infinity();
  for (unsigned mask = 1; mask < (1u << terms.size()); ++mask) {
    std::vector<int> used;
    for (size_t i = 0; i < terms.size(); ++i)
      if (mask & (1u << i))
        used.push_back(terms[i]);
    size_t k = used.size();
    std::vector<std::vector<double>> a(k, std::vector<double>(k, 0));
    std::vector<double> b(k, 0);
    for (const Profile &p : profiles) {
      double w = 1 / std::max(p.runMedianMicroseconds, 1e-3);
      for (size_t i = 0; i < k; ++i) {
        for (size_t j = 0; j < k; ++j)
          a[i][j] += w * w * feature(p, used[i]) * feature(p, used[j]);
        b[i] += w * w * feature(p, used[i]) * p.generatedMedianMicroseconds;
      }
    }
    if (!solve(a, b) || llvm::any_of(b, [](double c) { return c < 0; }))
      continue;
    double c[4] = {0, 0, 0, 0};
    // A term the profiles exercise but the subset leaves out costs
    // nothing; one they never exercise keeps its default.
    for (int term = 0; term < 4; ++term)
      if (!llvm::is_contained(terms, term))
        c[term] = defaults[term];
    for (size_t i = 0; i < k; ++i)
      c[used[i]] = b[i];
    double error = 0;
    for (const Profile &p : profiles) {
      double predicted = 0;
      for (int term = 0; term < 4; ++term)
        predicted += c[term] * feature(p, term);
      double r = (predicted - p.generatedMedianMicroseconds) /
                 std::max(p.runMedianMicroseconds, 1e-3);
      error += r * r;
    }
    if (error < bestError - 1e-15) {
      bestError = error;
      std::copy(c, c + 4, best);
    }
  }
  if (!std::isfinite(bestError)) {
    double scaled[4] = {1, defaults[1], defaults[2], 0};
    return result(scaled);
  }
  return result(best);
}

/// The cost of handing a kernel's pieces to the pool, in microseconds,
/// from `threaded` profiles (more than one thread) of kernels `single`
/// (the one-thread medians by signature) also has: a kernel planned for p
/// threads ran on n = min(p, threads) and took t_n = t_1 / n + hand-off,
/// which the median over those kernels estimates. None: no such kernel.
static std::optional<double>
fitThreadHandoff(const std::vector<const Profile *> &threaded,
                 const std::map<std::string, double> &single) {
  std::vector<double> handoffs;
  for (const Profile *profile : threaded)
    for (const ProfiledKernel &kernel : profile->kernels) {
      int64_t n = std::min(kernel.threads, profile->threads);
      auto one = single.find(kernelSignature(
          kernel.algorithm, kernel.outputShape, kernel.product));
      if (n > 1 && one != single.end())
        handoffs.push_back(kernel.medianMicroseconds - one->second / n);
    }
  if (handoffs.empty())
    return std::nullopt;
  std::sort(handoffs.begin(), handoffs.end());
  return std::clamp(handoffs[handoffs.size() / 2], 0.0, 1e4);
}

llvm::Expected<TargetDescription>
mlir::paso::calibrateTarget(const TargetDescription &base,
                            const std::vector<Profile> &profiles,
                            std::vector<ClassFit> &fits) {
  if (profiles.empty())
    return llvm::createStringError("--calibrate needs at least one profile");
  // The scales are single-core efficiencies, fitted to one-thread
  // profiles; profiles at more threads fit the hand-off against them.
  std::vector<Profile> singleThread;
  std::vector<const Profile *> threaded;
  for (const Profile &profile : profiles) {
    if (profile.target != base.name)
      return llvm::createStringError(
          "profile '" + profile.path + "' was measured for target '" +
          profile.target + "', not '" + base.name +
          "'; calibrate each target from its own profiles");
    if (profile.threads == 1)
      singleThread.push_back(profile);
    else
      threaded.push_back(&profile);
  }
  // "profile 'P' ran N threads", for the errors about threaded profiles.
  auto ranThreads = [&] {
    return "profile '" + threaded.front()->path + "' ran " +
           std::to_string(threaded.front()->threads) + " threads";
  };
  if (singleThread.empty())
    return llvm::createStringError(
        ranThreads() +
        "; calibrate from profiles measured with --threads 1 (one at more "
        "threads adds the threading overhead, fitted against them)");
  std::map<std::string, ClassFit> byClass;
  for (const Profile &profile : singleThread) {
    for (const ProfiledKernel &kernel : profile.kernels) {
      ClassFit &fit = byClass[kernel.kernelClass];
      ++fit.samples;
      fit.measuredMicroseconds += kernel.medianMicroseconds;
      fit.rawPredictedMicroseconds += kernel.rawSingleThreadMicroseconds;
    }
    ClassFit &generated = byClass["generated"];
    ++generated.samples;
    generated.measuredMicroseconds += profile.generatedMedianMicroseconds;
    generated.rawPredictedMicroseconds += profile.generatedRawMicroseconds;
  }
  TargetDescription calibrated = base;
  // Measured kernels, by signature; a kernel several profiles (or layers)
  // ran takes the median.
  std::map<std::string, std::vector<double>> measured;
  for (const Profile &profile : singleThread)
    for (const ProfiledKernel &kernel : profile.kernels)
      if (kernel.medianMicroseconds > 0)
        measured[kernelSignature(kernel.algorithm, kernel.outputShape,
                                 kernel.product)]
            .push_back(kernel.medianMicroseconds);
  for (auto &[signature, times] : measured) {
    std::sort(times.begin(), times.end());
    calibrated.kernelTimesMicroseconds[signature] = times[times.size() / 2];
  }
  GeneratedFit generated = fitGeneratedCode(singleThread);
  if (!threaded.empty()) {
    std::optional<double> handoff =
        fitThreadHandoff(threaded, calibrated.kernelTimesMicroseconds);
    if (!handoff)
      return llvm::createStringError(
          ranThreads() +
          ", but none of its threaded kernels is in a one-thread profile "
          "given with it; profile the same build with --threads 1 too");
    calibrated.threadHandoffMicroseconds = *handoff;
  }
  fits.clear();
  for (auto &[name, fit] : byClass) {
    fit.kernelClass = name;
    if (name == "generated") {
      fit.scale = generated.trafficScale;
      calibrated.kernelTimeScale[name] = fit.scale;
      calibrated.generatedOpMicroseconds = generated.opMicroseconds;
      calibrated.transcendentalNanoseconds = generated.transcendentalNanoseconds;
      calibrated.runOverheadMicroseconds = generated.runMicroseconds;
    } else if (fit.rawPredictedMicroseconds <= 0 ||
               fit.measuredMicroseconds <= 0) {
      fit.scale = kernelTimeScale(base, name);
    } else {
      // Within what a target file may hold.
      fit.scale = std::clamp(
          fit.measuredMicroseconds / fit.rawPredictedMicroseconds, 1e-3, 1e3);
      calibrated.kernelTimeScale[name] = fit.scale;
    }
    fits.push_back(fit);
  }
  calibrated.calibratedFrom.clear();
  for (const Profile &profile : profiles)
    calibrated.calibratedFrom.push_back(profile.path);
  return calibrated;
}
