// CatalogueSource (directory scan, manifests) and PruneIndex (sorted runs on
// disk against the index's ids), on real files and a real RocksDB index.
#include "coordinator/catalogue_source.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>

#include "coordinator/catalogue_prune.h"
#include "storage/emotion_index.h"
#include "tests/util/test_util.h"

namespace mer::coordinator {
namespace {
namespace fs = std::filesystem;

class CatalogueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.path();
    fs::create_directories(dir_ / "cat" / "a" / "b");
  }
  void Touch(const fs::path& p) { std::ofstream(dir_ / p) << "x"; }
  std::set<std::string> Ids(CatalogueSource& s) {
    std::set<std::string> ids;
    while (auto item = s.Next()) ids.insert(item->track_id);
    EXPECT_TRUE(s.status().ok()) << s.status().ToString();
    return ids;
  }
  test::TempDir tmp_;
  fs::path dir_;
};

TEST_F(CatalogueTest, DirectoryScanTakesAudioByExtensionWithRelativeIds) {
  Touch("cat/one.mp3");
  Touch("cat/a/Two.OGG");
  Touch("cat/a/b/three.flac");
  Touch("cat/a/notes.txt");
  Touch("cat/cover.jpg");
  auto s = CatalogueSource::Open((dir_ / "cat").string());
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE((*s)->is_directory());
  EXPECT_EQ(Ids(**s), (std::set<std::string>{"one.mp3", "a/Two.OGG", "a/b/three.flac"}));
  EXPECT_EQ((*s)->count(), 3u);
  EXPECT_FALSE((*s)->Next().has_value());  // stays exhausted
}

// A link back to a parent folder and a second link to a folder add
// nothing: every folder is scanned once, so every track comes once.
TEST_F(CatalogueTest, SymlinkLoopsAndSecondLinksScanEachFolderOnce) {
  Touch("cat/one.mp3");
  Touch("cat/a/two.mp3");
  Touch("cat/a/b/three.mp3");
  fs::create_directory_symlink("..", dir_ / "cat" / "a" / "b" / "loop");
  fs::create_directory_symlink(dir_ / "cat" / "a", dir_ / "cat" / "again");
  auto s = CatalogueSource::Open((dir_ / "cat").string());
  ASSERT_TRUE(s.ok());
  const std::set<std::string> ids = Ids(**s);
  EXPECT_EQ((*s)->count(), 3u) << ::testing::PrintToString(ids);
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_TRUE(ids.count("one.mp3")) << ::testing::PrintToString(ids);
}

// A file with a second name (a symlink to a track inside the catalogue, two
// symlinks to one file outside it, a hard link) is one track.
TEST_F(CatalogueTest, FilesWithSeveralNamesAreOneTrack) {
  Touch("cat/one.mp3");
  Touch("cat/a/two.mp3");
  Touch("outside.mp3");
  fs::create_symlink(dir_ / "cat" / "a" / "two.mp3", dir_ / "cat" / "link.mp3");
  fs::create_symlink(dir_ / "outside.mp3", dir_ / "cat" / "out1.mp3");
  fs::create_symlink(dir_ / "outside.mp3", dir_ / "cat" / "a" / "out2.mp3");
  fs::create_hard_link(dir_ / "cat" / "one.mp3", dir_ / "cat" / "a" / "hard.mp3");
  fs::create_symlink(dir_ / "nowhere.mp3", dir_ / "cat" / "dangling.mp3");
  auto s = CatalogueSource::Open((dir_ / "cat").string());
  ASSERT_TRUE(s.ok());
  const std::set<std::string> ids = Ids(**s);
  EXPECT_EQ((*s)->count(), 4u) << ::testing::PrintToString(ids);
  EXPECT_TRUE(ids.count("a/two.mp3"));  // the link inside is skipped
  EXPECT_EQ(ids.count("out1.mp3") + ids.count("a/out2.mp3"), 1u);
  EXPECT_EQ(ids.count("one.mp3") + ids.count("a/hard.mp3"), 1u);
  EXPECT_TRUE(ids.count("dangling.mp3"));  // reported by the worker
}

