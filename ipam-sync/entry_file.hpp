// The on-disk form of one entry: a first-line YAML comment carrying the revisions, then the
// value verbatim, so the file stays plain YAML a person can read and edit:
//
//   # podnet: mod=12 create=3 sum=5d1f0c7a9e3b2c41
//   apiVersion: projectcalico.org/v3
//   ...
//
// sum is a hash of the value. It is how the store notices that a person edited a file it
// wrote without touching the header: the header's revisions then no longer describe the
// content, and the file is treated like a hand-dropped one (see directory_store.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace podnet::store {

// FNV-1a 64: not cryptographic, only "did these bytes change".
uint64_t content_hash(std::string_view data);

std::string encode_entry_file(std::string_view value, int64_t mod_revision,
                              int64_t create_revision);

struct DecodedEntryFile {
  bool has_header = false;    // the first line is a well-formed podnet header
  bool header_valid = false;  // has_header and its sum matches the value
  int64_t mod_revision = 0;
  int64_t create_revision = 0;
  std::string value;  // after the header if has_header, else the whole file
};

DecodedEntryFile decode_entry_file(std::string content);

}  // namespace podnet::store
