// Turning the rows of one provider's vms.csv into offers.
//
// Most rows are an offer as they stand (AWS, Azure, Lambda: the instance type
// with its GPUs and one price). GCP prices a GPU instance in two parts: a VM
// row (host only, no AcceleratorName) and GPU price rows (no InstanceType;
// AcceleratorName, AcceleratorCount and the price of that many GPUs, per
// zone). An offer for a GCP GPU instance is its VM row plus the GPU row of the
// same zone for the GPUs it carries, as SkyPilot's GCP catalog pairs them:
//
//   a2-highgpu-{1,2,4,8}g     A100 x N          a2-megagpu-16g       A100 x 16
//   a2-ultragpu-{1,2,4,8}g    A100-80GB x N     a3-highgpu-{1,2,4,8}g H100 x N
//   a3-edgegpu-8g[-nolssd]    H100 x 8          a3-megagpu-8g        H100-MEGA x 8
//   a3-ultragpu-8g[-nolssd]   H200 x 8          a4-highgpu-8g        B200 x 8
//   g2-standard-{4,8,12,16,32} L4 x 1; g2-standard-24 x 2, -48 x 4, -96 x 8
//   n1-*                      the VM alone (CPU only), and with T4, P4 or P100
//                             x 1, 2, 4 or V100 x 1, 2, 4, 8, where the VM's
//                             vCPUs and memory are within GCP's limit for that
//                             many GPUs of that model (kN1Limits in the .cc)
//   anything else (n2-*)      the VM alone
//
// A GPU family VM row without the matching GPU row in its zone gives no offer
// (GCP does not sell that machine there). The on-demand price is the sum of
// the two rows; the spot price is the sum when both rows list one and absent
// otherwise. Rows without an on-demand price (some Azure rows) are not
// offers. Callers: catalog.cc. Thread-safety: pure functions.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "catalog/offer.h"
#include "catalog/vms_csv.h"
#include "common/status.h"

namespace skyrun::catalog {

// The GPUs a GCP machine type comes with (one choice), or can take (an n1
// type: every attachable model and count, and `optional`: also sold bare).
struct GcpGpuChoice {
  std::string accelerator;
  int count = 0;
};
struct GcpGpuRule {
  std::vector<GcpGpuChoice> choices;
  bool optional = false;  // n1: the VM is also sold without GPUs
};
GcpGpuRule GcpGpusFor(const std::string& instance_type, const VmRow& vm);

// Offers from the rows of `provider`'s file (`source` names it in errors).
Result<std::vector<Offer>> BuildOffers(const std::string& provider, const std::vector<VmRow>& rows,
                                       const std::string& source);

}  // namespace skyrun::catalog
