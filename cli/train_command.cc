// mer train --data SHARDS|LABELS.csv --out MODEL.merm: trains an emotion
// model across all MPI ranks (worker/train/train_job.h,
// worker/train/trainer.h).
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/cli_util.h"
#include "cli/command.h"
#include "cli/front_end_options.h"
#include "cli/labels_options.h"
#include "cli/mpi_session.h"
#include "worker/train/train_job.h"

namespace mer::cli {
namespace {

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

core::Result<std::vector<int>> ParseInts(const std::string& option,
                                         const std::string& s) {
  std::vector<int> out;
  for (const std::string& item : SplitList(s)) {
    try {
      size_t used = 0;
      out.push_back(std::stoi(item, &used));
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      return core::Status::InvalidArgument("--" + option + " '" + s + "'",
                                           "expected comma-separated integers");
    }
  }
  return out;
}

void AddTrainOptions(po::options_description* desc,
                     po::options_description* model,
                     po::options_description* train) {
  desc->add_options()("data", po::value<std::string>(),
                      "feature-shard folder (mer extract) or labels CSV "
                      "(extracted on the fly)")(
      "out,o", po::value<std::string>(), "model bundle to write (.merm)")(
      "metrics-dir", po::value<std::string>(),
      "report folder (default: OUT without extension + .metrics)")(
      "checkpoint-dir", po::value<std::string>(),
      "checkpoint folder (default: OUT without extension + .ckpt)")(
      "resume", "continue from the last checkpoint")(
      "val-fraction", po::value<double>()->default_value(0.1, "0.1"),
      "share of groups held out for validation (0 = none)")(
      "folds", po::value<int>()->default_value(0),
      "grouped k-fold cross-validation (mean and spread of every metric)")(
      "compare", po::value<std::string>(),
      "architectures compared on the same folds, e.g. cnn,rnn,crnn (needs "
      "--folds)")(
      "fold-models", po::value<std::string>(),
      "with --folds: also write each fold's model to DIR/ARCH-foldF.merm "
      "(F from 0, as the metrics folder's folds.csv numbers the tracks' "
      "folds)")("split-seed", po::value<uint64_t>()->default_value(0),
                  "seed of the splits (0 = --seed)")(
      "device", po::value<std::string>()->default_value("cpu"),
      "cpu or cuda (rank binds GPU local_rank % count)")(
      "threads", po::value<int>()->default_value(0),
      "torch threads per rank (0 = LibTorch's default)")(
      "no-progress", "no per-epoch lines on stderr")(
      "json", "print the summary as JSON");
  model->add_options()("arch", po::value<std::string>()->default_value("crnn"),
                       "cnn, rnn, crnn, pcrnn, attn-lstm or mlp (no trunk: "
                       "the classic model over the --stats-dim and "
                       "--descriptor-dim statistics)")(
      "frames", po::value<int>()->default_value(0),
      "frames per training crop (0 = the front end's segment)")(
      "channels", po::value<std::string>(),
      "conv channels per block, e.g. 32,64,64,64")(
      "rnn-hidden", po::value<int>(), "GRU/LSTM hidden size")(
      "rnn-layers", po::value<int>(), "GRU/LSTM layers")(
      "cnn-dropout", po::value<float>(), "dropout after conv blocks")(
      "rnn-dropout", po::value<float>(), "dropout of the recurrent part")(
      "embedding-dim", po::value<int>(),
      "size of the embedding (0 = trunk output)")(
      "input-pool", po::value<std::string>(),
      "average-pool the input by FREQ,TIME before the trunk, e.g. 2,2 (about "
      "4x less compute)")("stats-dim", po::value<int>(),
                          "features from per-band mean/std/|delta| statistics "
                          "beside the trunk (0 = none)")(
      "descriptor-dim", po::value<int>(),
      "the joint model: features from per-row mean/std/|delta| statistics "
      "of the 53 hand-crafted descriptors beside the trunk, trained end to "
      "end (0 = none; needs shards from `mer extract --descriptors`, or "
      "--descriptors with a labels CSV)")(
      "descriptors",
      "training from a labels CSV: also compute the hand-crafted descriptors "
      "(for --descriptor-dim)")(
      "input-norm", po::value<std::string>(), "affine or batchnorm")(
      "quadrant-head", po::value<std::string>()->default_value("va"),
      "va: the quadrant from the valence/arousal head (one emotion per track: "
      "the mood is the quadrant of the V-A point); softmax: an independent "
      "head");
  train->add_options()("epochs", po::value<int>()->default_value(30), "epochs")(
      "batch-size,b", po::value<int>()->default_value(24),
      "segments per step and rank (the global batch is ranks x this; on "
      "--resume with another rank count it follows the checkpoint's global "
      "batch when not given)")(
      "lr", po::value<double>()->default_value(1e-3), "Adam learning rate")(
      "weight-decay", po::value<double>()->default_value(1e-4),
      "decoupled weight decay (AdamW)")(
      "lr-schedule", po::value<std::string>()->default_value("cosine"),
      "constant, cosine or step")("warmup-epochs",
                                  po::value<int>()->default_value(1),
                                  "linear warm-up epochs")(
      "crops-per-track", po::value<int>()->default_value(4),
      "random crops of each track per epoch")(
      "class-weights", "inverse-frequency class weights in the cross-entropy")(
      "label-smoothing", po::value<float>()->default_value(0.0f),
      "label smoothing")("va-weight", po::value<float>()->default_value(0.5f),
                         "weight of the valence/arousal loss")(
      "tags",
      "train the tag head (sigmoid + BCE, per-tag positive weights) on the "
      "data's tags")("tag-weight", po::value<float>()->default_value(1.0f),
                     "weight of the tag loss (needs --tags)")(
      "no-augment", "no gain or SpecAugment masks (random crops stay)")(
      "aug-gain-db", po::value<float>()->default_value(6.0f),
      "random gain range (+- dB)")(
      "aug-freq-mask", po::value<int>()->default_value(12),
      "max width of the frequency mask (bands; 0 = none)")(
      "aug-time-mask", po::value<int>()->default_value(32),
      "max width of the time mask (frames; 0 = none)")(
      "patience", po::value<int>()->default_value(0),
      "stop after N epochs without a better val macro-F1 (0 = never)")(
      "average-last", po::value<int>()->default_value(0),
      "keep the average of the last N epochs' weights")(
      "eval-windows", po::value<int>()->default_value(0),
      "score validation and CV test tracks from at most N windows each, for "
      "speed (0 = every window, as users' tracks)")(
      "no-sync-batchnorm",
      "BatchNorm statistics per rank instead of over the global batch (with "
      "several ranks; then N ranks x b no longer train what 1 rank x N*b "
      "trains)")(
      "seed", po::value<uint64_t>()->default_value(1),
      "seed of weights, crops, augmentation, splits");
}

// --arch (or the paper2019 preset's CRNN) and the model options.
core::Status ParseModel(const po::variables_map& vm, nn::ModelConfig* m) {
  const bool paper = vm["preset"].as<std::string>() == "paper2019";
  auto config =
      paper ? core::Result<nn::ModelConfig>(nn::ModelConfig::Paper2019())
            : nn::ModelConfig::Named(vm["arch"].as<std::string>());
  MER_RETURN_IF_ERROR(config.status());
  *m = *config;
  // Frequency pools follow the data's bands and --input-pool: resolved by
  // the trainer, not here for the default 96 (the paper's are fixed).
  if (!paper) m->freq_pools.clear();
  if (vm["frames"].as<int>() > 0)
    m->n_frames = vm["frames"].as<int>();
  else if (!paper)
    m->n_frames = 0;  // the data's segment length
  if (vm.count("channels")) {
    MER_ASSIGN_OR_RETURN(
        m->channels, ParseInts("channels", vm["channels"].as<std::string>()));
  }
  if (vm.count("rnn-hidden")) m->rnn_hidden = vm["rnn-hidden"].as<int>();
  if (vm.count("rnn-layers")) m->rnn_layers = vm["rnn-layers"].as<int>();
  if (vm.count("cnn-dropout")) m->cnn_dropout = vm["cnn-dropout"].as<float>();
  if (vm.count("rnn-dropout")) m->rnn_dropout = vm["rnn-dropout"].as<float>();
  if (vm.count("embedding-dim"))
    m->embedding_dim = vm["embedding-dim"].as<int>();
  if (vm.count("stats-dim")) m->stats_dim = vm["stats-dim"].as<int>();
  if (vm.count("descriptor-dim")) {
    m->descriptor_dim = vm["descriptor-dim"].as<int>();
    if (m->descriptor_dim < 0) {
      return core::Status::InvalidArgument("--descriptor-dim must be >= 0");
    }
  }
  if (vm.count("input-pool")) {
    const std::string text = vm["input-pool"].as<std::string>();
    MER_ASSIGN_OR_RETURN(std::vector<int> pool, ParseInts("input-pool", text));
    if (pool.size() != 2) {
      return core::Status::InvalidArgument("--input-pool '" + text +
                                           "': expected FREQ,TIME, e.g. 2,2");
    }
    m->input_freq_pool = pool[0];
    m->input_time_pool = pool[1];
  }
  if (vm.count("input-norm"))
    m->input_norm = vm["input-norm"].as<std::string>();
  m->quadrant_head = vm["quadrant-head"].as<std::string>();
  return core::Status::Ok();
}

// The training settings (the paper2019 preset has its own defaults).
core::Status ParseTraining(const po::variables_map& vm,
                           worker::TrainerOptions* t) {
  t->epochs = vm["epochs"].as<int>();
  t->batch_size = vm["batch-size"].as<int>();
  t->learning_rate = vm["lr"].as<double>();
  t->weight_decay = vm["weight-decay"].as<double>();
  t->lr_schedule = vm["lr-schedule"].as<std::string>();
  t->warmup_epochs = vm["warmup-epochs"].as<int>();
  if (vm["preset"].as<std::string>() == "paper2019") {
    // The seed paper: Adam 1e-3, batch 24, constant rate.
    if (vm["batch-size"].defaulted()) t->batch_size = 24;
    if (vm["lr-schedule"].defaulted()) t->lr_schedule = "constant";
    if (vm["weight-decay"].defaulted()) t->weight_decay = 0;
    if (vm["warmup-epochs"].defaulted()) t->warmup_epochs = 0;
  }
  t->crops_per_track = vm["crops-per-track"].as<int>();
  t->class_weights = vm.count("class-weights") > 0;
  t->label_smoothing = vm["label-smoothing"].as<float>();
  t->va_weight = vm["va-weight"].as<float>();
  t->tags = vm.count("tags") > 0;
  t->tag_weight = vm["tag-weight"].as<float>();
  if (!t->tags && !vm["tag-weight"].defaulted()) {
    return core::Status::InvalidArgument("--tag-weight needs --tags");
  }
  t->augment.enabled = !vm.count("no-augment");
  t->augment.gain_db = vm["aug-gain-db"].as<float>();
  t->augment.freq_mask_width = vm["aug-freq-mask"].as<int>();
  t->augment.freq_masks = t->augment.freq_mask_width > 0 ? 1 : 0;
  t->augment.time_mask_width = vm["aug-time-mask"].as<int>();
  t->augment.time_masks = t->augment.time_mask_width > 0 ? 1 : 0;
  t->patience = vm["patience"].as<int>();
  t->average_last = vm["average-last"].as<int>();
  t->eval_max_windows = vm["eval-windows"].as<int>();
  t->sync_batchnorm = !vm.count("no-sync-batchnorm");
  t->seed = vm["seed"].as<uint64_t>();
  return core::Status::Ok();
}

// The whole job: data, reports, splits, the run's settings.
core::Result<worker::TrainJobOptions> ParseTrainJob(
    const po::variables_map& vm) {
  worker::TrainJobOptions o;
  if (vm.count("data")) o.data = vm["data"].as<std::string>();
  if (vm.count("out")) o.out = vm["out"].as<std::string>();
  if (vm.count("metrics-dir"))
    o.metrics_dir = vm["metrics-dir"].as<std::string>();
  o.val_fraction = vm["val-fraction"].as<double>();
  o.folds = vm["folds"].as<int>();
  if (vm.count("compare"))
    o.compare = SplitList(vm["compare"].as<std::string>());
  o.split_seed = vm["split-seed"].as<uint64_t>();
  if (vm.count("fold-models"))
    o.fold_models_dir = vm["fold-models"].as<std::string>();
  MER_ASSIGN_OR_RETURN(o.source.labels, LabelsFromArgs(vm));
  o.source.progress = !vm.count("no-progress");
  MER_ASSIGN_OR_RETURN(o.source.front_end, FrontEndFromArgs(vm));
  if (vm.count("descriptors")) o.source.descriptors.emplace();
  MER_RETURN_IF_ERROR(ParseModel(vm, &o.trainer.model));
  MER_RETURN_IF_ERROR(ParseTraining(vm, &o.trainer));
  worker::TrainerRunOptions& r = o.run;
  r.threads = vm["threads"].as<int>();
  r.device = vm["device"].as<std::string>();
  r.progress = !vm.count("no-progress");
  r.resume = vm.count("resume") > 0;
  r.batch_follows_checkpoint = vm["batch-size"].defaulted();
  if (vm.count("checkpoint-dir")) {
    r.checkpoint_dir = vm["checkpoint-dir"].as<std::string>();
  } else if (!o.out.empty() && o.folds == 0) {
    std::filesystem::path p(o.out);
    p.replace_extension("");
    r.checkpoint_dir = p.string() + ".ckpt";
  }
  MER_RETURN_IF_ERROR(o.Validate());
  return o;
}

}  // namespace

int TrainMain(const std::vector<std::string>& args) {
  po::options_description desc("Options"), model("Model"), train("Training"),
      hidden;
  AddTrainOptions(&desc, &model, &train);
  desc.add(model).add(train);
  AddLabelsOptions(desc);
  AddFrontEndOptions(desc);
  po::positional_options_description pos;
  auto parsed = ParseArgs(args, desc, hidden, pos);
  if (!parsed) return kExitUsage;
  if (parsed->help) {
    PrintHelp("train", "--data SHARDS|LABELS.csv --out MODEL.merm [OPTIONS]",
              "Trains an emotion model (quadrant + valence/arousal heads; with "
              "--tags a tag head) on\nlog-mel feature shards or a labels CSV "
              "(tags: a 'tags' column of ';'-separated names).\nValidation "
              "splits and folds are grouped (--group-by): no group on both "
              "sides.\nUnder mpirun the job is data-parallel (gradients "
              "averaged over the ranks, BatchNorm\nstatistics over the global "
              "batch: N ranks x batch b == 1 rank x batch N*b). A checkpoint\n"
              "is written every epoch; --resume continues exactly on the same rank "
              "count, and on\nany other that divides the global batch (then "
              "dropout masks, drawn per rank, differ). --preset paper2019 also selects the "
              "seed paper's\nCRNN and settings (Adam 1e-3, batch 24).",
              desc,
              "Examples:\n  mer extract --data "
              "../shared/data/4q-dev/labels.csv --out shards\n"
              "  mer train --data shards --out models/my.merm --epochs 30\n"
              "  mer train --data shards --folds 10 --compare cnn,rnn,crnn\n"
              "  mer train --data labels.csv --tags-column moods --tags --out "
              "m.merm\n"
              "  mpirun -np 2 mer train --data shards --out m.merm\n");
    return kExitOk;
  }
  auto o = ParseTrainJob(parsed->vm);
  if (!o.ok()) return UsageError("train", o.status().message());
  auto mpi = StartMpi();
  if (!mpi.ok()) {
    PrintError("train", mpi.status().message());
    return kExitFailure;
  }
  comm::Communicator& world = *(*mpi)->world;
  o->run.local_rank = (*mpi)->env->local_rank();
  auto report = worker::RunTrainJob(*o, world);
  if (!report.ok()) {
    PrintError("train", report.status().ToString());
    return kExitFailure;
  }
  if (world.rank() == 0) {
    if (parsed->vm.count("json")) {
      std::cout << report->json.dump() << "\n";
    } else {
      std::cout << report->text;
    }
  }
  return kExitOk;
}

}  // namespace mer::cli
