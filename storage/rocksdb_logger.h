// RocksDB's info log through mer's logger (spdlog) instead of a LOG file in
// the index folder: the index folder holds only the data, and a full disk
// cannot crash the job in RocksDB's LOG writer (Debian's RocksDB keeps its
// assertions, and a failed LOG write trips one). Levels: RocksDB's
// DEBUG/INFO go to trace, WARN and ERROR to debug (an error that matters
// comes back as the failed call's Status, which mer reports in one line),
// FATAL to warn; each line prefixed "rocksdb:".
#ifndef MER_STORAGE_ROCKSDB_LOGGER_H_
#define MER_STORAGE_ROCKSDB_LOGGER_H_

#include <memory>

#include <rocksdb/env.h>

namespace mer::storage {

// A logger for rocksdb::Options::info_log. Lines below the current spdlog
// level are not even formatted.
std::shared_ptr<rocksdb::Logger> NewSpdlogRocksLogger();

}  // namespace mer::storage

#endif  // MER_STORAGE_ROCKSDB_LOGGER_H_
