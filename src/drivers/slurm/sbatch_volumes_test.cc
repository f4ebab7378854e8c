// The spec's volumes in sbatch scripts (sbatch_volumes.h): goldens for pyxis,
// apptainer (a rank with an image, a rank without under bubblewrap) and a
// cluster without a container runtime (tests/slurm/golden/volumes_*.sbatch,
// also checked by `bash -n`; pyxis and apptainer are not installed here),
// and the defences against a hostile tenant's names and paths. To accept a
// deliberate change, run with SKYRUN_UPDATE_GOLDEN=1 and review the diff.
#include "drivers/slurm/sbatch_volumes.h"

#include <gtest/gtest.h>

#include <fstream>

#include "common/clock.h"
#include "drivers/slurm/command_runner.h"
#include "drivers/slurm/sbatch_render.h"
#include "drivers/slurm/sbatch_test_launch.h"
#include "storage/volume_store.h"
#include "support/golden.h"
#include "support/temp_dir.h"

namespace skyrun {
namespace {

std::string GoldenPath(const std::string& name) {
  return std::string(SKYRUN_SLURM_TESTDATA) + "/golden/" + name + ".sbatch";
}

JobSpec VolumeSpec(const std::string& name) {
  JobSpec spec;
  spec.name = name;
  spec.volumes = {{"data", "/data", false}, {"ref.v1", "/srv/ref set", true}};
  spec.checkpoint_dir = "/data/ckpt/run1";  // in a volume: every rank is told where it sees it
  return spec;
}

AttemptLaunch Launch(const JobSpec* spec, int64_t job, const std::vector<std::string>& images) {
  AttemptLaunch l = SbatchTestLaunch(spec, job);
  for (size_t r = 0; r < images.size(); ++r) {
    TaskLaunch t;
    t.rank = static_cast<int>(r);
    t.placement.node = "slurm/hpc1/node" + std::to_string(r + 1);
    t.placement.cpus_milli = MilliCpu(2000);
    t.placement.memory_mib = MemoryMiB(4096);
    t.image = images[r];
    t.run = "python train.py --data \"$SKYRUN_MOUNT_ROOT/data\"";
    l.tasks.push_back(t);
  }
  return l;
}

SbatchOptions Options(const std::string& container) {
  SbatchOptions o;
  o.backend_name = "slurm/hpc1";
  o.container = container;
  o.volumes_root = "/shared/skyrun/volumes";
  return o;
}

TEST(SbatchVolumes, PyxisGolden) {
  JobSpec spec = VolumeSpec("vol-pyxis");
  spec.image = "nvcr.io/nvidia/pytorch:24.01-py3";
  AttemptLaunch l = Launch(&spec, 31, {spec.image, spec.image});
  auto script = RenderSbatch(l, Options("pyxis"));
  ASSERT_TRUE(script.ok()) << script.status().message();
  test_support::ExpectMatchesGolden(GoldenPath("volumes_pyxis"), *script);
  EXPECT_NE(script->find("--container-mounts='/srv/skyrun/jobs/31,/srv/skyrun/jobs/31/checkpoints,"
                         "/shared/skyrun/volumes/research/data/data:/data,"
                         "/shared/skyrun/volumes/research/data/ref.v1:/srv/ref set:ro'"),
            std::string::npos)
      << *script;
  EXPECT_EQ(script->find("bwrap"), std::string::npos) << "no rank runs outside the image";
}

TEST(SbatchVolumes, ApptainerGoldenBindsInTheImageAndUnderBwrapWithout) {
  JobSpec spec = VolumeSpec("vol-apptainer");
  AttemptLaunch l = Launch(&spec, 32, {"docker://pytorch/pytorch:2.1.0", ""});
  SbatchOptions o = Options("apptainer");
  auto refused = RenderSbatch(l, o);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("volumes_bwrap"), std::string::npos)
      << refused.status().message();
  o.volumes_bwrap = true;
  auto script = RenderSbatch(l, o);
  ASSERT_TRUE(script.ok()) << script.status().message();
  test_support::ExpectMatchesGolden(GoldenPath("volumes_apptainer"), *script);
  EXPECT_NE(script->find("/shared/skyrun/volumes/research/data/ref.v1:/srv/ref set:ro"), std::string::npos);
  EXPECT_NE(script->find("--tmpfs /shared/skyrun/volumes --bind /shared/skyrun/volumes/research/data/data "
                         "\"$SKYRUN_MOUNT_ROOT\"/data --ro-bind"),
            std::string::npos)
      << *script;
}

TEST(SbatchVolumes, NoContainerGoldenRunsUnderBwrap) {
  JobSpec spec = VolumeSpec("vol-bare");
  AttemptLaunch l = Launch(&spec, 33, {""});
  SbatchOptions o = Options("none");
  EXPECT_FALSE(RenderSbatch(l, o).ok());
  o.volumes_bwrap = true;
  auto script = RenderSbatch(l, o);
  ASSERT_TRUE(script.ok()) << script.status().message();
  test_support::ExpectMatchesGolden(GoldenPath("volumes_bwrap"), *script);
  EXPECT_NE(script->find("[ -d /shared/skyrun/volumes/research/data/data ] || {"), std::string::npos)
      << *script;
}

TEST(SbatchVolumes, GoldenScriptsAreValidBash) {
  ProcessCommandRunner runner;
  for (const char* name : {"volumes_pyxis", "volumes_apptainer", "volumes_bwrap"}) {
    auto r = runner.Run({"bash", "-n", GoldenPath(name)}, {}, 10000);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->exit_code, 0) << name << ": " << r->err;
  }
}

