// WorkItem: one track to process, as handed from the coordinator to a
// worker. A plain value shared by the scheduler (coordinator/) and the wire
// codec (message_codec.h); header-only so that the scheduler needs no MPI.
#ifndef MER_COMMON_COMM_WORK_ITEM_H_
#define MER_COMMON_COMM_WORK_ITEM_H_

#include <cstdint>
#include <string>

namespace mer::comm {

struct WorkItem {
  std::string track_id;  // stable id of the track (unique within a job)
  std::string path;      // where the worker reads the audio
  uint64_t seq = 0;      // position in the catalogue scan, for ordering/logs

  friend bool operator==(const WorkItem&, const WorkItem&) = default;
};

}  // namespace mer::comm

#endif  // MER_COMMON_COMM_WORK_ITEM_H_