TEST_F(CatalogueTest, ManifestUsesTrackIdElseThePath) {
  std::ofstream(dir_ / "m.csv") << "path,track_id\n"
                                   "cat/one.mp3,id-1\n"
                                   "/abs/two.mp3,\n"
                                   "\"cat/with, comma.mp3\",id-3\n";
  auto s = CatalogueSource::Open((dir_ / "m.csv").string());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto a = (*s)->Next(), b = (*s)->Next(), c = (*s)->Next();
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->track_id, "id-1");
  EXPECT_EQ(a->path, (dir_ / "cat/one.mp3").string());
  EXPECT_EQ(b->track_id, "/abs/two.mp3");
  EXPECT_EQ(b->path, "/abs/two.mp3");
  EXPECT_EQ(c->track_id, "id-3");
  EXPECT_FALSE((*s)->Next().has_value());
  EXPECT_TRUE((*s)->status().ok());
}

TEST_F(CatalogueTest, BadCataloguesAreClearErrors) {
  EXPECT_TRUE(CatalogueSource::Open((dir_ / "missing").string()).status().IsNotFound());
  std::ofstream(dir_ / "nopath.csv") << "file,track_id\nx.mp3,1\n";
  auto s = CatalogueSource::Open((dir_ / "nopath.csv").string());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("path"), std::string::npos);
  // A malformed line ends the stream with an error, not silently.
  std::ofstream(dir_ / "bad.csv") << "path\na.mp3\n\"unterminated\n";
  auto b = CatalogueSource::Open((dir_ / "bad.csv").string());
  ASSERT_TRUE(b.ok());
  while ((*b)->Next()) {
  }
  EXPECT_FALSE((*b)->status().ok());
}

storage::TrackResult Track(const std::string& id) {
  storage::TrackResult t;
  t.track_id = id;
  t.path = "/x/" + id;
  t.quadrant_probs = {0.1f, 0.2f, 0.3f, 0.4f};
  t.model_id = "m-test";
  return t;
}

TEST_F(CatalogueTest, PruneDeletesExactlyTheIdsThatLeftTheCatalogue) {
  auto index = storage::EmotionIndex::Open((dir_ / "idx").string());
  ASSERT_TRUE(index.ok());
  ASSERT_TRUE((*index)->CheckIdentity({"m-test", "fe-x", "{}"}, false).ok());
  std::vector<storage::TrackResult> tracks;
  std::ofstream manifest(dir_ / "m.csv");
  manifest << "track_id,path\n";
  std::set<std::string> kept;
  for (int i = 0; i < 50; ++i) {
    const std::string id = "t" + std::to_string(i);
    tracks.push_back(Track(id));
    if (i % 3 != 0) {  // every third track left the catalogue
      manifest << id << ",/x/" << id << "\n";
      kept.insert(id);
    }
  }
  manifest << "extra,/x/extra\n";  // in the catalogue, not in the index
  manifest.close();
  storage::FailureRecord gone{"failed-gone", "/x/f", "too short", 1, {}, 0};
  ASSERT_TRUE((*index)->Write(tracks, {gone}).ok());
  PruneOptions o;
  o.run_ids = 4;  // many runs: the k-way merge is exercised
  o.temp_dir = dir_.string();
  auto pruned = PruneIndex(**index, (dir_ / "m.csv").string(), o);
  ASSERT_TRUE(pruned.ok()) << pruned.status().ToString();
  EXPECT_EQ(*pruned, 17u + 1u);
  std::set<std::string> left;
  ASSERT_TRUE((*index)->ForEachTrackId([&](std::string_view id) {
                         left.insert(std::string(id));
                         return true;
                       }).ok());
  EXPECT_EQ(left, kept);
  auto f = (*index)->Failures();
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->empty());
  EXPECT_TRUE((*index)->CheckConsistency().ok());
}

}  // namespace
}  // namespace mer::coordinator