TEST(SbatchVolumes, WithoutVolumesRootTheJobIsRefused) {
  JobSpec spec = VolumeSpec("no-root");
  AttemptLaunch l = Launch(&spec, 34, {""});
  SbatchOptions o = Options("none");
  o.volumes_root.clear();
  o.volumes_bwrap = true;
  auto s = RenderSbatch(l, o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("no volumes_root"), std::string::npos) << s.status().message();
}

// Sources come from the authenticated tenant, escaped as the volume store
// does, and a validated name: nothing a tenant writes reaches another's.
TEST(SbatchVolumes, HostileNamesTenantsAndPathsNeverLeaveTheTenantsDirectory) {
  JobSpec spec;
  spec.volumes = {{"data", "/data", false}};
  auto binds = SlurmVolumeBinds(spec, "../other", "/v");
  ASSERT_TRUE(binds.ok()) << binds.status().message();
  EXPECT_EQ((*binds)[0].source, "/v/%2E%2E%2Fother/data/data");
  binds = SlurmVolumeBinds(spec, "a/../../b", "/v");
  ASSERT_TRUE(binds.ok());
  EXPECT_EQ((*binds)[0].source.find(".."), std::string::npos) << (*binds)[0].source;
  for (const std::string& name :
       std::vector<std::string>{"../other", "a/b", "..", "", "Data", std::string("a\0b", 3)}) {
    spec.volumes = {{name, "/data", false}};
    EXPECT_FALSE(SlurmVolumeBinds(spec, "t", "/v").ok()) << name;
  }
  for (const std::string& path : std::vector<std::string>{"/a/../../etc", "..", "/x:/etc", "/a,/b", "/", "",
                                                          "./.", std::string("/a\0b", 4)}) {
    spec.volumes = {{"data", path, false}};
    EXPECT_FALSE(SlurmVolumeBinds(spec, "t", "/v").ok()) << path;
  }
  spec.volumes = {{"data", "//a/./b/", false}};
  binds = SlurmVolumeBinds(spec, "t", "/v");
  ASSERT_TRUE(binds.ok());
  EXPECT_EQ((*binds)[0].target, "/a/b");
  spec.volumes = {{"a", "/d", false}, {"b", "/d/e", false}};
  EXPECT_FALSE(SlurmVolumeBinds(spec, "t", "/v").ok());
  EXPECT_FALSE(SlurmVolumeBinds(spec, "", "/v").ok());
}

// A path with quotes, '$' and a newline is one quoted word in the script.
TEST(SbatchVolumes, APathIsQuotedInTheScript) {
  JobSpec spec;
  spec.name = "quote";
  spec.volumes = {{"data", "/d'$(touch /tmp/pwned)\n`id`", false}};
  AttemptLaunch l = Launch(&spec, 35, {""});
  SbatchOptions o = Options("none");
  o.volumes_bwrap = true;
  auto script = RenderSbatch(l, o);
  ASSERT_TRUE(script.ok()) << script.status().message();
  EXPECT_NE(script->find("\"$SKYRUN_MOUNT_ROOT\"'/d'\\''$(touch /tmp/pwned)\n`id`'"), std::string::npos)
      << *script;
  ProcessCommandRunner runner;
  auto r = runner.Run({"bash", "-n", "-c", *script}, {}, 10000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0) << r->err;
}

TEST(SbatchVolumes, VolumesRootMustBeAPlainAbsolutePath) {
  EXPECT_TRUE(CheckVolumesRoot("/shared/skyrun/volumes").ok());
  for (const std::string& bad :
       std::vector<std::string>{"", "/", "//a", "relative", "/a/../b", "/a/", "/a//b", "/a b", "/a:b", "/a,b",
                                "/a'b", "/a$b", "/a\nb"}) {
    EXPECT_FALSE(CheckVolumesRoot(bad).ok()) << bad;
  }
}

