// Fuzz target for the API request bodies: every parser must refuse garbage
// with a Status, never crash, and never accept a body it cannot represent.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/api.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto submit = skyrun::api::ParseSubmitRequest(body);
  if (submit.ok() && (submit->file.empty() || submit->file.find('/') != std::string::npos ||
                      (!submit->upload.empty() && !skyrun::api::IsUploadDigest(submit->upload))))
    __builtin_trap();
  (void)skyrun::api::ParseTenantCreateRequest(body);
  auto token = skyrun::api::ParseTokenCreateRequest(body);
  if (token.ok() && token->role.empty()) __builtin_trap();
  auto partition = skyrun::api::ParsePartitionRequest(body);
  if (partition.ok() && (partition->model.empty() == partition->profile_csv.empty() ||
                         partition->micro_batches < 1 || (partition->layers && partition->model.empty())))
    __builtin_trap();
  return 0;
}
