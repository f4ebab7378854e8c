// Volumes as PersistentVolumeClaims (volume_claims.h): the claim's name (a
// DNS label that no other tenant's volume can share), the claim's shape (the
// fields an API server requires of a v1 PersistentVolumeClaim, with values it
// accepts), and how the Volcano Job mounts them (the "volumes" golden case).
#include "drivers/kubernetes/volume_claims.h"

#include <gtest/gtest.h>

#include <set>

#include "drivers/kubernetes/kube_quantity.h"
#include "drivers/kubernetes/volcano_names.h"
#include "drivers/kubernetes/volcano_render.h"
#include "drivers/kubernetes/volcano_test_cases.h"

namespace skyrun {
namespace {

TEST(VolumeClaims, NamesAreDnsLabelsAndNeverSharedBetweenTenants) {
  std::set<std::string> seen;
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"team-a", "data"},   {"Team_A", "data"},  {"team_a", "data"},
      {"team-a", "data2"},  {"team-a/data", ""}, {"../x", "data"},
      {"x", "data"},        {"", "data"},        {std::string(200, 'T'), std::string(63, 'v')},
      {"team-a-data", "x"}, {"team", "a-data"}};
  for (const auto& [tenant, name] : pairs) {
    std::string claim = VolumeClaimName(tenant, name);
    EXPECT_TRUE(IsDnsLabel(claim)) << claim;
    EXPECT_TRUE(seen.insert(claim).second) << "shared: " << claim;
    EXPECT_EQ(claim, VolumeClaimName(tenant, name));  // the next job finds it again
  }
  EXPECT_EQ(VolumeClaimName("team-a", "data").rfind("skyrun-team-a-data-", 0), 0u);
}

TEST(VolumeClaims, ClaimHasTheShapeAnApiServerAccepts) {
  KubernetesClusterConfig config;
  config.k8s_namespace = "ml";
  config.volumes.enabled = true;
  config.volumes.storage_class = "nfs-rwx";
  config.volumes.size_bytes = 5'000'000'000;
  nlohmann::ordered_json pvc = RenderVolumeClaim("Research Lab", "data.v1", config);
  EXPECT_EQ(pvc["apiVersion"], "v1");
  EXPECT_EQ(pvc["kind"], "PersistentVolumeClaim");
  std::set<std::string> keys;
  for (const auto& [k, v] : pvc.items()) keys.insert(k);
  EXPECT_EQ(keys, (std::set<std::string>{"apiVersion", "kind", "metadata", "spec"}));
  EXPECT_TRUE(IsDnsLabel(pvc["metadata"]["name"].get<std::string>()));
  EXPECT_EQ(pvc["metadata"]["namespace"], "ml");
  for (const auto& [k, v] : pvc["metadata"]["labels"].items()) {
    std::string value = v.get<std::string>();
    EXPECT_EQ(value, SanitizeLabelValue(value)) << k << "=" << value;
    EXPECT_FALSE(value.empty()) << k;
  }
  EXPECT_EQ(pvc["metadata"]["labels"]["skyrun.io/tenant"], "Research_Lab");
  EXPECT_EQ(pvc["spec"]["accessModes"], nlohmann::ordered_json::array({"ReadWriteMany"}));
  EXPECT_EQ(pvc["spec"]["storageClassName"], "nfs-rwx");
  auto bytes = ParseKubeQuantityCount(pvc["spec"]["resources"]["requests"]["storage"].get<std::string>());
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  EXPECT_EQ(*bytes, 5'000'000'000);
  config.volumes.storage_class.clear();
  config.volumes.size_bytes = 0;
  pvc = RenderVolumeClaim("t", "d", config);
  EXPECT_FALSE(pvc["spec"].contains("storageClassName")) << "the cluster's default class";
  EXPECT_EQ(pvc["spec"]["resources"]["requests"]["storage"], std::to_string(int64_t{1} << 30));
}

TEST(VolumeClaims, PodVolumesRefuseWhatTheyCannotMount) {
  KubernetesClusterConfig config;
  JobSpec spec;
  spec.volumes = {{"data", "/data", false}};
  auto off = PodVolumes(spec, "t", config);
  ASSERT_FALSE(off.ok());
  EXPECT_NE(off.status().message().find("no `volumes:`"), std::string::npos) << off.status().message();
  config.volumes.enabled = true;
  ASSERT_TRUE(PodVolumes(spec, "t", config).ok());
  EXPECT_FALSE(PodVolumes(spec, "", config).ok());
  for (const std::string& path :
       std::vector<std::string>{"/a/../../etc", "..", "/", "", std::string("/a\0b", 4)}) {
    spec.volumes = {{"data", path, false}};
    EXPECT_FALSE(PodVolumes(spec, "t", config).ok()) << path;
  }
  for (const std::string& name : std::vector<std::string>{"../x", "Data", "a/b", ""}) {
    spec.volumes = {{name, "/data", false}};
    EXPECT_FALSE(PodVolumes(spec, "t", config).ok()) << name;
  }
  spec.volumes = {{"data", "//x/./y/", true}};
  auto v = PodVolumes(spec, "t", config);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ((*v)[0].mount_path, "/x/y");
  EXPECT_TRUE((*v)[0].read_only);
}

TEST(VolumeClaims, TheJobMountsEachClaimAtItsPathReadOnlyWhereAsked) {
  VolcanoCase vc;
  for (auto& c : VolcanoGoldenCases())
    if (c.name == "volumes") vc = c;
  ASSERT_EQ(vc.name, "volumes");
  auto r = RenderVolcanoJob(vc.launch, vc.config);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto& pod = r->manifest["spec"]["tasks"][0]["template"]["spec"];
  std::map<std::string, nlohmann::ordered_json> volumes;
  for (const auto& v : pod["volumes"]) volumes[v["name"].get<std::string>()] = v;
  std::map<std::string, nlohmann::ordered_json> mounts;
  for (const auto& m : pod["containers"][0]["volumeMounts"]) mounts[m["mountPath"].get<std::string>()] = m;
  ASSERT_TRUE(mounts.count("/data") && mounts.count("/runs/exp1"));
  const auto& ro = volumes.at(mounts["/data"]["name"].get<std::string>());
  EXPECT_EQ(ro["persistentVolumeClaim"]["claimName"], VolumeClaimName("Team_A", "imagenet"));
  EXPECT_EQ(ro["persistentVolumeClaim"]["readOnly"], true);
  EXPECT_EQ(mounts["/data"]["readOnly"], true);
  const auto& rw = volumes.at(mounts["/runs/exp1"]["name"].get<std::string>());
  EXPECT_EQ(rw["persistentVolumeClaim"]["claimName"], VolumeClaimName("Team_A", "runs"));
  EXPECT_FALSE(rw["persistentVolumeClaim"].contains("readOnly"));
  EXPECT_FALSE(mounts["/runs/exp1"].contains("readOnly"));
  bool mount_root = false;
  for (const auto& e : pod["containers"][0]["env"])
    if (e["name"] == "SKYRUN_MOUNT_ROOT") mount_root = e["value"] == "";
  EXPECT_TRUE(mount_root) << "$SKYRUN_MOUNT_ROOT/data must name /data in the pod";
}

}  // namespace
}  // namespace skyrun
