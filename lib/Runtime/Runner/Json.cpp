//===- Json.cpp - a small JSON value for the model runner -----------------===//

#include "paso/Runtime/Json.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

using namespace paso::json;

const Value *Value::get(const std::string &key) const {
  for (const auto &member : object)
    if (member.first == key)
      return &member.second;
  return nullptr;
}

void Value::set(const std::string &key, Value value) {
  for (auto &member : object)
    if (member.first == key) {
      member.second = std::move(value);
      return;
    }
  object.emplace_back(key, std::move(value));
}

double Value::numberOr(const std::string &key, double fallback) const {
  const Value *member = get(key);
  return member && member->kind == Number ? member->number : fallback;
}

std::string Value::stringOr(const std::string &key,
                            const std::string &fallback) const {
  const Value *member = get(key);
  return member && member->kind == String ? member->string : fallback;
}

namespace {

struct Parser {
  const std::string &text;
  size_t at = 0;
  std::string error;

  void space() {
    while (at < text.size() && (text[at] == ' ' || text[at] == '\n' ||
                                text[at] == '\t' || text[at] == '\r'))
      ++at;
  }
  bool fail(const std::string &message) {
    if (error.empty())
      error = message + " at byte " + std::to_string(at);
    return false;
  }
  bool literal(const char *word) {
    size_t n = std::char_traits<char>::length(word);
    if (text.compare(at, n, word) != 0)
      return fail("unexpected token");
    at += n;
    return true;
  }
  bool string(std::string &out) {
    if (at >= text.size() || text[at] != '"')
      return fail("expected a string");
    ++at;
    while (at < text.size() && text[at] != '"') {
      char c = text[at++];
      if (c != '\\') {
        out += c;
        continue;
      }
      if (at >= text.size())
        break;
      char e = text[at++];
      switch (e) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'u': {
        if (at + 4 > text.size())
          return fail("bad \\u escape");
        unsigned code = std::strtoul(text.substr(at, 4).c_str(), nullptr, 16);
        at += 4;
        // UTF-8 of the basic plane (surrogate pairs are not needed here).
        if (code < 0x80) {
          out += char(code);
        } else if (code < 0x800) {
          out += char(0xc0 | (code >> 6));
          out += char(0x80 | (code & 0x3f));
        } else {
          out += char(0xe0 | (code >> 12));
          out += char(0x80 | ((code >> 6) & 0x3f));
          out += char(0x80 | (code & 0x3f));
        }
        break;
      }
      default: out += e;
      }
    }
    if (at >= text.size())
      return fail("unterminated string");
    ++at;
    return true;
  }
  bool value(Value &out, int depth) {
    if (depth > 64)
      return fail("nested too deeply");
    space();
    if (at >= text.size())
      return fail("unexpected end");
    char c = text[at];
    if (c == '{') {
      out = Value::makeObject();
      ++at;
      space();
      if (at < text.size() && text[at] == '}') {
        ++at;
        return true;
      }
      for (;;) {
        space();
        std::string key;
        if (!string(key))
          return false;
        space();
        if (at >= text.size() || text[at] != ':')
          return fail("expected ':'");
        ++at;
        Value member;
        if (!value(member, depth + 1))
          return false;
        out.object.emplace_back(std::move(key), std::move(member));
        space();
        if (at < text.size() && text[at] == ',') {
          ++at;
          continue;
        }
        if (at < text.size() && text[at] == '}') {
          ++at;
          return true;
        }
        return fail("expected ',' or '}'");
      }
    }
    if (c == '[') {
      out = Value::makeArray();
      ++at;
      space();
      if (at < text.size() && text[at] == ']') {
        ++at;
        return true;
      }
      for (;;) {
        Value element;
        if (!value(element, depth + 1))
          return false;
        out.array.push_back(std::move(element));
        space();
        if (at < text.size() && text[at] == ',') {
          ++at;
          continue;
        }
        if (at < text.size() && text[at] == ']') {
          ++at;
          return true;
        }
        return fail("expected ',' or ']'");
      }
    }
    if (c == '"') {
      out = Value(std::string());
      return string(out.string);
    }
    if (c == 't') {
      out = Value(true);
      return literal("true");
    }
    if (c == 'f') {
      out = Value(false);
      return literal("false");
    }
    if (c == 'n') {
      out = Value();
      return literal("null");
    }
    const char *begin = text.c_str() + at;
    char *end = nullptr;
    double number = std::strtod(begin, &end);
    if (end == begin)
      return fail("unexpected character");
    at += size_t(end - begin);
    out = Value(number);
    return true;
  }
};

void quote(const std::string &s, std::string &out) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\t': out += "\\t"; break;
    case '\r': out += "\\r"; break;
    default:
      if (c < 0x20) {
        char buffer[8];
        std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
        out += buffer;
      } else {
        out += char(c);
      }
    }
  }
  out += '"';
}

void write(const Value &value, int indent, int level, std::string &out) {
  auto newline = [&](int depth) {
    if (indent <= 0)
      return;
    out += '\n';
    out.append(size_t(depth * indent), ' ');
  };
  switch (value.kind) {
  case Value::Null: out += "null"; break;
  case Value::Bool: out += value.boolean ? "true" : "false"; break;
  case Value::Number: {
    if (!std::isfinite(value.number)) {
      out += "null";
      break;
    }
    char buffer[32];
    if (value.number == std::floor(value.number) &&
        std::fabs(value.number) < 1e15)
      std::snprintf(buffer, sizeof buffer, "%.0f", value.number);
    else
      std::snprintf(buffer, sizeof buffer, "%.9g", value.number);
    out += buffer;
    break;
  }
  case Value::String: quote(value.string, out); break;
  case Value::Array:
    out += '[';
    for (size_t i = 0; i < value.array.size(); ++i) {
      if (i)
        out += ',';
      newline(level + 1);
      write(value.array[i], indent, level + 1, out);
    }
    if (!value.array.empty())
      newline(level);
    out += ']';
    break;
  case Value::Object:
    out += '{';
    for (size_t i = 0; i < value.object.size(); ++i) {
      if (i)
        out += ',';
      newline(level + 1);
      quote(value.object[i].first, out);
      out += indent > 0 ? ": " : ":";
      write(value.object[i].second, indent, level + 1, out);
    }
    if (!value.object.empty())
      newline(level);
    out += '}';
    break;
  }
}

} // namespace

bool paso::json::parse(const std::string &text, Value &value,
                       std::string &error) {
  Parser parser{text, 0, {}};
  if (!parser.value(value, 0)) {
    error = parser.error;
    return false;
  }
  parser.space();
  if (parser.at != text.size()) {
    error = "trailing characters at byte " + std::to_string(parser.at);
    return false;
  }
  return true;
}

std::string paso::json::dump(const Value &value, int indent) {
  std::string out;
  write(value, indent, 0, out);
  return out;
}