// Quotas before a launch, in the server's store: a writable volume past its
// size, or its tenant past per_tenant_bytes, is refused with the figures; a
// read-only one still passes, and so does another tenant's volume.
TEST(SbatchVolumes, AWritableVolumePastItsQuotaIsRefusedWithTheFigures) {
  test_support::TempDir dir("skyrun-slurm-quota");
  SimulatedClock clock(1000);
  storage::VolumeStore store(dir.path(), {}, &clock);
  ASSERT_TRUE(store.Create("alpha", "small", 65536).ok());
  ASSERT_TRUE(store.Create("alpha", "big", 0).ok());
  ASSERT_TRUE(store.Create("beta", "small", 65536).ok());
  JobSpec spec;
  spec.volumes = {{"small", "/s", false}};
  EXPECT_TRUE(CheckSlurmVolumeQuotas(spec, "alpha", dir.path(), 0).ok());
  auto small = store.DataDir("alpha", "small");
  ASSERT_TRUE(small.ok());
  std::ofstream(*small + "/fill") << std::string(300000, 'x');

  Status refused = CheckSlurmVolumeQuotas(spec, "alpha", dir.path(), 0);
  EXPECT_EQ(refused.code(), StatusCode::kResourceExhausted) << refused.message();
  EXPECT_NE(refused.message().find("more than its size 64.0 KiB"), std::string::npos) << refused.message();
  EXPECT_TRUE(CheckSlurmVolumeQuotas(spec, "beta", dir.path(), 0).ok());
  spec.volumes[0].read_only = true;
  EXPECT_TRUE(CheckSlurmVolumeQuotas(spec, "alpha", dir.path(), 0).ok());

  // The tenant's total: "big" has room, but alpha's volumes hold more than 128 KiB.
  spec.volumes = {{"big", "/b", false}};
  EXPECT_TRUE(CheckSlurmVolumeQuotas(spec, "alpha", dir.path(), 0).ok());
  Status tenant = CheckSlurmVolumeQuotas(spec, "alpha", dir.path(), 131072);
  EXPECT_EQ(tenant.code(), StatusCode::kResourceExhausted) << tenant.message();
  EXPECT_NE(tenant.message().find("more than its quota 128.0 KiB"), std::string::npos) << tenant.message();
  // No store configured: nothing to check against.
  EXPECT_TRUE(CheckSlurmVolumeQuotas(spec, "alpha", "", 131072).ok());
  // A volume the tenant does not have is not passed over.
  spec.volumes = {{"none", "/n", false}};
  EXPECT_EQ(CheckSlurmVolumeQuotas(spec, "alpha", dir.path(), 0).code(), StatusCode::kNotFound);
}

// checkpoint.dir inside a writable volume is the path the rank sees there;
// elsewhere, in a read-only volume, or climbing out with '..', it is not.
TEST(SbatchVolumes, ACheckpointDirInAWritableVolumeIsWhereTheRankSeesIt) {
  JobSpec spec = VolumeSpec("ckpt");
  auto binds = SlurmVolumeBinds(spec, "research", "/shared/skyrun/volumes");
  ASSERT_TRUE(binds.ok()) << binds.status().message();
  EXPECT_EQ(CheckpointInVolumes(spec, *binds), "/data/ckpt/run1");
  for (const auto& [dir, want] : std::vector<std::pair<std::string, std::string>>{
           {"/data", "/data"},
           {"data/./x/", "/data/x"},
           {"/database", ""},
           {"/srv/ref set/c", ""},  // read-only
           {"/data/../etc", ""},
           {"/../../data/c", "/data/c"},  // normalised under "/": still in the volume
           {"/tmp/ckpt", ""},
           {"", ""}}) {
    spec.checkpoint_dir = dir;
    EXPECT_EQ(CheckpointInVolumes(spec, *binds), want) << dir;
  }
  // In the script: set per rank below SKYRUN_MOUNT_ROOT, not the job's own directory.
  spec.checkpoint_dir = "/data/c'$(id)";
  AttemptLaunch l = Launch(&spec, 36, {""});
  SbatchOptions o = Options("none");
  o.volumes_bwrap = true;
  auto script = RenderSbatch(l, o);
  ASSERT_TRUE(script.ok()) << script.status().message();
  EXPECT_NE(script->find("export SKYRUN_CHECKPOINT_DIR=\"$SKYRUN_MOUNT_ROOT\"'/data/c'\\''$(id)'"),
            std::string::npos)
      << *script;
  EXPECT_EQ(script->find("export SKYRUN_CHECKPOINT_DIR='/srv"), std::string::npos) << *script;
  // Outside any volume: the job's own checkpoint directory, as before.
  spec.checkpoint_dir = "/ckpt";
  script = RenderSbatch(l, o);
  ASSERT_TRUE(script.ok()) << script.status().message();
  EXPECT_NE(script->find("export SKYRUN_CHECKPOINT_DIR=/srv/skyrun/jobs/36/checkpoints"), std::string::npos)
      << *script;
  EXPECT_EQ(script->find("$SKYRUN_MOUNT_ROOT\"/ckpt"), std::string::npos) << *script;
}

}  // namespace
}  // namespace skyrun
