#include "cli/labels_options.h"

#include <sstream>
#include <string>
#include <vector>

namespace mer::cli {

void AddLabelsOptions(po::options_description& options) {
  options.add_options()("va-scale",
                        po::value<std::string>()->default_value("-1..1"),
                        "scale of valence/arousal columns: -1..1 or 1-9")(
      "group-by", po::value<std::string>()->default_value("artist"),
      "CSV column naming each track's group (splits keep a group on one side)")(
      "tags-column", po::value<std::string>()->default_value("tags"),
      "CSV column of ';'-separated tag names")(
      "lexicon", po::value<std::string>(),
      "affective word norms (CSV of word, valence, arousal; e.g. "
      "../shared/data/lexicon/Ratings_Warriner_et_al.csv): continuous V-A from "
      "each track's mood words")(
      "lexicon-words", po::value<std::string>()->default_value("moods"),
      "CSV column of each track's ';'-separated mood words")(
      "lexicon-columns",
      po::value<std::string>()->default_value("Word,V.Mean.Sum,A.Mean.Sum"),
      "the lexicon's word, valence and arousal columns");
}

core::Result<core::LabelsOptions> LabelsFromArgs(const po::variables_map& vm) {
  core::LabelsOptions o;
  MER_ASSIGN_OR_RETURN(o.va_scale,
                       core::ParseVaScale(vm["va-scale"].as<std::string>()));
  o.group_by = vm["group-by"].as<std::string>();
  o.tags_column = vm["tags-column"].as<std::string>();
  o.lexicon_words_column = vm["lexicon-words"].as<std::string>();
  if (!vm.count("lexicon")) return o;
  core::LexiconOptions lex;
  lex.path = vm["lexicon"].as<std::string>();
  const std::string columns = vm["lexicon-columns"].as<std::string>();
  std::vector<std::string> names;
  std::stringstream ss(columns);
  for (std::string name; std::getline(ss, name, ',');) names.push_back(name);
  if (names.size() != 3) {
    return core::Status::InvalidArgument(
        "--lexicon-columns '" + columns + "'",
        "expected WORD,VALENCE,AROUSAL column names");
  }
  lex.word_column = names[0];
  lex.valence_column = names[1];
  lex.arousal_column = names[2];
  o.lexicon = lex;
  return o;
}

}  // namespace mer::cli
