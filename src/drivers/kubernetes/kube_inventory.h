// The node inventory of a Kubernetes cluster: `kubectl get nodes -o json`
// (a NodeList) -> skyrun Nodes for the scheduler.
//
// Per node: allocatable cpu, memory and nvidia.com/gpu (not capacity: what
// the kubelet lets pods use); the GPU model from the GPU feature discovery
// label nvidia.com/gpu.product ("NVIDIA-A100-SXM4-80GB" -> "A100-80GB", the
// catalog's names) and device memory from nvidia.com/gpu.memory; every label
// as an attribute, plus Region, Zone, InstanceType, Provider and Cluster.
// State: not Ready -> down; cordoned, or tainted NoSchedule/NoExecute with a
// taint the cluster's pods do not tolerate -> drain; else up.
// The skyrun name is "<backend>/<hostname>", the hostname label being what the
// renderer's node affinity matches.
//
// Not accounted: what pods outside skyrun already use on a node.
// Called by KubernetesDriver::Inventory and the tests. Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"
#include "drivers/kubernetes/kubernetes_config.h"
#include "model/node.h"

namespace skyrun {

Result<std::vector<Node>> ParseKubeNodeList(const nlohmann::json& node_list,
                                            const KubernetesClusterConfig& config);

// The catalog's name for a GPU feature discovery product label:
// "NVIDIA-A100-SXM4-80GB" -> "A100-80GB", "NVIDIA-A100-SXM4-40GB" -> "A100",
// "Tesla-V100-SXM2-32GB" -> "V100-32GB", "NVIDIA-H100-80GB-HBM3" -> "H100",
// "Tesla-T4" -> "T4", "NVIDIA-L4" -> "L4". Unknown products keep their
// family token ("NVIDIA-RTX-A6000" -> "RTX-A6000").
std::string GpuModelFromProduct(const std::string& product);

}  // namespace skyrun
