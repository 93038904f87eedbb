#include "common/comm/gradient_reducer.h"

#include <mpi.h>

#include <algorithm>
#include <climits>
#include <string>

#include "common/comm/communicator.h"
#include "common/comm/mpi_check.h"
#include "common/core/check.h"

namespace mer::comm {

GradientReducer::~GradientReducer() = default;

core::Status MpiGradientReducerOptions::Validate() const {
  if (bucket_bytes < sizeof(float)) {
    return core::Status::InvalidArgument(
        "bucket_bytes",
        std::to_string(bucket_bytes) + " is smaller than one float (4 bytes)");
  }
  if (bucket_bytes / sizeof(float) > static_cast<size_t>(INT_MAX)) {
    return core::Status::InvalidArgument(
        "bucket_bytes", std::to_string(bucket_bytes) +
                            " holds more than INT_MAX floats (MPI count)");
  }
  return core::Status::Ok();
}

MpiGradientReducer::MpiGradientReducer(Communicator* comm,
                                       MpiGradientReducerOptions options)
    : comm_(comm), options_(options) {
  MER_CHECK(comm_ != nullptr);
  MER_CHECK_MSG(options_.Validate().ok(),
                "MpiGradientReducerOptions must be validated by the caller");
}

MpiGradientReducer::~MpiGradientReducer() = default;

core::Status MpiGradientReducer::AverageInPlace(
    const std::vector<std::span<float>>& buffers) {
  last_bucket_count_ = 0;
  if (comm_->size() == 1) return core::Status::Ok();

  const size_t capacity = options_.bucket_bytes / sizeof(float);
  size_t total = 0;
  for (const auto& b : buffers) total += b.size();
  const size_t num_buckets = (total + capacity - 1) / capacity;
  if (buckets_.size() < num_buckets) buckets_.resize(num_buckets);
  std::vector<MPI_Request> requests(num_buckets, MPI_REQUEST_NULL);

  // Pack in order; start each bucket's all-reduce as soon as it is full.
  size_t bucket = 0;
  size_t filled = 0;
  auto start = [&](size_t b, size_t count) {
    MER_MPI_CHECK(MPI_Iallreduce(MPI_IN_PLACE, buckets_[b].data(),
                                 static_cast<int>(count), MPI_FLOAT, MPI_SUM,
                                 comm_->handle(), &requests[b]));
  };
  for (const auto& buffer : buffers) {
    size_t offset = 0;
    while (offset < buffer.size()) {
      std::vector<float>& flat = buckets_[bucket];
      const size_t size = std::min(capacity, total - bucket * capacity);
      if (flat.size() != size) flat.resize(size);
      const size_t n = std::min(size - filled, buffer.size() - offset);
      std::copy_n(buffer.data() + offset, n, flat.data() + filled);
      offset += n;
      filled += n;
      if (filled == size) {
        start(bucket, size);
        ++bucket;
        filled = 0;
      }
    }
  }
  MER_CHECK(bucket == num_buckets && filled == 0);
  MER_MPI_CHECK(MPI_Waitall(static_cast<int>(requests.size()), requests.data(),
                            MPI_STATUSES_IGNORE));

  // Divide and unpack in the same order.
  // Divide (not multiply by 1/n) so the mean is the correctly rounded one.
  const float ranks = static_cast<float>(comm_->size());
  bucket = 0;
  filled = 0;
  for (const auto& buffer : buffers) {
    size_t offset = 0;
    while (offset < buffer.size()) {
      const std::vector<float>& flat = buckets_[bucket];
      const size_t n = std::min(flat.size() - filled, buffer.size() - offset);
      for (size_t i = 0; i < n; ++i) {
        buffer[offset + i] = flat[filled + i] / ranks;
      }
      offset += n;
      filled += n;
      if (filled == flat.size()) {
        ++bucket;
        filled = 0;
      }
    }
  }
  last_bucket_count_ = num_buckets;
  return core::Status::Ok();
}

}  // namespace mer::comm
