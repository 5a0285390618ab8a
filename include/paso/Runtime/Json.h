//===- Json.h - a small JSON value for the model runner ---------*- C++ -*-===//
//
// paso-run reads the kernel table a model carries and writes profiles and
// traces. It links only libc/libdl (it cross-compiles for the device), so
// it cannot use LLVM's JSON: this is the little it needs, parse and dump of
// plain JSON (UTF-8 passed through, numbers as double).
//
//===----------------------------------------------------------------------===//

#ifndef PASO_RUNTIME_JSON_H
#define PASO_RUNTIME_JSON_H

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace paso::json {

struct Value {
  enum Kind { Null, Bool, Number, String, Array, Object } kind = Null;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<Value> array;
  /// Members in insertion order (keys are looked up linearly).
  std::vector<std::pair<std::string, Value>> object;

  Value() = default;
  Value(double n) : kind(Number), number(n) {}
  Value(int n) : kind(Number), number(n) {}
  Value(long n) : kind(Number), number(double(n)) {}
  Value(long long n) : kind(Number), number(double(n)) {}
  Value(unsigned long n) : kind(Number), number(double(n)) {}
  Value(unsigned long long n) : kind(Number), number(double(n)) {}
  Value(bool b) : kind(Bool), boolean(b) {}
  Value(const char *s) : kind(String), string(s) {}
  Value(std::string s) : kind(String), string(std::move(s)) {}
  static Value makeArray() { Value v; v.kind = Array; return v; }
  static Value makeObject() { Value v; v.kind = Object; return v; }

  /// The member `key` of an object, or nullptr.
  const Value *get(const std::string &key) const;
  /// Sets (or replaces) member `key` of an object.
  void set(const std::string &key, Value value);
  double numberOr(const std::string &key, double fallback) const;
  std::string stringOr(const std::string &key,
                       const std::string &fallback) const;
};

/// Parses `text`; on failure returns false and sets `error`.
bool parse(const std::string &text, Value &value, std::string &error);

/// Writes `value`; `indent` > 0 pretty-prints.
std::string dump(const Value &value, int indent = 0);

} // namespace paso::json

#endif // PASO_RUNTIME_JSON_H
