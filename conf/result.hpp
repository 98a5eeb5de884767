// podnet::Result<T>: errors are values. Every module returns these across its public API
// instead of throwing, so a bad resource, a bad datastore write or a malformed message never
// unwinds through the event loop.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace podnet {

// What went wrong, coarsely, so callers (and podnetctl's exit codes) can branch on it.
enum class Errc {
  invalid,         // bad input: unparsable, fails validation (podnetctl exit 2)
  not_found,       // the key / resource does not exist (exit 1)
  already_exists,  // create of something that exists (exit 1)
  conflict,        // compare-and-swap lost: resourceVersion changed underneath (exit 1)
  io,              // filesystem / socket failure
  unavailable,     // a peer or server could not be reached
  internal,        // a bug: should never be seen
};

inline const char* errc_name(Errc e) {
  switch (e) {
    case Errc::invalid:
      return "invalid";
    case Errc::not_found:
      return "not found";
    case Errc::already_exists:
      return "already exists";
    case Errc::conflict:
      return "conflict";
    case Errc::io:
      return "i/o error";
    case Errc::unavailable:
      return "unavailable";
    case Errc::internal:
      return "internal error";
  }
  return "error";
}

struct Error {
  Errc code = Errc::internal;
  std::string message;
};

inline Error make_error(Errc code, std::string message) {
  return Error{code, std::move(message)};
}

// A value or an error. E is podnet::Error everywhere but where a module needs richer errors
// (the BGP codec's say which RFC 7606 handling applies: bgp::CodecResult).
template <class T, class E = Error>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(E error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const E& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, E> v_;
};

// Result<void>: success carries nothing.
struct Ok {};
using Status = Result<Ok>;
inline Status ok_status() {
  return Ok{};
}

}  // namespace podnet
